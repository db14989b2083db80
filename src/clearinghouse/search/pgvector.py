"""Sentence vectors in PostgreSQL with the pgvector extension, when the server has it.

Used only where ``pg_available_extensions`` lists ``vector`` (and the connected role may create
it): the table ``search_embedding`` (record id, portal id, ``vector(512)``) with an HNSW index
for cosine distance (``vector_cosine_ops``) and a b-tree on the portal, created on demand like
the lexical index's tables (``search.backends``), so migrations stay the same on a PostgreSQL
without pgvector and on SQLite.

``search.RecordVector`` (float32 bytes) stays the portable copy of every vector: it is what the
numpy path searches, and the source of the one-time **backfill** when pgvector appears on a
database that already has vectors (:func:`backfill`: resumable, by record id, progress in
``search_embedding_state``). Until the backfill is complete, searches keep the numpy path;
:func:`store` and :func:`remove` write both copies from the moment the table exists, so nothing
published during a backfill is missed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from django.db import DatabaseError, connection, transaction

log = logging.getLogger(__name__)

TABLE = "search_embedding"
STATE = "search_embedding_state"
EF_SEARCH_MAX = 1000  # pgvector's upper bound for hnsw.ef_search
_available: dict[str, bool] = {}  # per database: the extension can be used


def _db_key() -> str:
    s = connection.settings_dict
    return f"{s.get('HOST')}:{s.get('PORT')}:{s.get('NAME')}"


def literal(vector: np.ndarray) -> str:
    """pgvector's text form ``[0.1,0.2,…]`` (float32 values round-trip exactly)."""
    return "[" + ",".join(map(repr, np.asarray(vector, dtype=np.float32).tolist())) + "]"


def extension_available() -> bool:
    """PostgreSQL whose server offers the ``vector`` extension (checked once per process)."""
    if connection.vendor != "postgresql":
        return False
    key = _db_key()
    if key not in _available:
        with connection.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
            _available[key] = cur.fetchone() is not None
    return _available[key]


def table_exists() -> bool:
    if not extension_available():  # cached: no query where the server has no pgvector
        return False
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [STATE])
        return bool(cur.fetchone()[0])


def ensure() -> bool:
    """Create the extension, table and indexes if the server offers pgvector; whether the
    table exists afterwards. A role that may not create the extension keeps the numpy path
    (logged once)."""
    if connection.vendor != "postgresql":
        return False
    if table_exists():
        return True
    if not extension_available():
        return False
    from clearinghouse.records.models import Record
    from clearinghouse.search.models import RecordVector

    records = Record._meta.db_table
    vectors = RecordVector._meta.db_table
    try:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("CREATE EXTENSION IF NOT EXISTS vector")
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (record_id BIGINT PRIMARY KEY "
                f"REFERENCES {records} (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED, "
                f"portal_id BIGINT NOT NULL, embedding vector(512) NOT NULL)"
            )
            cur.execute(
                f"CREATE INDEX IF NOT EXISTS {TABLE}_hnsw ON {TABLE} "
                f"USING hnsw (embedding vector_cosine_ops)"
            )
            cur.execute(f"CREATE INDEX IF NOT EXISTS {TABLE}_portal ON {TABLE} (portal_id)")
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {STATE} (id INTEGER PRIMARY KEY DEFAULT 1, "
                f"last_id BIGINT NOT NULL DEFAULT 0, done BOOLEAN NOT NULL DEFAULT FALSE)"
            )
            # Nothing to copy on a database without vectors: pgvector is used at once.
            cur.execute(
                f"INSERT INTO {STATE} (id, last_id, done) "
                f"SELECT 1, 0, NOT EXISTS (SELECT 1 FROM {vectors}) ON CONFLICT (id) DO NOTHING"
            )
    except DatabaseError as exc:
        log.warning("search: pgvector is available but could not be set up (%s)", exc)
        _available[_db_key()] = False
        return False
    return True


def state() -> tuple[int, bool] | None:
    """(last record id copied by the backfill, backfill done), or None without the table."""
    if not table_exists():
        return None
    with connection.cursor() as cur:
        cur.execute(f"SELECT last_id, done FROM {STATE} WHERE id = 1")
        row = cur.fetchone()
    return (int(row[0]), bool(row[1])) if row else (0, False)


def ready() -> bool:
    """Searches use pgvector: the table exists and holds every vector (backfill done)."""
    current = state()
    return current is not None and current[1]


def _insert(cur: Any, rows: Sequence[tuple[int, np.ndarray]], replace: bool) -> None:
    from clearinghouse.records.models import Record
    from clearinghouse.search.models import RecordVector

    if not rows:
        return
    conflict = (
        "DO UPDATE SET embedding = EXCLUDED.embedding, portal_id = EXCLUDED.portal_id"
        if replace
        else "DO NOTHING"  # backfill: a vector stored meanwhile is newer
    )
    values = ", ".join(["(%s::bigint, %s::vector)"] * len(rows))
    params: list[Any] = []
    for rid, vec in rows:
        params += [int(rid), literal(vec)]
    # Joined with the records and the portable copy: a record removed meanwhile gets no row.
    cur.execute(
        f"INSERT INTO {TABLE} (record_id, portal_id, embedding) "
        f"SELECT r.id, r.portal_id, v.e FROM (VALUES {values}) AS v (id, e) "
        f"JOIN {Record._meta.db_table} r ON r.id = v.id "
        f"JOIN {RecordVector._meta.db_table} rv ON rv.record_id = v.id "
        f"ON CONFLICT (record_id) {conflict}",
        params,
    )


def store(vectors: dict[int, np.ndarray]) -> None:
    """Write these records' vectors (called after ``RecordVector`` was written)."""
    if not vectors or not ensure():
        return
    items = list(vectors.items())
    with connection.cursor() as cur:
        for i in range(0, len(items), 500):
            _insert(cur, items[i : i + 500], replace=True)


def remove(record_ids: Sequence[int]) -> None:
    if record_ids and table_exists():
        with connection.cursor() as cur:
            cur.execute(
                f"DELETE FROM {TABLE} WHERE record_id = ANY(%s)", [[int(i) for i in record_ids]]
            )


def backfill(batch: int = 500, progress: Callable[[int, int], None] | None = None) -> int:
    """Copy the vectors of ``RecordVector`` not yet in ``search_embedding`` (resumable: the
    last record id copied is saved with each batch). Returns how many were copied; marks the
    table ready when done. ``progress(done, total)`` after each batch."""
    from clearinghouse.search import semantic
    from clearinghouse.search.models import RecordVector

    if not ensure():
        return 0
    current = state()
    assert current is not None
    last, done = current
    if done:
        return 0
    vectors = RecordVector._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {vectors}")
        total = int(cur.fetchone()[0])
        cur.execute(f"SELECT COUNT(*) FROM {vectors} WHERE record_id <= %s", [last])
        copied_before = int(cur.fetchone()[0])
    copied = 0
    while True:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                f"SELECT record_id, vector FROM {vectors} WHERE model = %s AND record_id > %s "
                f"ORDER BY record_id LIMIT %s",
                [semantic.MODEL_NAME, last, batch],
            )
            rows = cur.fetchall()
            if not rows:
                cur.execute(f"UPDATE {STATE} SET done = TRUE WHERE id = 1")
                break
            _insert(
                cur,
                [(r[0], np.frombuffer(bytes(r[1]), dtype=np.float32)) for r in rows],
                replace=False,
            )
            last = int(rows[-1][0])
            cur.execute(f"UPDATE {STATE} SET last_id = %s WHERE id = 1", [last])
        copied += len(rows)
        if progress is not None:
            progress(copied_before + copied, total)
    return copied


def _rows(cur: Any) -> list[tuple[int, float]]:
    return [(int(rid), 1.0 - float(dist)) for rid, dist in cur.fetchall() if dist is not None]


def nearest(
    query: np.ndarray, portal_id: int | None, limit: int, threshold: float
) -> list[tuple[int, float]]:
    """Records closest to the vector (cosine ≥ ``threshold``), best first, at most
    ``min(limit, 1000)`` (HNSW, ``ef_search`` raised to the limit). Within a portal: the HNSW
    scan filtered by portal; if that finds fewer than ``limit`` (the portal's records are rare
    among the nearest), an exact scan of the portal's records (its b-tree index)."""
    lit: str = literal(query)
    params: list[str | int]
    limit = min(limit, EF_SEARCH_MAX)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"SET LOCAL hnsw.ef_search = {max(40, limit)}")
        scope, params = "", [lit, limit]
        if portal_id is not None:
            scope, params = "WHERE portal_id = %s", [lit, portal_id, limit]
        cur.execute(
            f"SELECT record_id, embedding <=> %s::vector AS d FROM {TABLE} {scope} "
            f"ORDER BY d LIMIT %s",
            params,
        )
        found = _rows(cur)
        if portal_id is not None and len(found) < limit:
            cur.execute(  # "+ 0": an expression the HNSW index cannot serve, so exact
                f"SELECT record_id, embedding <=> %s::vector AS d FROM {TABLE} "
                f"WHERE portal_id = %s ORDER BY (embedding <=> %s::vector) + 0 LIMIT %s",
                [lit, portal_id, lit, limit],
            )
            found = _rows(cur)
    return [(rid, sim) for rid, sim in found if sim >= threshold]


def similar(record_id: int, limit: int, threshold: float) -> list[tuple[int, float]]:
    """Records closest to this record's stored vector (itself excluded), best first."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"SET LOCAL hnsw.ef_search = {max(40, min(limit + 1, EF_SEARCH_MAX))}")
        cur.execute(
            f"SELECT record_id, embedding <=> (SELECT embedding FROM {TABLE} "
            f"WHERE record_id = %s) AS d FROM {TABLE} ORDER BY d LIMIT %s",
            [record_id, limit + 1],
        )
        found = _rows(cur)
    return [(rid, sim) for rid, sim in found if rid != record_id and sim >= threshold][:limit]


def count() -> int:
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {TABLE}")
        return int(cur.fetchone()[0])
