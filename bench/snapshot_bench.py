"""WARC snapshot of a served portal, and the IATI activity export, over real HTTP.

    .venv/bin/python bench/snapshot_bench.py [--records 300] [--initiatives 1000]

Sets up one deployment in a scratch directory (``tests/federation/deployment.py``: migrate,
load_vocabularies, Benin's portal on host 127.0.0.1, N published resource records), publishes
M capacity-building initiatives, serves it with Django's threaded WSGI server in its own
process, then:

1. ``clearinghouse snapshot`` of the whole portal (every record page in French and English,
   browse pages, static assets) in a process with the deployment's environment: one worker
   with the server's page cache cold, one worker again (warm), ``--workers`` (4) warm: pages,
   pages per second, WARC size;
2. ``GET /iati/activities.xml`` (all initiatives): time, size, activities per second, and the
   time to validate the answer against the official IATI 2.03 schema with libxml2;
3. ``clearinghouse import_iati`` of that file into the same portal (each activity updates its
   initiative: a new draft).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.federation.deployment import HOST, Deployment  # noqa: E402

XSD = ROOT / "src/clearinghouse/federation/schemas/iati-2.03/iati-activities-schema.xsd"

PUBLISH = """
import django, os, copy
django.setup()
from clearinghouse.portals.models import Portal
from clearinghouse.records import services
from clearinghouse.records.models import Draft
from tests.factories import make_user, valid_document
from clearinghouse.portals.models import Role
portal = Portal.objects.get(code="bj")
user = make_user(portal, Role.PUBLISHING_AUTHORITY)
for i in range({count}):
    doc = valid_document("capacityBuildingInitiative")
    doc["header"] = {{"languages": ["fr", "en"]}}
    doc["title"] = {{"fr": f"Initiative {{i}}", "en": f"Initiative {{i}}"}}
    doc["description"] = {{"fr": "Former des gestionnaires.", "en": "Train managers."}}
    doc["countryRegions"] = [{{"identifier": "bj"}}, {{"identifier": "tg"}}]
    doc["implementingAgencies"] = "Ministry of Environment"
    record = services.create_draft(portal, user, "capacityBuildingInitiative", doc)
    services.publish(record, user)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--initiatives", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4, help="also snapshot with N workers")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="snapshot-bench-"))
    site = Deployment(scratch / "national")
    try:
        site.run("setup", "national", "--records", str(args.records), timeout=600)
        subprocess.run(
            [sys.executable, "-c", PUBLISH.format(count=args.initiatives)],
            env=site.env,
            cwd=ROOT,
            check=True,
            timeout=1200,
        )
        site.start()
        base = f"http://{HOST}:{site.port}"
        # the server caches anonymous pages: the first run is cold, the next ones warm
        for run, workers in enumerate([1, 1, args.workers]):
            cache = "cold cache" if run == 0 else "warm cache"
            out = scratch / f"portal-{run}.warc.gz"
            command = ["snapshot", str(out), "--portal", base, "--quiet", "--max-pages", "100000"]
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "clearinghouse", *command, "--workers", str(workers)],
                env=site.env,
                cwd=ROOT,
                check=True,
                capture_output=True,
                text=True,
                timeout=1800,
            )
            took = time.perf_counter() - started
            pages = int(done.stdout.split(": ", 1)[1].split()[0])
            size = out.stat().st_size
            print(done.stdout.strip())
            print(
                f"snapshot, {workers} worker(s), {cache}: {pages} pages in {took:.1f} s "
                f"({pages / took:.0f} pages/s, process start included); "
                f"WARC {size / 1024 / 1024:.1f} MB gzip"
            )

        started = time.perf_counter()
        with urlopen(f"{base}/iati/activities.xml", timeout=600) as response:
            body = response.read()
        took = time.perf_counter() - started
        count = body.count(b"<iati-activity ")
        print(
            f"IATI export: {count} activities in {took:.2f} s ({count / took:.0f}/s), "
            f"{len(body) / 1024 / 1024:.1f} MB"
        )
        from lxml import etree

        started = time.perf_counter()
        schema = etree.XMLSchema(etree.parse(str(XSD)))
        ok = schema.validate(etree.fromstring(body))
        print(f"IATI 2.03 schema validation (libxml2): {ok}, {time.perf_counter() - started:.2f} s")

        # import the export again: every activity updates its own initiative (a new draft)
        xml = scratch / "activities.xml"
        xml.write_bytes(body)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "clearinghouse", "import_iati", str(xml), "--portal", "bj"],
            env=site.env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        took = time.perf_counter() - started
        print(done.stdout.strip().splitlines()[-1])
        print(
            f"IATI import: {count} activities in {took:.1f} s ({count / took:.0f}/s, process "
            "start included)"
        )
    finally:
        site.stop()
        if "--keep" not in sys.argv:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            print(f"kept {scratch}")


if __name__ == "__main__":
    main()
