"""Tag suggestions for a draft: GBF targets and CBD subjects (semantic similarity to the concept
texts plus keyword hits on their labels), countries by name mentions, and the language of the
text. Every suggestion carries a confidence in [0, 1] and the reasons behind it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from clearinghouse.records.i18n import UN_LANGUAGES
from clearinghouse.records.types import COUNTRIES, GBF_TARGETS, SUBJECTS
from clearinghouse.search import learning, semantic, thesaurus
from clearinghouse.search.text import STOPWORDS, detect_language, stem, tokens

MAX_TEXT = 20000
SEM_FLOOR = 0.15  # cosine at which the semantic part of the confidence starts
SEM_SPAN = 0.25  # cosine above the floor that counts as full confidence
Z_FLOOR = 1.0  # standard deviations above the other concepts where confidence starts
Z_SPAN = 1.5
MIN_CONFIDENCE = {GBF_TARGETS: 0.4, SUBJECTS: 0.4}
LIMIT = {GBF_TARGETS: 5, SUBJECTS: 3}


@dataclass
class Suggestion:
    scheme: str
    identifier: str
    label: str
    confidence: float
    reasons: list[str] = field(default_factory=list)


@dataclass
class Suggestions:
    language: str
    targets: list[Suggestion]
    subjects: list[Suggestion]
    countries: list[Suggestion]


_concept_vectors: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}


def _vectors(scheme: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Vectors of every label and definition (each language) of the scheme's concepts, and
    the index of the concept each belongs to."""
    th = thesaurus.get()
    cached = _concept_vectors.get(scheme)
    if cached is not None and cached[0] and all(c in th.scheme for c in cached[0]):
        return cached
    idents = sorted(c for c, s in th.scheme.items() if s == scheme)
    texts: list[str] = []
    owner: list[int] = []
    for i, ident in enumerate(idents):
        own = [t for lang in UN_LANGUAGES for t in th.labels.get(ident, {}).get(lang, [])]
        own += [d for d in th.definitions.get(ident, {}).values() if d]
        for text in dict.fromkeys(own):
            texts.append(text)
            owner.append(i)
    matrix = semantic.encode(texts) if texts else np.zeros((0, semantic.DIM), dtype=np.float32)
    _concept_vectors[scheme] = (idents, matrix, np.asarray(owner, dtype=np.int64))
    return _concept_vectors[scheme]


def similarities(scheme: str, text: str, vec: np.ndarray | None = None) -> dict[str, float]:
    """Per concept: the best cosine between the text and one of its labels or definitions."""
    idents, matrix, owner = _vectors(scheme)
    if not idents:
        return {}
    if vec is None:
        vec = semantic.encode([text[:MAX_TEXT]])[0]
    best = np.full(len(idents), -1.0, dtype=np.float32)
    np.maximum.at(best, owner, matrix @ vec)
    return dict(zip(idents, best.tolist(), strict=True))


def _keyword_hits(scheme: str, stems: set[str]) -> dict[str, tuple[float, str]]:
    """Per concept, the label whose content words occur most in the text: (share, label).
    At least two words must occur, or the single word of a one-word label."""
    th = thesaurus.get()
    hits: dict[str, tuple[float, str]] = {}
    for ident, s in th.scheme.items():
        if s != scheme:
            continue
        for lang in UN_LANGUAGES:
            for label in th.labels.get(ident, {}).get(lang, []):
                words = [
                    w
                    for w in tokens(label)
                    if w not in STOPWORDS and not w.isdigit() and len(w) > 2
                ]
                found = sum(stem(w) in stems for w in words)
                if found >= 2 or (found == 1 and len(words) == 1 and len(words[0]) >= 6):
                    share = found / len(words)
                    if share > hits.get(ident, (0.0, ""))[0]:
                        hits[ident] = (share, label)
    return hits


def _rank(
    scheme: str,
    text: str,
    stems: set[str],
    language: str,
    vec: np.ndarray | None = None,
    learned: dict[str, learning.Learned] | None = None,
    rejected: frozenset[str] = frozenset(),
) -> list[Suggestion]:
    th = thesaurus.get()
    keyword = _keyword_hits(scheme, stems)
    sims: dict[str, float] = similarities(scheme, text, vec) if vec is not None else {}
    learned = {c: v for c, v in (learned or {}).items() if th.scheme.get(c) == scheme}
    values = np.asarray(list(sims.values()) or [0.0])
    mean, std = float(values.mean()), float(values.std()) or 1.0
    out = []
    for ident in sorted(set(sims) | set(keyword) | set(learned)):
        if ident in rejected:  # rejected for this record: never suggested again
            continue
        reasons = []
        sim = sims.get(ident)
        sem_part = 0.0
        if sim is not None:
            # How far this concept stands out from the others (z-score), and how close it is.
            z = (sim - mean) / std
            sem_part = min(1.0, max(0.0, (z - Z_FLOOR) / Z_SPAN)) * min(
                1.0, max(0.0, (sim - SEM_FLOOR) / SEM_SPAN)
            )
            if sem_part > 0:
                reasons.append(
                    f"semantic similarity {sim:.2f} to the concept's label or definition "
                    f"({z:.1f} standard deviations above the other concepts)"
                )
        kw_part = 0.0
        if ident in keyword:
            kw_part, label = keyword[ident]
            reasons.append(f"keywords of “{label}” ({kw_part:.0%} of its words)")
        confidence = 0.65 * sem_part + 0.35 * kw_part if sims else 0.6 * kw_part
        taught = learned.get(ident)
        if taught is not None:
            # Blend in what editors decided for similar texts (search.learning).
            confidence = learning.blend(confidence, taught)
            if taught.score > 0 and taught.accepted:
                reasons.insert(0, learning.accepted_reason(scheme, taught))
            elif taught.score < 0:
                reasons.append(learning.rejected_reason(taught))
        if confidence >= MIN_CONFIDENCE[scheme]:
            out.append(
                Suggestion(scheme, ident, th.label(ident, language), round(confidence, 2), reasons)
            )
    out.sort(key=lambda s: -s.confidence)
    return out[: LIMIT[scheme]]


def _countries(
    text: str, language: str, rejected: frozenset[str] = frozenset()
) -> list[Suggestion]:
    th = thesaurus.get()
    folded = " " + " ".join(tokens(text)) + " "
    out = []
    for ident, scheme in th.scheme.items():
        if scheme != COUNTRIES or ident in rejected:
            continue
        for lang in UN_LANGUAGES:
            names = th.labels.get(ident, {}).get(lang, [])
            found = next((n for n in names if f" {' '.join(tokens(n))} " in folded), None)
            if found:
                out.append(
                    Suggestion(
                        COUNTRIES, ident, th.label(ident, language), 0.9, [f"mentions “{found}”"]
                    )
                )
                break
    return out


def document_text(document: dict[str, Any]) -> str:
    """All text of a (draft) document, whatever its fields."""
    parts: list[str] = []

    def walk(value: Any, key: str = "") -> None:
        if key in {"header", "identifier", "government"}:
            return
        if isinstance(value, str):
            if not re.match(r"^(https?://|[\w.+-]+@|\d{4}-\d{2})", value):
                parts.append(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)

    walk(document)
    return "\n".join(parts)


def suggest(
    text: str, language: str = "en", record_id: int | None = None, learn: bool = True
) -> Suggestions:
    """Suggestions for ``text``; with ``record_id`` (a draft's record), concepts editors
    rejected for that record are left out. ``learn``: blend in editors' past decisions."""
    text = text[:MAX_TEXT]
    stems = {stem(t) for t in tokens(text)}
    rejected = frozenset(learning.rejected_for(record_id))
    if not text.strip():
        return Suggestions(detect_language(text), [], [], _countries(text, language, rejected))
    vec = semantic.encode([text])[0] if semantic.available() else None
    taught = learning.learned_scores(text, vec, exclude_record=record_id) if learn else {}
    return Suggestions(
        language=detect_language(text),
        targets=_rank(GBF_TARGETS, text, stems, language, vec, taught, rejected),
        subjects=_rank(SUBJECTS, text, stems, language, vec, taught, rejected),
        countries=_countries(text, language, rejected),
    )
