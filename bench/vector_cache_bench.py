"""First semantic query of a fresh worker process, with and without the shared vector file
(search/vector_cache.py), and the memory each process holds.

    .venv/bin/python bench/vector_cache_bench.py --records 120000

A SQLite file database with ``--records`` records and clustered unit vectors (beyond 50,000:
the 128-dimension projection) is built in a temporary folder by ``tests/search/vector_process``;
then separate processes each run a first query (timed: load, or map, plus the search) and 24
more, and report their resident memory: all of it, and the anonymous part (the process's own
heap; mapped file pages are the page cache, one copy for all processes).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import vector_process  # noqa: E402


def run(folder: Path, *args: str, cache: bool = True) -> dict[str, object]:
    url = f"sqlite:///{folder / 'db.sqlite3'}"
    return vector_process(url, folder, str(folder / "cache") if cache else "", *args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=120_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vector-cache-bench-"))
    try:
        started = time.perf_counter()
        run(folder, "setup", str(args.records))
        print(f"{args.records} records with vectors in {time.perf_counter() - started:.0f} s")
        rows = [
            ("no file (each process loads)", run(folder, "query", cache=False)),
            ("no file, again", run(folder, "query", cache=False)),
            ("first process: loads, writes the file", run(folder, "query")),
            ("next process: maps the file", run(folder, "query")),
            ("next process, again", run(folder, "query")),
        ]
        size = sum(p.stat().st_size for p in (folder / "cache").rglob("*.npy"))
        print(f"shared file: {size / 1e6:.1f} MB")
        print(f"{'process':40} {'first query s':>13} {'process s':>9} {'RSS MB':>7} {'anon MB':>7}")
        for label, r in rows:
            print(
                f"{label:40} {r['first_query_s']:>13} {r['process_s']:>9} "
                f"{r.get('rss_mb', '-'):>7} {r.get('anonymous_mb', '-'):>7}"
            )
        assert rows[3][1]["hits"] == rows[0][1]["hits"], "mapped and in-memory results differ"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
