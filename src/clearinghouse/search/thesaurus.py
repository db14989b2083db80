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
# Mapping relations followed by the crosswalk expansion (both ways): the ones that say two
# concepts are about the same thing. broadMatch/narrowMatch are not followed (a national
# target broadMatch GBF Target 3 is not what a query for Target 3 names).
CROSSWALK_RELATIONS = frozenset({"exactMatch", "closeMatch", "relatedMatch"})
# How a query names an Aichi target or an SDG (records are not tagged with these schemes, so
# a query naming one is only translated through the crosswalk). The vocabularies carry the
# official texts as labels (the Aichi targets' in English only); these short names, with the
# concept's notation for {n}, are search aliases of ours, in the six languages.
NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "aichi-targets": {
        "en": ("Aichi Target {n}", "Aichi Biodiversity Target {n}"),
        "fr": ("Objectif d'Aichi {n}", "Objectif {n} d'Aichi pour la biodiversité"),
        "es": ("Meta de Aichi {n}", "Meta {n} de Aichi para la Diversidad Biológica"),
        "ar": ("هدف أيشي {n}", "هدف أيشي للتنوع البيولوجي {n}"),
        "ru": ("Айтинская целевая задача {n}", "целевая задача Айти {n}"),
        "zh": ("爱知目标{n}", "爱知生物多样性目标{n}"),
    },
    "sdg": {
        "en": ("SDG {n}", "Sustainable Development Goal {n}"),
        "fr": ("ODD {n}", "Objectif de développement durable {n}"),
        "es": ("ODS {n}", "Objetivo de Desarrollo Sostenible {n}"),
        "ar": ("هدف التنمية المستدامة {n}",),
        "ru": ("ЦУР {n}", "Цель устойчивого развития {n}"),
        "zh": ("可持续发展目标{n}",),
    },
}


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
    # Labels a query must name in full (every label word matched): concepts of schemes that
    # only reach records through the crosswalk (Aichi targets, SDGs).
    full_only: set[int] = field(default_factory=set)
    # Crosswalk: concept → concepts of other schemes mapped to it or from it (exact, close,
    # related), deprecated ends replaced; and display names (NAMES) per language.
    mapped: dict[str, set[str]] = field(default_factory=dict)
    names: dict[str, dict[str, str]] = field(default_factory=dict)
    loaded_at: float = 0.0
    _sorted_words: list[str] | None = field(default=None, repr=False)

    def label(self, identifier: str, language: str) -> str:
        from clearinghouse.records.i18n import pick

        return pick(self.pref.get(identifier), language).text or identifier

    def name(self, identifier: str, language: str) -> str:
        """A short name for listings: "Aichi Target 11", "SDG 14 — Life below water"; the
        preferred label for other concepts."""
        from clearinghouse.records.i18n import pick

        short = pick(self.names.get(identifier), language).text
        if not short:
            return self.label(identifier, language)
        if self.scheme.get(identifier) == "sdg":
            pref = pick(self.pref.get(identifier), language).text
            return f"{short} — {pref}" if pref else short
        return short

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

    def match(self, terms: list[str], named: bool = False) -> list[str]:
        """Concepts one of whose labels (any language) contains every query word (compared
        by :func:`same_word`). Needs a non-numeric word: "2" alone matches nothing. With
        ``named``, only concepts the query *names*: every word of one of their labels is in
        the query too ("Target 3", "Protected areas", "SDG 14" — not "sustainable forest
        management", a few words of Target 10's long label)."""
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
            if (named or i in self.full_only) and not all(
                any(same_word(w, lw) for w in words) for lw in self.label_words[i][1]
            ):
                continue  # "SDG" alone or "sustainable development" does not name SDG 14
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
        matched = [c for c in self.match(terms) if self.scheme.get(c) in EXPANDABLE]
        out = list(matched)
        for ident in matched:
            out += [c for c in sorted(self.descendants(ident)) if c not in out]
        return out

    def crosswalk(self, terms: list[str], direct: list[str] | None = None) -> list[tuple[str, str]]:
        """(concept, the concept the query named) for the concepts mapped to or from a
        concept the query names in full (``match(named=True)``; one step of the crosswalk,
        exact/close/related matches), limited to schemes records are tagged with and leaving
        out what :meth:`expand` already gives: "Aichi Target 11" → (GBF-TARGET-03,
        AICHI-TARGET-11). ``direct``: ``expand(terms)`` when the caller has it."""
        matched = self.match(terms, named=True)
        if not matched:
            return []
        known = set(self.expand(terms) if direct is None else direct)
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for via in matched:
            for ident in sorted(self.mapped.get(via, ())):
                if ident in known or ident in seen or self.scheme.get(ident) not in EXPANDABLE:
                    continue
                seen.add(ident)
                out.append((ident, via))
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
    rows = list(Concept.objects.select_related("scheme").prefetch_related("broader"))
    by_uri = {c.uri: c.identifier for c in rows}
    replaced = {c.identifier: c.replaced_by_id for c in rows if c.deprecated and c.replaced_by_id}
    by_pk = {c.pk: c.identifier for c in rows}

    def current(ident: str) -> str:
        """A deprecated concept's replacement (followed to the end of the chain)."""
        seen = {ident}
        while ident in replaced and by_pk.get(replaced[ident]) not in seen:
            ident = by_pk[replaced[ident]]
            seen.add(ident)
        return ident

    for c in rows:
        for m in c.mappings or []:
            other = by_uri.get(m.get("uri", "")) if isinstance(m, dict) else None
            if other is None or m.get("relation") not in CROSSWALK_RELATIONS:
                continue
            a, b = current(c.identifier), current(other)
            if a != b:
                th.mapped.setdefault(a, set()).add(b)
                th.mapped.setdefault(b, set()).add(a)
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
        # Numbered concepts only: Aichi targets and SDGs, not the Aichi strategic goals
        # (A–E) or the SDG targets (14.5).
        names = NAMES.get(c.scheme.identifier) if c.notation.isdigit() else None
        if names:
            th.names[ident] = {lang: forms[0].format(n=c.notation) for lang, forms in names.items()}
        # Concepts of other schemes take part only through the crosswalk, named in full.
        via_mapping = c.scheme.identifier not in EXPANDABLE and bool(th.mapped.get(ident))
        if (c.scheme.identifier in EXPANDABLE or via_mapping) and not c.deprecated:
            texts_of = dict(per_lang)
            if names:
                for lang, forms in names.items():
                    texts_of[lang] = [
                        *texts_of.get(lang, []),
                        *(f.format(n=c.notation) for f in forms),
                    ]
            for texts in texts_of.values():
                for text in texts:
                    words = tuple(t for t in tokens(text) if t not in STOPWORDS)
                    if words:
                        for w in words:
                            th.word_index.setdefault(w, set()).add(len(th.label_words))
                        if via_mapping:
                            th.full_only.add(len(th.label_words))
                        th.label_words.append((ident, words))
    for child, parent in _m49_parents().items():
        if child in th.scheme and parent in th.scheme:
            th.broader.setdefault(child, set()).add(parent)
    for ident, parents in th.broader.items():
        for p in parents:
            th.narrower.setdefault(p, set()).add(ident)
    return th
