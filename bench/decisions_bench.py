"""Decisions: Akoma Ntoso export/import, the decision page with many citing records, and the
InforMEA feed.

    .venv/bin/python bench/decisions_bench.py [--paragraphs 200] [--citing 5000] [--events 10000]

Builds a throw-away SQLite database (or uses DATABASE_URL if set — it must be a scratch
database), loads the vocabularies, publishes one decision with P paragraphs (each with three
sub-paragraphs), C resources citing its paragraphs and E events, then times, through Django's
request handling (no network): the AKN export, the schema load and validation, the import
of the exported file (validation, merge, record validation, draft), the decision page (which
finds the citing records), and InforMEA pages of 1,000 meetings."""

from __future__ import annotations

import argparse
import atexit
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def timed(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--paragraphs", type=int, default=200)
    parser.add_argument("--citing", type=int, default=5000)
    parser.add_argument("--events", type=int, default=10000)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="decisions-bench-")
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    os.environ.setdefault("CLEARINGHOUSE_DATA_DIR", scratch)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    from tests.factories import make_portal, make_user, valid_document
    from tests.federation.conftest import add_records

    from clearinghouse.federation import akn
    from clearinghouse.portals.models import PortalKind, Role
    from clearinghouse.records import services
    from clearinghouse.records.models import Record
    from clearinghouse.vocabularies.seed import load_all

    load_all()
    central = make_portal("central", "", hosts=["cbd.bench"], kind=PortalKind.CENTRAL)
    laila = make_user(central, Role.SECRETARIAT, Role.MANAGER, username="laila")
    paragraphs = [
        {
            "num": str(n),
            "text": {"en": f"Paragraph {n} of the decision, with some words of text."},
            "subparagraphs": [
                {"num": c, "text": {"en": f"Sub-paragraph ({c}) of paragraph {n}."}} for c in "abc"
            ],
        }
        for n in range(1, args.paragraphs + 1)
    ]
    doc = valid_document("decision", paragraphs=paragraphs, header={"languages": ["en"]})
    doc["title"] = {"en": doc["title"]["en"]}
    doc["preamble"] = {"en": doc["preamble"]["en"]}
    decision = services.create_draft(central, laila, "decision", doc)
    services.publish(decision, laila)
    decision.refresh_from_db()
    t0 = time.perf_counter()
    remaining, n = args.citing, 0
    while remaining > 0:
        batch = min(remaining, max(1, args.citing // 20))
        cites = [{"identifier": decision.uid, "paragraph": f"para_{1 + n % args.paragraphs}"}]
        add_records(central, batch, "resource", decisionCitations=cites)
        remaining -= batch
        n += 1
    add_records(
        central,
        args.events,
        "event",
        start=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        step=dt.timedelta(seconds=1),
    )
    print(f"set-up: {time.perf_counter() - t0:.1f} s")
    client = Client(HTTP_HOST="cbd.bench")
    units = args.paragraphs * 4

    xml = client.get(f"/decisions/{decision.uid}.akn.xml").content
    print(
        f"decision: {args.paragraphs} paragraphs + {3 * args.paragraphs} sub-paragraphs, "
        f"AKN {len(xml) / 1024:.0f} KiB"
    )
    export = timed(lambda: client.get(f"/decisions/{decision.uid}.akn.xml"))
    print(
        f"AKN export (HTTP, in process): {export * 1000:.0f} ms "
        f"({units / export:,.0f} paragraphs/s)"
    )
    t0 = time.perf_counter()
    akn.schema()
    print(f"AKN schema load (once per process): {time.perf_counter() - t0:.2f} s")
    check = timed(lambda: akn.check_schema(xml))
    print(f"AKN schema validation: {check * 1000:.0f} ms")
    Record.objects.filter(pk=decision.pk).update(deleted_at=dt.datetime.now(dt.UTC))
    imported = timed(lambda: akn.import_files(central, [("x", xml)]), repeat=3)
    print(f"AKN import (validate, parse, merge, check, store draft): {imported * 1000:.0f} ms")
    Record.objects.filter(pk=decision.pk).update(deleted_at=None)

    page = timed(lambda: client.get(f"/en/r/{decision.uid}/"))
    body = client.get(f"/en/r/{decision.uid}/").content.decode()
    cited = body.count('class="cited-by"')
    print(
        f"decision page with {args.citing:,} citing records: {page * 1000:.0f} ms "
        f"({cited} paragraphs cited)"
    )
    feed = timed(lambda: client.get("/informea/Meetings", {"$top": "1000"}))
    print(
        f"InforMEA Meetings, $top=1000 of {args.events:,}: {feed * 1000:.0f} ms "
        f"({1000 / feed:,.0f} entities/s)"
    )
    since = timed(
        lambda: client.get(
            "/informea/Meetings",
            {
                "$filter": "updated gt datetime'2025-01-01T02:00:00'",
                "$top": "1000",
                "$skip": "5000",
            },
        )
    )
    print(f"InforMEA Meetings, $filter + $skip=5000: {since * 1000:.0f} ms")


if __name__ == "__main__":
    main()
