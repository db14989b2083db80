"""One deployment of the platform, driven from outside: each call runs in its own process with
that deployment's environment (``CLEARINGHOUSE_DATA_DIR``, ``DATABASE_URL``, ``SECRET_KEY``).

    python -m tests.federation.deployment setup national --records 1200
    python -m tests.federation.deployment setup central --source http://127.0.0.1:8001/oai
    python -m tests.federation.deployment serve 8001
    python -m tests.federation.deployment harvest [--full] [--pause-dir DIR]
    python -m tests.federation.deployment due
    python -m tests.federation.deployment edit --edit 3 --delete 2 --add 1
    python -m tests.federation.deployment dump

Used by ``test_two_deployments.py`` and ``bench/federation_bench.py``. Every command but
``serve`` prints one JSON object on its last line of output."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def _django(page_size: int) -> None:
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.CLEARINGHOUSE_OAI_PAGE_SIZE = page_size


def setup(role: str, records: int, source: str) -> dict[str, Any]:
    import datetime as dt

    from django.core.management import call_command

    from clearinghouse.portals.models import PortalKind
    from tests.factories import make_portal

    call_command("migrate", verbosity=0)
    call_command("load_vocabularies", verbosity=0)
    if role == "national":
        from tests.federation.conftest import add_records

        portal = make_portal("bj", "BJ", hosts=[HOST])
        start, remaining = dt.datetime(2025, 1, 1, tzinfo=dt.UTC), records
        while remaining > 0:
            batch = min(remaining, 2000)
            add_records(portal, batch, start=start, step=dt.timedelta(milliseconds=1))
            start += dt.timedelta(seconds=batch)
            remaining -= batch
        return {"portal": portal.code, "records": records}
    from clearinghouse.federation.models import HarvestSource

    central = make_portal("central", "", hosts=[HOST], kind=PortalKind.CENTRAL)
    harvest_source = HarvestSource.objects.create(name="national", base_url=source, portal=central)
    return {"portal": central.code, "source": harvest_source.pk}


def serve(port: int) -> None:
    """Serve this deployment over HTTP (Django's threaded WSGI server, as ``runserver``)."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadedWSGIServer((HOST, port), Quiet)
    server.daemon_threads = True
    server.set_app(get_wsgi_application())
    server.serve_forever()


def harvest(full: bool, pause_dir: str, timeout: float = 0) -> dict[str, Any]:
    """Harvest the central deployment's source. With ``pause_dir``: after the first page is
    committed, write ``paused`` there and wait for ``go`` (the next page may already be on its
    way: the harvester fetches it while it imports the current one)."""
    from clearinghouse.federation.harvest import Harvester, http_get
    from clearinghouse.federation.models import HarvestJob, HarvestSource

    def fetch(url: str, params: Mapping[str, str]) -> bytes:
        return http_get(url, params, timeout=10)

    def on_page(job: HarvestJob) -> None:
        marker = Path(pause_dir)
        if pause_dir and not (marker / "paused").exists():
            (marker / "paused").write_text("1")
            deadline = time.monotonic() + 30
            while not (marker / "go").exists() and time.monotonic() < deadline:
                time.sleep(0.02)

    source = HarvestSource.objects.get()
    started, cpu = time.perf_counter(), time.process_time()
    job = Harvester(
        fetch=fetch, retries=1, backoff_s=0.1, on_page=on_page, timeout_s=timeout or None
    ).harvest(source, full=full)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "status": job.status,
        "error": job.error,
        "pages": job.pages,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "deleted": job.deleted,
        "quarantined": job.quarantined,
        "token": bool(job.resumption_token),
        "from": job.from_arg,
    }


def due() -> dict[str, Any]:
    """``clearinghouse harvest --due`` as cron calls it (the source is scheduled first)."""
    from io import StringIO

    from django.core.management import call_command

    from clearinghouse.federation.models import HarvestSource

    HarvestSource.objects.filter(scheduled=False).update(scheduled=True)
    out = StringIO()
    started = time.perf_counter()
    call_command("harvest", due=True, stdout=out, stderr=StringIO())
    return {"output": out.getvalue(), "seconds": time.perf_counter() - started}


def edit(edits: int, deletes: int, adds: int) -> dict[str, Any]:
    from clearinghouse.portals.models import Portal, Role
    from clearinghouse.records import services
    from clearinghouse.records.models import Record
    from tests.factories import make_user, valid_document

    portal = Portal.objects.get(code="bj")
    user = make_user(portal, Role.PUBLISHING_AUTHORITY)
    live = list(Record.objects.filter(portal=portal, deleted_at=None).order_by("id"))
    edited, deleted, added = [], [], []
    for record in live[1 : 1 + edits]:
        draft = services.edit_published(record, user)
        document = dict(draft.document)
        document["title"] = {"en": f"Edited {record.uid}", "fr": f"Modifié {record.uid}"}
        services.update_draft(record, user, document)
        services.publish(record, user)
        edited.append(record.uid)
    for record in live[-deletes:] if deletes else []:
        services.delete_record(record, user)
        deleted.append(record.uid)
    for _ in range(adds):
        record = services.create_draft(portal, user, "news", valid_document("news"))
        services.publish(record, user)
        added.append(record.uid)
    return {"edited": edited, "deleted": deleted, "added": added}


def dump() -> dict[str, Any]:
    """Every record of this deployment (uid → title, deleted) and the harvest state."""
    from django.db.models import Count

    from clearinghouse.federation.models import HarvestedRecord, HarvestJob
    from clearinghouse.records.models import Record

    records = {
        uid: {"title": (doc or {}).get("title"), "deleted": deleted_at is not None}
        for uid, doc, deleted_at in Record.objects.values_list(
            "uid", "published__document", "deleted_at"
        )
    }
    doubled = (
        HarvestedRecord.objects.values("source", "remote_identifier")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    jobs = [
        {"status": j.status, "pages": j.pages, "token": bool(j.resumption_token)}
        for j in HarvestJob.objects.order_by("pk")
    ]
    return {
        "records": records,
        "harvested": HarvestedRecord.objects.count(),
        "doubled": doubled,
        "jobs": jobs,
    }


# --- driving deployments from another process (the test, the benchmark) ----------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class Deployment:
    """A deployment's environment (its own data directory and SQLite database) and its server
    process. ``run`` calls one action of this module in a fresh process with that environment."""

    def __init__(self, directory: Path, page_size: int = 500) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.page_size = page_size
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}/oai"
        self.server: subprocess.Popen[bytes] | None = None
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "MEDIA_ROOT"}
        }
        self.env.update(
            CLEARINGHOUSE_DATA_DIR=str(directory),
            DATABASE_URL=f"sqlite:///{directory / 'db.sqlite3'}",
            DJANGO_SETTINGS_MODULE="clearinghouse.settings",
            SECRET_KEY=f"key-{directory.name}",
            CLEARINGHOUSE_SEARCH_SEMANTIC="false",
            PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        )

    def command(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "tests.federation.deployment",
            *args,
            "--page-size",
            str(self.page_size),
        ]

    def run(self, *args: str, timeout: float = 60, check: bool = True) -> dict[str, Any]:
        done = subprocess.run(
            self.command(*args),
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{args} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args),
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def start(self, timeout: float = 20) -> None:
        """Start the server and wait until it answers."""
        with open(self.directory / "server.log", "ab") as log:
            self.server = subprocess.Popen(
                self.command("serve", str(self.port)),
                env=self.env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"the server on port {self.port} exited")
            try:
                with urlopen(f"{self.url}?verb=Identify", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the server on port {self.port} did not answer in {timeout} s")

    def server_cpu_seconds(self) -> float:
        """CPU time (user and system) the server process has used so far (Linux)."""
        assert self.server is not None
        fields = Path(f"/proc/{self.server.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        """Kill the server at once (no clean shutdown: connections drop)."""
        if self.server is not None and self.server.poll() is None:
            self.server.kill()
            self.server.wait(timeout=10)
        self.server = None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("action", choices=["setup", "serve", "harvest", "due", "edit", "dump"])
    parser.add_argument("arg", nargs="?", default="")
    parser.add_argument("--records", type=int, default=0)
    parser.add_argument("--source", default="")
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--pause-dir", default="")
    parser.add_argument("--timeout", type=float, default=0)
    parser.add_argument("--edit", type=int, default=0)
    parser.add_argument("--delete", type=int, default=0)
    parser.add_argument("--add", type=int, default=0)
    args = parser.parse_args()
    _django(args.page_size)
    if args.action == "serve":
        serve(int(args.arg))
        return
    if args.action == "setup":
        result = setup(args.arg, args.records, args.source)
    elif args.action == "harvest":
        result = harvest(args.full, args.pause_dir, args.timeout)
    elif args.action == "due":
        result = due()
    elif args.action == "edit":
        result = edit(args.edit, args.delete, args.add)
    else:
        result = dump()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
