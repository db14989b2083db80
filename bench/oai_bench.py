"""ListRecords throughput of the OAI-PMH provider.

    .venv/bin/python bench/oai_bench.py [--records 20000] [--page-size 500]

Builds a throw-away SQLite database (or uses DATABASE_URL if set — it must be a scratch
database), publishes N resource records on one portal, then harvests them completely in every
format through Django's request handling (middleware, view, streaming; no network) following
the resumption tokens, and prints records per second (wall clock, and per second of this
process's CPU time, which is steadier on a shared machine). The harvests read the same portal
through the same handler, so their figures include serving the pages."""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="oai-bench-")
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    os.environ.setdefault("CLEARINGHOUSE_DATA_DIR", scratch)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    settings.CLEARINGHOUSE_OAI_PAGE_SIZE = args.page_size
    call_command("migrate", verbosity=0)

    from tests.factories import make_portal
    from tests.federation.conftest import add_records

    portal = make_portal("bj", "BJ", hosts=["bench.example.org"])
    t0 = time.perf_counter()
    remaining, start = args.records, dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    while remaining > 0:
        batch = min(remaining, 2000)
        add_records(portal, batch, start=start, step=dt.timedelta(milliseconds=1))
        start += dt.timedelta(seconds=batch)
        remaining -= batch
    print(f"{args.records} records created in {time.perf_counter() - t0:.1f} s")

    client = Client(HTTP_HOST="bench.example.org")
    token_re = re.compile(rb"<resumptionToken[^>]*>([^<]*)</resumptionToken>")
    for verb, prefix, note in (
        ("ListRecords", "cbd", "cold: builds the set index"),
        ("ListRecords", "cbd", ""),
        ("ListRecords", "oai_dc", ""),
        ("ListIdentifiers", "cbd", ""),
    ):
        started, cpu = time.perf_counter(), time.process_time()
        params = {"verb": verb, "metadataPrefix": prefix}
        pages = size = count = 0
        while True:
            body = b"".join(client.get("/oai", params).streaming_content)
            pages += 1
            size += len(body)
            count += body.count(b"<header")
            match = token_re.search(body)
            if not match or not match.group(1):
                break
            params = {"verb": verb, "resumptionToken": match.group(1).decode()}
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert count == args.records, (count, args.records)
        print(
            f"{verb:15} {prefix:6} {count} records, {pages} pages, {size / 1e6:.1f} MB "
            f"in {elapsed:.2f} s: {count / elapsed:,.0f} records/s "
            f"({count / cpu:,.0f} per CPU second)" + (f", {note}" if note else "")
        )

    # The harvester, reading the same portal through the same handler (no network).
    from clearinghouse.federation.harvest import Harvester
    from clearinghouse.federation.models import HarvestSource
    from clearinghouse.portals.models import PortalKind

    central = make_portal("central", "", hosts=["central.example.org"], kind=PortalKind.CENTRAL)
    source = HarvestSource.objects.create(
        name="bench", base_url="http://bench.example.org/oai", portal=central
    )

    def fetch(url: str, params: Mapping[str, str]) -> bytes:
        return b"".join(client.get("/oai", dict(params)).streaming_content)

    for label in ("first harvest", "re-harvest, unchanged"):
        started, cpu = time.perf_counter(), time.process_time()
        job = Harvester(fetch=fetch).harvest(source, full=True)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        done = job.created + job.updated + job.unchanged
        assert done == args.records, job.error
        print(
            f"harvest ({label}): {done} records in {elapsed:.2f} s: "
            f"{done / elapsed:,.0f} records/s ({done / cpu:,.0f} per CPU second)"
        )


if __name__ == "__main__":
    main()
