"""The shared memory-mapped vector file (search/vector_cache.py): real separate processes open
it without reloading or re-projecting, a publication or deletion makes it stale and is merged
in, a damaged file is ignored and rebuilt, and results equal the in-memory path. Without
pgvector (SQLite, or the Debian PostgreSQL 15 of CI) semantic search stays on numpy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.db import connection

from clearinghouse.records import services
from clearinghouse.search import pgvector, semantic, service, vector_cache
from clearinghouse.search.models import RecordVector
from tests.factories import valid_document

ROOT = Path(__file__).resolve().parents[2]
needs_model = pytest.mark.skipif(not semantic.available(), reason="no sentence encoder")


def fresh_process() -> None:
    """What a newly started worker holds: nothing."""
    semantic._matrix = semantic._Matrix()


@pytest.fixture
def cache(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.CLEARINGHOUSE_VECTOR_CACHE = str(tmp_path / "vector-cache")
    settings.CLEARINGHOUSE_VECTOR_CACHE_MIN = 0
    fresh_process()
    yield tmp_path / "vector-cache"
    fresh_process()


def files(folder: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.rglob("*.npy"))}


# --- separate processes -------------------------------------------------------------------


def run(folder: Path, *args: str, cache: bool = True) -> dict[str, Any]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "CLEARINGHOUSE_DATA_DIR": str(folder),
        "SECRET_KEY": "test",
        "CLEARINGHOUSE_VECTOR_CACHE": str(folder / "cache") if cache else "",
        "CLEARINGHOUSE_VECTOR_CACHE_MIN": "0",
        "EXACT_MAX": "1000",  # 3,000 vectors: the projected (128-d) matrix
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.search.vector_process", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_worker_processes_share_one_file(tmp_path: Path) -> None:
    run(tmp_path, "setup", "3000")
    first = run(tmp_path, "query")  # loads from the table, projects, writes the file
    assert first["stats"] == {
        "full_loads": 1,
        "cache_opens": 0,
        "stale_opens": 0,
        "cache_writes": 1,
    }
    assert first["mapped"] and first["rows"] == 3000
    written = files(tmp_path / "cache")
    assert any(n.startswith("basis-") for n in written)  # projected: the basis is kept

    second = run(tmp_path, "query")  # a new worker: maps the file, no load, no projection
    assert second["stats"] == {
        "full_loads": 0,
        "cache_opens": 1,
        "stale_opens": 0,
        "cache_writes": 0,
    }
    assert second["mapped"] and files(tmp_path / "cache") == written
    assert second["hits"] == first["hits"]
    assert [h[0][0] for h in second["hits"][1:]] == list(range(1, 25))  # each finds itself

    in_memory = run(tmp_path, "query", cache=False)  # the same answers without any file
    assert in_memory["hits"] == first["hits"] and not in_memory["mapped"]

    gone = [h[0][0] for h in first["hits"][1:4]]
    run(tmp_path, "remove", *map(str, gone))  # records unpublished by another process
    third = run(tmp_path, "query")
    assert third["stats"]["stale_opens"] == 1 and third["stats"]["full_loads"] == 0
    assert not {rid for hits in third["hits"] for rid, _s in hits} & set(gone)
    assert third["stats"]["cache_writes"] == 1 and files(tmp_path / "cache") != written
    assert run(tmp_path, "query")["stats"]["stale_opens"] == 0  # the rewritten file is current


# --- in this process, with real publications ----------------------------------------------


@needs_model
def test_a_publication_or_deletion_makes_the_file_stale(
    cache: Path,
    publish_corpus: Callable,
    benin: Any,
    jean: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    publish_corpus()
    text = "Mangrove restoration guide"
    before = dict(semantic.stats)
    service.closest(text, None, 5)
    assert semantic._matrix.mapped and semantic.stats["cache_writes"] == before["cache_writes"] + 1

    with django_capture_on_commit_callbacks(execute=True):
        record = services.create_draft(benin, jean, "resource", valid_document("resource"))
        services.publish(record, jean)
    fresh_process()
    opens = semantic.stats["stale_opens"]
    assert service.closest(text, None, 1)[0][0] == record.pk  # merged into the mapped file
    assert semantic.stats["stale_opens"] == opens + 1 and semantic._matrix.mapped

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_record(record, jean)
    fresh_process()
    assert record.pk not in {r for r, _s in service.closest(text, None, 50, -1.0)}
    assert semantic.stats["stale_opens"] == opens + 2
    stamp = vector_cache.describe()
    assert stamp is not None and stamp["rows"] == RecordVector.objects.count()


@needs_model
@pytest.mark.parametrize("damage", ["truncated", "garbage stamp", "wrong shape", "gone"])
def test_a_damaged_file_is_ignored_and_rebuilt(
    cache: Path, publish_corpus: Callable, client: Any, damage: str
) -> None:
    publish_corpus()
    expected = service.closest("plastic pollution in the ocean", None, 5)
    folder = vector_cache.directory()
    assert folder is not None
    stamp = json.loads((folder / "stamp.json").read_text())
    matrix = folder / f"matrix-{stamp['gen']}.npy"
    if damage == "truncated":
        matrix.write_bytes(matrix.read_bytes()[:1000])
    elif damage == "garbage stamp":
        (folder / "stamp.json").write_text("{not json")
    elif damage == "wrong shape":
        np.save(matrix, np.zeros((3, 7), dtype=np.float32))
    else:
        matrix.unlink()
    fresh_process()
    loads = semantic.stats["full_loads"]
    assert service.closest("plastic pollution in the ocean", None, 5) == expected
    assert semantic.stats["full_loads"] == loads + 1  # rebuilt from the table …
    assert json.loads((folder / "stamp.json").read_text())["gen"] != stamp["gen"]  # … and rewritten
    # Over HTTP: a worker finding the (new) file damaged still answers.
    new = json.loads((folder / "stamp.json").read_text())["gen"]
    (folder / f"matrix-{new}.npy").write_bytes(b"\x93NUMPY")
    fresh_process()
    response = client.get(
        "/api/search?q=plastic+pollution&mode=semantic", HTTP_HOST="central.testserver"
    )
    assert response.status_code == 200 and response.json()["mode"] == "semantic"


@needs_model
def test_results_equal_the_in_memory_path(
    cache: Path, publish_corpus: Callable, settings: Any, monkeypatch: Any
) -> None:
    publish_corpus()
    queries = ["restauración de ecosistemas", "загрязнение пластиком", "城市绿地", "invasive"]
    for exact_max in (50_000, 10):  # exact float32 matrix; projected + re-scored
        monkeypatch.setattr(semantic, "EXACT_MAX", exact_max)
        monkeypatch.setattr(semantic, "RERANK_MIN", 8)
        settings.CLEARINGHOUSE_VECTOR_CACHE = ""
        fresh_process()
        plain = [service.closest(q, None, 6, 0.0) for q in queries]
        assert not semantic._matrix.mapped
        settings.CLEARINGHOUSE_VECTOR_CACHE = str(cache / str(exact_max))
        fresh_process()
        assert [service.closest(q, None, 6, 0.0) for q in queries] == plain  # writes the file
        fresh_process()
        assert [service.closest(q, None, 6, 0.0) for q in queries] == plain  # maps it
        assert semantic._matrix.mapped


# --- without pgvector ---------------------------------------------------------------------


@needs_model
def test_without_pgvector_the_numpy_path_serves(publish_corpus: Callable) -> None:
    if pgvector.extension_available():
        pytest.skip("this database server has pgvector (see test_vectors_pgvector.py)")
    publish_corpus()
    assert not semantic.uses_pgvector() and not pgvector.table_exists()
    if connection.vendor == "postgresql":  # the table is only created where pgvector exists
        with connection.cursor() as cur:
            cur.execute("SELECT to_regclass('search_embedding')")
            assert cur.fetchone()[0] is None
    assert semantic.vector_path().startswith("numpy")
    hits = service.search("restoring degraded ecosystems", None, mode="semantic").hits
    assert hits and all("closest" in h.matched_by for h in hits)
    out = StringIO()
    call_command("search_status", stdout=out)
    assert "Semantic search: numpy" in out.getvalue()
    assert f"Sentence vectors stored: {RecordVector.objects.count()}" in out.getvalue()
