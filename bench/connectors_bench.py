"""Import throughput of the CBD-index and PANORAMA connectors over real loopback HTTP.

    .venv/bin/python bench/connectors_bench.py [--docs 5000] [--rows 500]

Builds a throw-away SQLite database (or uses DATABASE_URL if set — it must be a scratch
database), serves N synthetic Solr documents (resources, events, organizations, 1 in 20 of a
type that is not imported, 1 in 50 malformed) and N/10 PANORAMA solutions from the loopback
test server, imports them, imports them again (nothing changed) and once more after changing
one title in ten, and prints documents per second (wall clock, and per second of this
process's CPU time, which is steadier on a shared machine)."""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def solr_docs(n: int) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    kinds = ["resource", "event", "organization"]
    for i in range(n):
        doc: dict[str, Any] = {
            "identifier_s": f"52000000CBD{i:012d}",
            "schema_s": kinds[i % 3],
            "realm_ss": ["CHM"],
            "title_EN_t": f"Document {i} on biodiversity and ecosystem restoration",
            "title_FR_t": f"Document {i} sur la biodiversité et la restauration",
            "summary_EN_t": "A summary of some length. " * 8,
            "url_ss": [f"https://www.cbd.int/doc/{i}.pdf"],
            "thematicAreas_ss": ["CBD-SUBJECT-RESTORATION", "CBD-SUBJECT-MAR"],
            "updatedDate_dt": "2024-06-12T09:41:07Z",
        }
        if kinds[i % 3] == "event":
            doc |= {"startDate_dt": "2024-09-10T00:00:00Z", "endDate_dt": "2024-09-12T00:00:00Z"}
        if i % 20 == 7:
            doc["schema_s"] = "absPermit"
        if i % 50 == 11:
            doc["title_EN_t"] = 42
        docs.append(doc)
    return docs


def solutions(n: int) -> list[dict[str, Any]]:
    block = {
        "title": "Block",
        "description": "What was done.",
        "enabling_factors": "Support.",
        "lessons_learned": "Lessons.",
    }
    return [
        {
            "id": 10_000 + i,
            "url": f"https://panorama.solutions/en/solution/{i}",
            "language": "en",
            "title": f"Solution {i}",
            "summary": "A solution summary. " * 10,
            "countries": ["BJ"],
            "context": "Context.",
            "challenges": "Challenges.",
            "beneficiaries": "Beneficiaries.",
            "impacts": "Impacts.",
            "building_blocks": [block, block, block],
        }
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=500)
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="connectors-bench-")
    atexit.register(shutil.rmtree, scratch, ignore_errors=True)
    os.environ.setdefault("CLEARINGHOUSE_DATA_DIR", scratch)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tests.connectors.server import loopback_server
    from tests.factories import make_portal

    from clearinghouse.federation.connectors import cbd_index, panorama
    from clearinghouse.federation.connectors.imports import run_import
    from clearinghouse.portals.models import PortalKind
    from clearinghouse.vocabularies.seed import load_all

    load_all()
    central = make_portal("central", kind=PortalKind.CENTRAL, hosts=["central.example.org"])
    benin = make_portal("bj", "BJ", hosts=["bj.example.org"])
    docs = solr_docs(args.docs)
    sols = solutions(max(1, args.docs // 10))
    page = 50

    def select(params: dict[str, str]) -> tuple[int, bytes]:
        start, rows = int(params["start"]), int(params["rows"])
        body = {
            "response": {"numFound": len(docs), "start": start, "docs": docs[start : start + rows]}
        }
        return 200, json.dumps(body).encode()

    def solution_page(params: dict[str, str]) -> tuple[int, bytes]:
        n = int(params["page"])
        results = sols[(n - 1) * page : n * page]
        more = n * page < len(sols)
        return 200, json.dumps(
            {"count": len(sols), "next": "more" if more else None, "results": results}
        ).encode()

    def timed(label: str, run: Any, count: int) -> None:
        w0, c0 = time.perf_counter(), time.process_time()
        job = run()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        print(
            f"{label:<44} {count:>6} docs  {wall:6.2f} s  {count / wall:7.0f}/s wall  "
            f"{count / cpu:7.0f}/s CPU   created {job.created} updated {job.updated} "
            f"unchanged {job.unchanged} skipped {job.skipped} quarantined {job.quarantined}"
        )
        assert job.status == "done", job.error

    with loopback_server() as server:
        server.handlers["/index"] = select
        server.handlers["/solutions"] = solution_page
        index = cbd_index.new_source(central, "*:*", server.root + "/index")
        connector = cbd_index.CbdIndexConnector(rows=args.rows)
        n = len(docs)
        timed("CBD index, first import", lambda: run_import(index, connector), n)
        timed("CBD index, again (nothing changed)", lambda: run_import(index, connector), n)
        for doc in docs[::10]:
            if isinstance(doc["title_EN_t"], str):
                doc["title_EN_t"] += " (revised)"
        timed("CBD index, again (1 in 10 changed)", lambda: run_import(index, connector), n)
        source = panorama.new_source(benin, "BJ", server.root + "/solutions")
        pconn = panorama.PanoramaConnector()
        m = len(sols)
        timed("PANORAMA, first import (pages of 50)", lambda: run_import(source, pconn), m)
        timed("PANORAMA, again (nothing changed)", lambda: run_import(source, pconn), m)


if __name__ == "__main__":
    main()
