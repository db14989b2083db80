"""HTTP load benchmark: record pages, the API list and the home page against a minimal view.

Builds a fresh SQLite database in a temporary directory (migrate, vocabularies, one portal,
N published records), starts gunicorn on 127.0.0.1 and measures each target with wrk.
Prints the figures; asserts nothing. Run from the repository root:

    .venv/bin/python -m bench.http_load            # 2,000 records, 10 s per target
    .venv/bin/python -m bench.http_load --records 500 --duration 5

Needs ``wrk`` (Debian package ``wrk``). The target is: record pages ≥ 50 % of the
requests/s of the minimal view (``/bench/minimal``, a view returning "ok" behind the
product's whole middleware stack; see bench/urls.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

LUA = """
local paths = {%(paths)s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %%.0f, "duration_us": %%.0f, "p50_us": %%.0f, "p90_us": %%.0f, ' ..
    '"p99_us": %%.0f, "max_us": %%.0f, "non_2xx_3xx": %%.0f, "socket_errors": %%.0f}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build(records: int) -> tuple[list[str], float]:
    """Publish ``records`` records; returns their uids and the seconds it took."""
    from clearinghouse.records import services

    portal, jean, _amina = common.make_portal("127.0.0.1")
    uids = []
    started = time.perf_counter()
    for i in range(records):
        schema, doc = common.document(i)
        record = services.create_draft(portal, jean, schema, doc)
        services.publish(record, jean)
        uids.append(record.uid)
        if (i + 1) % 500 == 0:
            print(f"  {i + 1} records published", flush=True)
    return uids, time.perf_counter() - started


def query_counts(targets: dict[str, list[str]]) -> dict[str, tuple[int, int]]:
    """SQL queries and response status of each target's first path, served in-process
    (asked twice: the first request fills the per-process caches, e.g. vocabulary labels)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    out = {}
    for name, paths in targets.items():
        client.get(paths[0])
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(paths[0])
        out[name] = (len(ctx.captured_queries), response.status_code)
    return out


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def run_wrk(base: str, paths: list[str], args: argparse.Namespace, duration: float, tmp: Path):
    script = tmp / "paths.lua"
    script.write_text(LUA % {"paths": ", ".join(json.dumps(p) for p in paths)})
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{duration:g}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        base + paths[0],
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    data: dict[str, Any] = json.loads(line[len("BENCH ") :])
    return data


def worker_pids(master: int) -> list[int]:
    """gunicorn's worker processes (the master's children)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == master:
            pids.append(int(stat.parent.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def summarise(result: dict[str, Any]) -> None:
    rounds = result["rounds"]
    requests = sum(r["requests"] for r in rounds)
    result["rps"] = requests / sum(r["duration_us"] / 1e6 for r in rounds)
    result["p50_us"] = statistics.median(r["p50_us"] for r in rounds)
    result["p99_us"] = statistics.median(r["p99_us"] for r in rounds)
    result["errors"] = sum(r["non_2xx_3xx"] + r["socket_errors"] for r in rounds)
    result["cpu_ms"] = 1000 * sum(r["cpu_s"] for r in rounds) / max(requests, 1)
    result["rps_rounds"] = [r["requests"] / (r["duration_us"] / 1e6) for r in rounds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per target")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per target")
    parser.add_argument("--rounds", type=int, default=5, help="turns each target takes")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="sync", help="gunicorn: sync or gthread")
    parser.add_argument("--gthreads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    args.duration = min(max(args.duration, 1.0), 120.0)  # every load loop is bounded
    args.warmup = min(max(args.warmup, 0.0), 30.0)
    args.rounds = min(max(args.rounds, 1), 20)

    tmp = Path(tempfile.mkdtemp(prefix="clearinghouse-bench-"))
    server: subprocess.Popen[bytes] | None = None
    try:
        common.configure(tmp)
        started = time.perf_counter()
        common.build_schema()
        print(f"schema and vocabularies: {time.perf_counter() - started:.1f} s", flush=True)
        uids, seconds = build(args.records)
        print(f"{len(uids)} records published in {seconds:.1f} s", flush=True)

        sample = random.Random(42).sample(uids, min(500, len(uids)))
        pages = max(1, (len(uids) + 49) // 50)
        targets = {
            "minimal view": ["/bench/minimal"],
            "record page": [f"/en/r/{uid}/" for uid in sample],
            "API list": [f"/api/records?page={n}" for n in range(1, pages + 1)],
            "home page": ["/en/"],
        }
        queries = query_counts(targets)

        port = free_port()
        gunicorn = Path(sys.executable).parent / "gunicorn"
        command = [
            str(gunicorn) if gunicorn.exists() else "gunicorn",
            "clearinghouse.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--chdir",
            str(common.REPO),
            "--log-level",
            "warning",
        ]
        if args.worker_class == "gthread":
            command += ["--threads", str(args.gthreads)]
        env = {**os.environ, **common.environment(tmp)}
        server = subprocess.Popen(command, env=env)
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/healthz", 30)

        workers = worker_pids(server.pid)
        for paths in targets.values():  # warm every worker's caches
            if args.warmup:
                run_wrk(base, paths, args, args.warmup, tmp)
        # Targets take turns, round after round, so that a change in the machine's load
        # (other processes) affects them alike; server CPU time per request is measured too.
        results: dict[str, dict[str, Any]] = {name: {"rounds": []} for name in targets}
        for round_number in range(args.rounds):
            for name, paths in targets.items():
                cpu_before = cpu_seconds(workers)
                data = run_wrk(base, paths, args, args.duration / args.rounds, tmp)
                data["cpu_s"] = cpu_seconds(workers) - cpu_before
                results[name]["rounds"].append(data)
            print(f"  round {round_number + 1}/{args.rounds} done", flush=True)
        for result in results.values():
            summarise(result)

        report(args, results, queries, len(uids))
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        if args.keep:
            print(f"data kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def report(
    args: argparse.Namespace,
    results: dict[str, dict[str, Any]],
    queries: dict[str, tuple[int, int]],
    records: int,
) -> None:
    info = common.machine()
    print()
    print(
        f"machine: {info['cpus']} CPUs, {info['cpu']}, {info['memory']}; Python "
        f"{info['python']}, Django {info['django']}, {common.tool_version('wrk', '--version')}"
    )
    print(f"load average before the report: {os.getloadavg()[0]:.2f}")
    print(
        f"SQLite, {records} records; gunicorn {args.workers} workers ({args.worker_class}); "
        f"wrk {args.threads} threads, {args.connections} connections, "
        f"{args.duration:g} s per target in {args.rounds} rounds"
    )
    print()
    columns = ["target", "req/s", "p50 ms", "p99 ms", "CPU ms/req", "SQL", "errors", "% minimal"]
    widths = [13, 7, 7, 7, 10, 3, 6, 9]
    print(
        "| "
        + " | ".join(
            c.rjust(w) if i else c.ljust(w)
            for i, (c, w) in enumerate(zip(columns, widths, strict=True))
        )
        + " |"
    )
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    ceiling = results["minimal view"]
    for name, r in results.items():
        count, status = queries[name]
        cells = [
            name + ("" if status == 200 else f" ({status})"),
            f"{r['rps']:.0f}",
            f"{r['p50_us'] / 1000:.1f}",
            f"{r['p99_us'] / 1000:.1f}",
            f"{r['cpu_ms']:.2f}",
            str(count),
            str(int(r["errors"])),
            f"{100 * r['rps'] / ceiling['rps']:.0f} %",
        ]
        print(
            "| "
            + " | ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )
    print()
    for name, r in results.items():
        print(f"{name} req/s per round: " + ", ".join(f"{x:.0f}" for x in r["rps_rounds"]))
    record = results["record page"]
    ratio = record["rps"] / ceiling["rps"]
    cpu_ratio = ceiling["cpu_ms"] / record["cpu_ms"] if record["cpu_ms"] else float("nan")
    verdict = "meets" if ratio >= 0.5 else "MISSES"
    print()
    print(
        f"record page / minimal view, requests/s: {100 * ratio:.0f} % ({verdict} the target ≥ 50 %)"
    )
    print(f"record page / minimal view, by server CPU per request: {100 * cpu_ratio:.0f} %")


if __name__ == "__main__":
    main()
