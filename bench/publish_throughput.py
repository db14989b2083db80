"""Publication throughput: records per second through the two ways of publishing.

1. ``create_draft`` + ``publish`` (a publishing authority publishes directly);
2. ``create_draft`` + ``request_publication`` (an authorized user) + ``approve`` (the
   publishing authority, through the workflow engine).

Each runs on a fresh SQLite database in a temporary directory and, when ``TEST_POSTGRES_URL``
(or ``--postgres-url``) names a PostgreSQL server, on a fresh database created next to the
named one (``<name>_bench``, dropped afterwards). Prints the figures; asserts nothing.

    .venv/bin/python -m bench.publish_throughput                 # 1,000 records each
    TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:54339/clearinghouse \\
        .venv/bin/python -m bench.publish_throughput --records 500
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

if __package__ in (None, ""):  # run as a file: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

MAX_RECORDS = 20_000  # every loop is bounded


def measure(records: int) -> dict[str, Any]:
    """In a configured Django: publish ``records`` records each way and time the steps."""
    from clearinghouse.records import services
    from clearinghouse.workflows import engine
    from clearinghouse.workflows.publication import request_publication

    common.build_schema()
    portal, jean, amina = common.make_portal("127.0.0.1")

    started = time.perf_counter()
    for i in range(records):
        schema, doc = common.document(i)
        services.publish(services.create_draft(portal, jean, schema, doc), jean)
    direct = time.perf_counter() - started

    draft_s = request_s = approve_s = 0.0
    for i in range(records):
        schema, doc = common.document(records + i)
        t0 = time.perf_counter()
        record = services.create_draft(portal, amina, schema, doc)
        t1 = time.perf_counter()
        request = request_publication(record, amina)
        t2 = time.perf_counter()
        engine.perform(request, "approve", jean)
        t3 = time.perf_counter()
        draft_s, request_s, approve_s = draft_s + t1 - t0, request_s + t2 - t1, approve_s + t3 - t2
    return {
        "records": records,
        "direct_s": direct,
        "draft_s": draft_s,
        "request_s": request_s,
        "approve_s": approve_s,
    }


def child(records: int, database_url: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="clearinghouse-bench-"))
    try:
        common.configure(tmp, database_url)
        from django.db import connection

        result = measure(records)
        result["backend"] = connection.vendor
        result["server"] = (
            ".".join(str(x) for x in connection.Database.sqlite_version_info)
            if (connection.vendor == "sqlite")
            else _pg_version(connection.cursor().connection.info.server_version)
        )
        print("RESULT " + json.dumps(result), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _pg_version(number: int) -> str:
    return f"{number // 10000}.{number % 100}"  # 150018 → 15.18


def with_database(url: str, name: str) -> str:
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/" + name))


def postgres_database(url: str, create: bool) -> str:
    """Create (or drop) a throw-away benchmark database beside the one ``url`` names."""
    import psycopg

    name = (urlparse(url).path.lstrip("/") or "postgres") + "_bench"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
    return with_database(url, name)


def run(records: int, database_url: str, timeout: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.publish_throughput", "--child"]
    command += ["--records", str(records), "--database-url", database_url]
    env = {**os.environ, "PYTHONPATH": str(common.REPO)}
    out = subprocess.run(
        command, cwd=common.REPO, env=env, capture_output=True, text=True, timeout=timeout
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"benchmark failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1000, help="records per way")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_POSTGRES_URL", ""))
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per backend")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    records = min(max(args.records, 1), MAX_RECORDS)
    if args.child:
        child(records, args.database_url)
        return

    results = [run(records, "", args.timeout)]
    print(f"  SQLite done: {records / results[-1]['direct_s']:.0f} records/s direct", flush=True)
    if args.postgres_url:
        url = postgres_database(args.postgres_url, create=True)
        try:
            results.append(run(records, url, args.timeout))
        finally:
            postgres_database(args.postgres_url, create=False)
    else:
        print("  PostgreSQL skipped: set TEST_POSTGRES_URL (scripts/postgres.sh prints it)")
    report(results)


def report(results: list[dict[str, Any]]) -> None:
    info = common.machine()
    print()
    print(
        f"machine: {info['cpus']} CPUs, {info['cpu']}, {info['memory']}; "
        f"Python {info['python']}; load average {os.getloadavg()[0]:.2f}"
    )
    print()
    print(
        "| database | records | draft+publish rec/s | draft+request+approve rec/s | "
        "ms per draft / request / approve |"
    )
    print("|---|---:|---:|---:|---|")
    for r in results:
        n = r["records"]
        workflow = r["draft_s"] + r["request_s"] + r["approve_s"]
        steps = " / ".join(f"{1000 * r[k] / n:.1f}" for k in ("draft_s", "request_s", "approve_s"))
        print(
            f"| {r['backend']} {r['server']} | {n} | {n / r['direct_s']:.0f} | "
            f"{n / workflow:.0f} | {steps} |"
        )


if __name__ == "__main__":
    main()
