"""Harvest time between two local deployments: full versus incremental.

    .venv/bin/python bench/federation_bench.py [--records 100000] [--page-size 500] [--repeat 3]

Sets up two deployments in scratch directories, each with its own data directory and SQLite
database (``tests/federation/deployment.py``: migrate, load_vocabularies, one portal), publishes
N resource records on the national one, serves it over HTTP on 127.0.0.1 (Django's threaded
WSGI server, in its own process) and harvests it from the central one (``Harvester`` in a
process with the central deployment's environment):

1. full harvest, first copy (creates records, revisions, provenance, audit entries), ``--repeat``
   times, each into the central database as it was before the first one (to show the spread);
2. full harvest again, nothing changed (reads every page, writes nothing);
3. incremental harvest, nothing changed (``from`` = the last harvest's start less the overlap).

The records are bulk-loaded at the source, so its OAI set index is empty: the first list
request builds it (a one-time cost of every provider after a bulk load, printed separately) and
is made before the timed harvests.

Prints the harvest time measured inside the harvesting process (without its start-up) and the
records per second. With the default 100,000 records it runs in about 4 minutes on 2 cores."""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.federation.deployment import Deployment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=1, help="first copies to time")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="federation-bench-"))
    national = Deployment(scratch / "national", page_size=args.page_size)
    central = Deployment(scratch / "central", page_size=args.page_size)
    try:
        started = time.perf_counter()
        setups = [
            national.spawn("setup", "national", "--records", str(args.records)),
            central.spawn("setup", "central", "--source", national.url),
        ]
        for process in setups:
            _, err = process.communicate(timeout=600)
            if process.returncode:
                raise SystemExit(err)
        national.start()
        print(
            f"two deployments set up, {args.records} records published, in "
            f"{time.perf_counter() - started:.1f} s; page size {args.page_size}"
        )
        database = central.directory / "db.sqlite3"
        pristine = central.directory / "db.before-harvest"
        shutil.copyfile(database, pristine)
        warm = time.perf_counter()
        with urlopen(f"{national.url}?verb=ListIdentifiers&metadataPrefix=cbd", timeout=600):
            pass
        print(f"source's set index built by its first list: {time.perf_counter() - warm:.1f} s")
        runs = [("full, first copy", ["--full"])] * args.repeat + [
            ("full again, unchanged", ["--full"]),
            ("incremental, nothing changed", []),
        ]
        rates: list[float] = []
        for number, (label, extra) in enumerate(runs):
            if label == "full, first copy" and number:
                for suffix in ("-wal", "-shm"):
                    Path(f"{database}{suffix}").unlink(missing_ok=True)
                shutil.copyfile(pristine, database)
            wall, served = time.perf_counter(), national.server_cpu_seconds()
            job = central.run("harvest", *extra, timeout=1800)
            wall = time.perf_counter() - wall
            served = national.server_cpu_seconds() - served
            assert job["status"] == "done", job["error"]
            read = job["created"] + job["updated"] + job["unchanged"] + job["deleted"]
            rate = f"{read / job['seconds']:,.0f} records/s" if read else "—"
            if label == "full, first copy":
                rates.append(read / job["seconds"])
            print(
                f"{label:30} {job['seconds']:7.2f} s ({wall:.2f} s with process start), "
                f"{job['pages']} pages, {read} records read, {job['created']} created: {rate}"
                + (f", from={job['from']}" if job["from"] else "")
                + f"; CPU: harvester {job['cpu_seconds']:.1f} s, source's server {served:.1f} s"
            )
        if len(rates) > 1:
            print(
                f"first copy: median {statistics.median(rates):,.0f} records/s, "
                f"min {min(rates):,.0f}, max {max(rates):,.0f} over {len(rates)} runs"
            )
    finally:
        national.stop()
        central.stop()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
