"""An in-process snapshot of the vocabularies for indexing and query expansion.

A few hundred concepts (GBF goals and targets, subjects, countries, regions, small lists):
loaded in two queries and kept for ``TTL`` seconds, or until :func:`invalidate`."""

from __future__ import annotations

import time
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import pairwise

from clearinghouse.search.text import STOPWORDS, same_word, tokens

TTL = 300.0
# Schemes whose labels a query may match (expansion); small lists ("High", "National") may not.
EXPANDABLE = frozenset({"gbf-targets", "gbf-goals", "cbd-subjects", "countries", "regions"})


@dataclass
class Thesaurus:
    scheme: dict[str, str] = field(default_factory=dict)
    labels: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # id → lang → labels
    pref: dict[str, dict[str, str]] = field(default_factory=dict)
    definitions: dict[str, dict[str, str]] = field(default_factory=dict)
    broader: dict[str, set[str]] = field(default_factory=dict)
    narrower: dict[str, set[str]] = field(default_factory=dict)
    # (concept id, folded words of one label) for query matching, and word → label indices
    label_words: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    word_index: dict[str, set[int]] = field(default_factory=dict)
    loaded_at: float = 0.0
    _sorted_words: list[str] | None = field(default=None, repr=False)

    def label(self, identifier: str, language: str) -> str:
        from clearinghouse.records.i18n import pick

        return pick(self.pref.get(identifier), language).text or identifier

    def ancestors(self, identifier: str) -> set[str]:
        out: set[str] = set()
        todo = list(self.broader.get(identifier, ()))
        while todo:
            c = todo.pop()
            if c not in out:
                out.add(c)
                todo.extend(self.broader.get(c, ()))
        return out

    def descendants(self, identifier: str) -> set[str]:
        out: set[str] = set()
        todo = list(self.narrower.get(identifier, ()))
        while todo:
            c = todo.pop()
            if c not in out:
                out.add(c)
                todo.extend(self.narrower.get(c, ()))
        return out

    def match(self, terms: list[str]) -> list[str]:
        """Concepts one of whose labels (any language) contains every query word (compared
        by :func:`same_word`). Needs a non-numeric word: "2" alone matches nothing."""
        words = [t for t in terms if t not in STOPWORDS]
        if not words or all(w.isdigit() for w in words):
            return []
        labels: set[int] | None = None
        for w in dict.fromkeys(words):
            hits: set[int] = set()
            for word in self._candidates(w):
                if same_word(w, word):
                    hits |= self.word_index[word]
            labels = hits if labels is None else labels & hits
            if not labels:
                return []
        found: list[str] = []
        for i in sorted(labels or ()):
            ident = self.label_words[i][0]
            if ident not in found:
                found.append(ident)
        return found

    def _candidates(self, w: str) -> list[str]:
        """Label words that can be ``same_word`` as ``w``: those sharing its first three
        characters (a necessary condition), found by bisection in the sorted words."""
        if self._sorted_words is None or len(self._sorted_words) != len(self.word_index):
            self._sorted_words = sorted(self.word_index)
        if len(w) < 3:
            return [w] if w in self.word_index else []
        prefix = w[:3]
        words = self._sorted_words
        start = bisect_left(words, prefix)
        end = bisect_left(words, prefix + "\U0010ffff")
        return words[start:end]

    def expand(self, terms: list[str]) -> list[str]:
        """Matched concepts first, then everything narrower (a region → its countries; a goal
        → its targets and indicators), so the concepts a query names lead any listing."""
        matched = self.match(terms)
        out = list(matched)
        for ident in matched:
            out += [c for c in sorted(self.descendants(ident)) if c not in out]
        return out


_cache: Thesaurus | None = None


def invalidate() -> None:
    global _cache
    _cache = None


def get() -> Thesaurus:
    global _cache
    if _cache is None or time.monotonic() - _cache.loaded_at > TTL:
        _cache = _load()
    return _cache


def _m49_parents() -> dict[str, str]:
    """Region → parent region from the UN M49 table the vocabulary was loaded from (the
    vocabulary keeps countries under their most specific region, and regions flat)."""
    import csv

    from clearinghouse.vocabularies.seed import DATA

    parents: dict[str, str] = {}
    with open(DATA / "UNSD-en.csv", encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            chain = [
                row[f"{level} Code"].strip()
                for level in ("Region", "Sub-region", "Intermediate Region")
                if row[f"{level} Code"].strip()
            ]
            for parent, child in pairwise(chain):
                parents[f"m49-{child}"] = f"m49-{parent}"
    return parents


def _load() -> Thesaurus:
    from clearinghouse.vocabularies.models import Concept

    th = Thesaurus(loaded_at=time.monotonic())
    rows = Concept.objects.select_related("scheme").prefetch_related("broader")
    for c in rows:
        ident = c.identifier
        th.scheme[ident] = c.scheme.identifier
        th.pref[ident] = dict(c.pref_labels or {})
        th.definitions[ident] = dict(c.definitions or {})
        per_lang: dict[str, list[str]] = {}
        for lang, text in (c.pref_labels or {}).items():
            per_lang.setdefault(lang, []).append(text)
        for lang, texts in (c.alt_labels or {}).items():
            for text in texts if isinstance(texts, list) else [texts]:
                if text not in per_lang.get(lang, []):
                    per_lang.setdefault(lang, []).append(text)
        for key in ("short", "title"):
            for lang, text in ((c.extra or {}).get(key) or {}).items():
                if isinstance(text, str) and text not in per_lang.get(lang, []):
                    per_lang.setdefault(lang, []).append(text)
        th.labels[ident] = per_lang
        th.broader[ident] = {b.identifier for b in c.broader.all()}
        if c.scheme.identifier in EXPANDABLE and not c.deprecated:
            for texts in per_lang.values():
                for text in texts:
                    words = tuple(t for t in tokens(text) if t not in STOPWORDS)
                    if words:
                        for w in words:
                            th.word_index.setdefault(w, set()).add(len(th.label_words))
                        th.label_words.append((ident, words))
    for child, parent in _m49_parents().items():
        if child in th.scheme and parent in th.scheme:
            th.broader.setdefault(child, set()).add(parent)
    for ident, parents in th.broader.items():
        for p in parents:
            th.narrower.setdefault(p, set()).add(ident)
    return th
