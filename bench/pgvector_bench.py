"""Semantic search on PostgreSQL 16 with pgvector (HNSW, cosine) against the numpy path, on the
same stored vectors: a fresh process's first query and the median of 24 more.

    .venv/bin/python bench/pgvector_bench.py --records 50000

Starts a PostgreSQL 16 with pgvector from the PyPI wheel ``pgserver`` (the test extra) in a
temporary folder; ``tests/search/vector_process`` migrates a database there and stores
``--records`` records with clustered vectors (each batch also written to ``search_embedding``,
so the HNSW index is built as records are published). Then query processes run with pgvector,
and with the numpy path (``CLEARINGHOUSE_BENCH_NO_PGVECTOR``: the table dropped afterwards).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import vector_process  # noqa: E402


def run(url: str, folder: Path, *args: str) -> dict[str, object]:
    return vector_process(url, folder, "", *args)


def main() -> None:
    import pgserver

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pgvector-bench-"))
    server = pgserver.get_server(folder / "data", cleanup_mode="delete")
    try:
        host = parse_qs(urlparse(server.get_uri()).query)["host"][0]
        server.psql("CREATE DATABASE bench;")
        url = f"postgres://postgres@/bench?host={host}"
        setup = run(url, folder, "setup", str(args.records))
        print(f"{args.records} records stored with pgvector rows in {setup['process_s']} s")
        rows = [
            ("pgvector", run(url, folder, "query")),
            ("pgvector, again", run(url, folder, "query")),
        ]
        server.psql("\\c bench\nDROP TABLE search_embedding, search_embedding_state;")
        rows += [("numpy (no pgvector table)", run(url, folder, "query"))]
        print(f"{'path':28} {'first query s':>13} {'median ms':>9} {'RSS MB':>7} {'anon MB':>7}")
        for label, r in rows:
            print(
                f"{label:28} {r['first_query_s']:>13} {r['median_query_ms']:>9} "
                f"{r.get('rss_mb', '-'):>7} {r.get('anonymous_mb', '-'):>7}   ({r['path']})"
            )
        pairs = list(zip(rows[0][1]["hits"], rows[2][1]["hits"], strict=True))
        overlap = [len({x[0] for x in a} & {x[0] for x in b}) / max(len(b), 1) for a, b in pairs]
        first = sum(a[0][0] == b[0][0] for a, b in pairs if a and b)
        print(
            f"pgvector vs numpy (exact up to 50,000 vectors, projected beyond): top-10 overlap "
            f"{sum(overlap) / len(overlap):.2f}, same best hit in {first} of {len(pairs)} queries"
        )
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
