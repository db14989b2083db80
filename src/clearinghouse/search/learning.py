"""Tag suggestions learn from editors' decisions.

An editor accepts or rejects a suggested GBF target, CBD subject or country on a draft
(:func:`record_decision`, from the editor page or ``POST /api/drafts/{uid}/suggestions``): the
decision is stored in ``TagFeedback`` with the draft's text (and its sentence vector).

Later suggestions (:func:`adjust`) compare the new text with the texts of those decisions —
sentence-vector cosine (multilingual) blended with a TF-IDF cosine of word stems (the only
part without the model) — and, per concept:

- **accepted support**: the mean of the two best similarities among the texts for which
  editors accepted the concept; **rejected support**: the best similarity among the texts for
  which they rejected it;
- learned score = clamp((accepted − FLOOR) / SPAN) − clamp((rejected − FLOOR) / SPAN) when the
  rejected texts are the closer ones, in [-1, 1];
- with w = n / (n + PRIOR) (n decisions on the concept, at most MAX_WEIGHT): a positive
  learned score raises the current scorer's confidence to (1 − w) × confidence + w × learned
  when that is higher; a negative one lowers it by w × |learned|; a text unlike every decided
  one keeps the current confidence (no evidence is not evidence against). So a concept the
  current scorer misses can be suggested from editors' decisions alone, with the reason
  "editors accepted this target for similar texts".

A concept rejected for a record is never suggested again for that record. The learned part of
the model is rebuilt in the process when the feedback table changes (count, latest id and
latest decision time).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from clearinghouse.records.types import COUNTRIES, GBF_TARGETS, SUBJECTS
from clearinghouse.search import semantic
from clearinghouse.search.models import TagFeedback
from clearinghouse.search.text import STOPWORDS, stem, tokens

LEARNED_SCHEMES = (GBF_TARGETS, SUBJECTS)
SCHEMES = (GBF_TARGETS, SUBJECTS, COUNTRIES)
FLOOR = 0.30  # similarity at which a past decision starts to count
SPAN = 0.15  # similarity above the floor that counts fully
LEXICAL_FLOOR, LEXICAL_SPAN = 0.10, 0.20  # the same without the model (TF-IDF cosines are lower)
PRIOR = 1.0  # decisions at which the learned part weighs as much as the current scorer
MAX_WEIGHT = 0.6
SEMANTIC_SHARE = 0.7  # of the similarity, when the model is available (the rest: TF-IDF)
TEXT_LIMIT = 20000


class FeedbackError(ValueError):
    """A decision that cannot be recorded (unknown scheme or concept, bad decision)."""


def check(scheme: str, concept: str, decision: str, confidence: float | None) -> None:
    """Refuse a decision that cannot be stored, naming what is wrong."""
    from clearinghouse.search import thesaurus

    if scheme not in SCHEMES:
        raise FeedbackError(
            _("Unknown scheme %(scheme)s: use one of %(schemes)s.")
            % {"scheme": scheme, "schemes": ", ".join(SCHEMES)}
        )
    if thesaurus.get().scheme.get(concept) != scheme:
        raise FeedbackError(
            _("%(concept)s is not a concept of %(scheme)s.")
            % {"concept": concept, "scheme": scheme}
        )
    if decision not in (TagFeedback.ACCEPTED, TagFeedback.REJECTED):
        raise FeedbackError(_("The decision must be “accepted” or “rejected”."))
    if confidence is not None and not (math.isfinite(confidence) and 0.0 <= confidence <= 1.0):
        raise FeedbackError(_("The confidence must be a number from 0 to 1."))


def record_decision(
    record: Any,
    user: Any,
    scheme: str,
    concept: str,
    decision: str,
    confidence: float | None,
    text: str,
) -> TagFeedback:
    """Store (or replace) the decision on ``concept`` for ``record``."""
    check(scheme, concept, decision, confidence)
    text = text[:TEXT_LIMIT]
    vector = None
    if text.strip() and semantic.available():
        vector = semantic.encode([text])[0].astype(np.float32).tobytes()
    row, _created = TagFeedback.objects.update_or_create(
        record=record,
        concept=concept,
        defaults={
            "scheme": scheme,
            "confidence": confidence,
            "decision": decision,
            "user": user if getattr(user, "is_authenticated", False) else None,
            "text": text,
            "vector": vector,
            "at": timezone.now(),
        },
    )
    return row


def rejected_for(record_id: int | None) -> set[str]:
    if record_id is None:
        return set()
    return set(
        TagFeedback.objects.filter(record_id=record_id, decision=TagFeedback.REJECTED).values_list(
            "concept", flat=True
        )
    )


# --- the learned part -----------------------------------------------------------------------
@dataclass
class _Examples:
    """One example per record with decisions: its text vector, its TF-IDF vector, and the
    concepts accepted or rejected for it."""

    stamp: tuple[int, int, str]
    record_ids: list[int] = field(default_factory=list)
    vectors: np.ndarray | None = None  # rows aligned with record_ids; None without the model
    tfidf: list[dict[str, float]] = field(default_factory=list)
    idf: dict[str, float] = field(default_factory=dict)
    accepted: dict[str, list[int]] = field(default_factory=dict)  # concept → example indexes
    rejected: dict[str, list[int]] = field(default_factory=dict)


_lock = threading.Lock()
_cache: _Examples | None = None


def _stems(text: str) -> Counter[str]:
    return Counter(
        stem(t) for t in tokens(text) if t not in STOPWORDS and len(t) > 2 and not t.isdigit()
    )


def _weigh(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    vec = {t: (1 + math.log(c)) * idf.get(t, 0.0) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {t: v / norm for t, v in vec.items() if v}


def _stamp() -> tuple[int, int, str]:
    """Changes with every new, changed or deleted decision (a changed one gets a new time)."""
    agg = TagFeedback.objects.aggregate(n=Count("id"), last=Max("id"), at=Max("at"))
    return int(agg["n"] or 0), int(agg["last"] or 0), str(agg["at"])


def examples() -> _Examples:
    """The decisions, grouped per record (rebuilt when the table changed)."""
    global _cache
    stamp = _stamp()
    with _lock:
        if _cache is not None and _cache.stamp == stamp:
            return _cache
    rows = list(
        TagFeedback.objects.filter(scheme__in=LEARNED_SCHEMES)
        .order_by("record_id", "-at")
        .values_list("record_id", "concept", "decision", "text", "vector")
    )
    out = _Examples(stamp)
    index: dict[int, int] = {}
    texts: list[str] = []
    vectors: list[Any] = []
    for record_id, concept, decision, text, vector in rows:
        i = index.get(record_id)
        if i is None:
            i = index[record_id] = len(out.record_ids)
            out.record_ids.append(record_id)
            texts.append(text)  # the latest decision's text stands for the record
            vectors.append(vector)
        target = out.accepted if decision == TagFeedback.ACCEPTED else out.rejected
        target.setdefault(concept, []).append(i)
    counts = [_stems(t) for t in texts]
    df: Counter[str] = Counter(t for c in counts for t in c)
    n = len(counts)
    out.idf = {t: math.log((1 + n) / (1 + d)) + 1 for t, d in df.items()}
    out.tfidf = [_weigh(c, out.idf) for c in counts]
    if semantic.available() and texts:
        missing = [i for i, v in enumerate(vectors) if not v and texts[i].strip()]
        if missing:  # decided while the model was unavailable
            encoded = semantic.encode([texts[i] for i in missing])
            for i, vec in zip(missing, encoded, strict=True):
                vectors[i] = vec.astype(np.float32).tobytes()
        out.vectors = np.stack(
            [
                np.frombuffer(v, dtype=np.float32)
                if v
                else np.zeros(semantic.DIM, dtype=np.float32)
                for v in vectors
            ]
        )
    with _lock:
        _cache = out
    return out


def _similarities(ex: _Examples, text: str, vector: np.ndarray | None) -> np.ndarray:
    query = _weigh(_stems(text), ex.idf)
    lexical = np.asarray(
        [sum(w * doc.get(t, 0.0) for t, w in query.items()) for doc in ex.tfidf],
        dtype=np.float32,
    )
    if ex.vectors is not None and vector is not None:
        return SEMANTIC_SHARE * (ex.vectors @ vector) + (1 - SEMANTIC_SHARE) * lexical
    return lexical


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


@dataclass
class Learned:
    score: float  # in [-1, 1]
    weight: float  # in [0, MAX_WEIGHT]
    accepted: int
    rejected: int
    closest: float


def learned_scores(
    text: str, vector: np.ndarray | None, exclude_record: int | None = None
) -> dict[str, Learned]:
    """Per concept editors decided on: the learned score of ``text`` and its weight."""
    ex = examples()
    if not ex.record_ids:
        return {}
    sims = _similarities(ex, text, vector)
    floor, span = (
        (FLOOR, SPAN)
        if ex.vectors is not None and vector is not None
        else (
            LEXICAL_FLOOR,
            LEXICAL_SPAN,
        )
    )
    skip = ex.record_ids.index(exclude_record) if exclude_record in ex.record_ids else -1
    out: dict[str, Learned] = {}
    for concept in set(ex.accepted) | set(ex.rejected):
        acc = sorted(
            (float(sims[i]) for i in ex.accepted.get(concept, []) if i != skip), reverse=True
        )
        rej = [float(sims[i]) for i in ex.rejected.get(concept, []) if i != skip]
        if not acc and not rej:
            continue
        s_acc = sum(acc[:2]) / len(acc[:2]) if acc else 0.0
        s_rej = max(rej, default=0.0)
        score = _clamp((s_acc - floor) / span)
        if s_rej > s_acc:
            score -= _clamp((s_rej - floor) / span)
        n = len(acc) + len(rej)
        out[concept] = Learned(
            score=score,
            weight=min(MAX_WEIGHT, n / (n + PRIOR)),
            accepted=len(acc),
            rejected=len(rej),
            closest=acc[0] if acc else 0.0,
        )
    return out


def blend(confidence: float, learned: Learned) -> float:
    """The current scorer's confidence corrected by the learned score: similar accepted texts
    raise it towards the learned score, similar rejected texts lower it; texts unlike any
    decided one leave it as it is (no evidence is not evidence against)."""
    if learned.score >= 0:
        mixed = (1 - learned.weight) * confidence + learned.weight * learned.score
        return max(confidence, mixed)
    return max(0.0, confidence + learned.weight * learned.score)


def invalidate() -> None:
    global _cache
    with _lock:
        _cache = None


def accepted_reason(scheme: str, learned: Learned) -> str:
    template = (
        _(
            "editors accepted this target for similar texts (%(n)d accepted, closest "
            "similarity %(sim).2f)"
        )
        if scheme == GBF_TARGETS
        else _(
            "editors accepted this subject for similar texts (%(n)d accepted, closest "
            "similarity %(sim).2f)"
        )
    )
    return template % {"n": learned.accepted, "sim": learned.closest}


def rejected_reason(learned: Learned) -> str:
    return _("editors rejected it for similar texts (%(n)d rejected)") % {"n": learned.rejected}
