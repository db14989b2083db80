"""Shared set-up for the benchmarks: a throw-away data directory and database, the shipped
vocabularies, one national portal with a publisher and an authorized user, and valid
documents of several record types (the same shapes as tests/factories.py)."""

from __future__ import annotations

import copy
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

# One valid document per record type the benchmarks publish; ``document(i)`` varies titles.
TEMPLATES: dict[str, dict[str, Any]] = {
    "resource": {
        "header": {"languages": ["fr", "en"]},
        "title": {"fr": "Guide de restauration des mangroves", "en": "Mangrove restoration guide"},
        "resourceTypes": [{"identifier": "RT-GUIDANCE"}],
        "authors": "A. Author",
        "organizations": "Ministry of Environment",
        "publicationDate": "2025-01-31",
        "resourceLinks": [{"url": "https://example.org/guide.pdf"}],
        "summary": {"fr": "Un guide pratique.", "en": "A practical guide."},
        "countryRegions": [{"identifier": "bj"}, {"identifier": "tg"}],
        "cbdSubjects": [
            {"identifier": "CBD-SUBJECT-RESTORATION"},
            {"identifier": "CBD-SUBJECT-MAR"},
        ],
        "gbfTargets": [{"identifier": "GBF-TARGET-02"}, {"identifier": "GBF-TARGET-03"}],
    },
    "event": {
        "header": {"languages": ["en"]},
        "title": {"en": "Regional NBSAP dialogue"},
        "eventType": {"identifier": "ET-WORKSHOP"},
        "startDate": "2026-03-02",
        "endDate": "2026-03-04",
        "country": {"identifier": "bj"},
        "gbfTargets": [{"identifier": "GBF-TARGET-01"}],
    },
    "nationalTarget7": {
        "header": {"languages": ["fr"]},
        "title": {"fr": "Cible nationale 2"},
        "description": {"fr": "Restaurer 30 % des écosystèmes dégradés d'ici 2030."},
        "globalTargetAlignment": [
            {"identifier": "GBF-TARGET-02", "degreeOfAlignment": {"identifier": "DOA-HIGH"}}
        ],
    },
    "caseStudy": {
        "header": {"languages": ["en"]},
        "title": {"en": "Community forest restoration"},
        "summary": {"en": "Farmers restored native forest."},
        "buildingBlocks": [
            {"title": {"en": "Mapping"}, "description": {"en": "Participatory mapping."}}
        ],
        "gbfTargets": [{"identifier": "GBF-TARGET-02"}],
    },
    "news": {
        "header": {"languages": ["en"]},
        "title": {"en": "Portal launched"},
        "date": "2026-01-15",
        "body": {"en": "The national portal is live."},
    },
}
SCHEMAS = list(TEMPLATES)


def document(i: int) -> tuple[str, dict[str, Any]]:
    """The ``i``-th benchmark document (record types in rotation, numbered titles)."""
    schema = SCHEMAS[i % len(SCHEMAS)]
    doc = copy.deepcopy(TEMPLATES[schema])
    doc["title"] = {lang: f"{text} #{i}" for lang, text in doc["title"].items()}
    return schema, doc


def environment(data_dir: Path, database_url: str = "") -> dict[str, str]:
    """Environment variables for this process and for servers it starts."""
    env = {
        "CLEARINGHOUSE_DATA_DIR": str(data_dir),
        "SECRET_KEY": "benchmark-only-not-secret",
        "DEBUG": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def configure(data_dir: Path, database_url: str = "") -> None:
    """Point Django at ``data_dir`` (SQLite) or ``database_url`` and set it up."""
    os.environ.update(environment(data_dir, database_url))
    if not database_url:
        os.environ.pop("DATABASE_URL", None)
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


def build_schema() -> dict[str, int]:
    """``migrate`` and ``load_vocabularies``."""
    from django.core.management import call_command

    from clearinghouse.vocabularies.seed import load_all

    call_command("migrate", verbosity=0)
    return load_all()


def make_portal(host: str = "127.0.0.1") -> tuple[Any, Any, Any]:
    """Benin's portal on ``host``, with a publishing authority and an authorized user."""
    from django.contrib.auth import get_user_model

    from clearinghouse.portals.models import PortalStatus, Role
    from clearinghouse.portals.services import grant, provision_portal

    portal = provision_portal(
        "BJ", ["fr", "en"], "manager.bj@example.org", hosts=[host], status=PortalStatus.LIVE
    ).portal
    users = get_user_model().objects
    jean = users.create_user("jean", "jean@example.org", "benchmark-password")
    amina = users.create_user("amina", "amina@example.org", "benchmark-password")
    grant(portal, jean, Role.PUBLISHING_AUTHORITY)
    grant(portal, amina, Role.AUTHORIZED_USER)
    return portal, jean, amina


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    import django

    return {
        "cpus": str(os.cpu_count()),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "django": django.get_version(),
        "kernel": platform.release(),
    }


def tool_version(*command: str) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def vector_process(database_url: str, folder: Path, cache: str, *args: str) -> dict[str, object]:
    """Run ``tests.search.vector_process`` (``setup N`` or ``query``) in a fresh process on
    ``database_url``, the vector file in ``cache`` ("" for none); its JSON line, with the
    process's wall time (``process_s``)."""
    import json
    import time

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CLEARINGHOUSE_DATA_DIR": str(folder),
        "SECRET_KEY": "bench",
        "CLEARINGHOUSE_VECTOR_CACHE": cache,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tests.search.vector_process", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = round(time.perf_counter() - started, 2)
    return result


def in_test_database(prefix: str, run: Any, *args: Any) -> None:
    """``run(*args)`` in a throw-away test database (SQLite: a file in a temporary folder,
    WAL as in production, not ``:memory:``), destroyed afterwards."""
    import tempfile

    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    tmp = tempfile.mkdtemp(prefix=prefix)
    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = os.path.join(tmp, "bench.sqlite3")
    db_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(*args)
    finally:
        connection.creation.destroy_test_db(db_name, verbosity=0)


def timed(fn: Any, items: list[Any]) -> list[float]:
    """Milliseconds of ``fn(item)`` for each item, after one warm-up call."""
    import time

    fn(items[0])
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t) * 1000)
    return out


def pct(values: list[float], p: float) -> float:
    """The ``p`` quantile of ``values`` (nearest rank)."""
    values = sorted(values)
    return values[min(len(values) - 1, round(p * (len(values) - 1)))]
