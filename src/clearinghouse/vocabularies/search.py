"""Concept search across every language's preferred, alternative and hidden labels.

The index is built in memory from the database (a few thousand labels) and rebuilt when
``labels.fingerprint()`` changes. Matching ignores case and accents (NFKD, combining marks
dropped), so "especies" finds "Especies" and "écosystème" finds "ecosysteme"."""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

from clearinghouse.vocabularies import labels
from clearinghouse.vocabularies.models import Concept

KINDS = ("pref", "alt", "hidden", "notation")


def normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Hit:
    concept_id: int
    label: str  # the label that matched
    language: str
    kind: str  # pref, alt, hidden (hidden labels match but are not shown), notation


_lock = threading.Lock()
_index: dict[str, Any] = {"key": None, "entries": []}


def _entries() -> list[tuple[str, Hit, str]]:
    key = labels.fingerprint()
    with _lock:
        if _index["key"] != key:
            entries: list[tuple[str, Hit, str]] = []
            rows = Concept.objects.values_list(
                "pk",
                "identifier",
                "notation",
                "pref_labels",
                "alt_labels",
                "hidden_labels",
                "scheme__identifier",
            )
            for pk, ident, notation, prefs, alts, hiddens, scheme in rows:
                for lang, text in (prefs or {}).items():
                    entries.append((normalize(text), Hit(pk, text, lang, "pref"), scheme))
                for kind, values in (("alt", alts), ("hidden", hiddens)):
                    for lang, texts in (values or {}).items():
                        for text in texts:
                            entries.append((normalize(text), Hit(pk, text, lang, kind), scheme))
                for code in {ident, notation} - {""}:
                    entries.append((normalize(code), Hit(pk, code, "", "notation"), scheme))
            _index["entries"] = entries
            _index["key"] = key
        return _index["entries"]


def search(query: str, scheme: str | None = None, limit: int = 50) -> list[Hit]:
    """Best hit per concept: exact label first, then prefix, then substring; preferred labels
    before alternative ones."""
    needle = normalize(query.strip())
    if not needle:
        return []
    best: dict[int, tuple[tuple[int, int, int], Hit]] = {}
    for text, hit, hit_scheme in _entries():
        if scheme and hit_scheme != scheme:
            continue
        position = text.find(needle)
        if position < 0:
            continue
        rank = (
            0 if text == needle else 1 if position == 0 else 2,
            KINDS.index(hit.kind),
            len(text),
        )
        if hit.concept_id not in best or rank < best[hit.concept_id][0]:
            best[hit.concept_id] = (rank, hit)
    ranked = sorted(best.values(), key=lambda pair: (pair[0], pair[1].label))
    return [hit for _rank, hit in ranked[:limit]]
