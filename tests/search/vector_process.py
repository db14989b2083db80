"""A separate process for the shared vector file tests (tests/search/test_vectors_cache.py) and
bench/vector_cache_bench.py: ``python -m tests.search.vector_process setup|query|remove …``.

The database (a SQLite file) and the cache folder come from the environment
(``DATABASE_URL``, ``CLEARINGHOUSE_VECTOR_CACHE``); each command prints one JSON line."""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

import django


def clustered(n: int, seed: int = 5) -> dict[int, object]:
    import numpy as np

    from clearinghouse.search import semantic

    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((12, semantic.DIM)).astype(np.float32)
    vecs = centres[np.arange(n) % 12] + 0.4 * rng.standard_normal((n, semantic.DIM)).astype(
        np.float32
    )
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    return dict(enumerate(vecs))


def setup(n: int) -> dict[str, object]:
    """Migrate, one portal, ``n`` records with clustered vectors."""
    from django.core.management import call_command
    from django.db import transaction

    from clearinghouse.records.models import Record
    from clearinghouse.search import semantic
    from tests.factories import make_portal

    call_command("migrate", verbosity=0)
    portal = make_portal("bj", "BJ")
    vectors = clustered(n)
    with transaction.atomic():
        for start in range(0, n, 5000):
            rows = Record.objects.bulk_create(
                Record(uid=f"bj-{i:08d}", portal=portal, schema="resource")
                for i in range(start, min(n, start + 5000))
            )
            semantic.store({r.pk: vectors[i] for i, r in zip(range(start, n), rows, strict=False)})
    return {"records": n}


def memory() -> dict[str, float]:
    """Resident memory of this process, MB: all, and anonymous (its own heap: what a mapped
    file saves; file-backed pages are the page cache, shared by every process mapping them)."""
    out = {}
    try:
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
            key, value = line.split(":", 1)
            if key in ("Rss", "Anonymous"):
                out[key.lower() + "_mb"] = round(int(value.split()[0]) / 1024, 1)
    except OSError:
        pass
    return out


def query(limit: int = 10) -> dict[str, object]:
    import numpy as np

    from clearinghouse.search import semantic

    vectors = clustered(24)  # the first records' own vectors
    started = time.perf_counter()
    first = semantic.nearest(np.asarray(vectors[0]), None, limit, 0.0)
    first_s = time.perf_counter() - started
    hits, times = [first], []
    for v in vectors.values():
        started = time.perf_counter()
        hits.append(semantic.nearest(np.asarray(v), None, limit, 0.0))
        times.append(time.perf_counter() - started)
    m = semantic._matrix
    return {
        "hits": [[[rid, round(sim, 6)] for rid, sim in h] for h in hits],
        "stats": semantic.stats,
        "mapped": m.mapped,
        "rows": len(m.ids),
        "first_query_s": round(first_s, 3),
        "median_query_ms": round(sorted(times)[len(times) // 2] * 1000, 2),
        "path": semantic.vector_path(),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        **memory(),
    }


def remove(ids: list[int]) -> dict[str, object]:
    from clearinghouse.search import semantic

    semantic.remove(ids)
    return {"removed": ids}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")
    django.setup()
    from clearinghouse.search import semantic

    if os.environ.get("EXACT_MAX"):
        semantic.EXACT_MAX = int(os.environ["EXACT_MAX"])
    command, args = sys.argv[1], sys.argv[2:]
    if command == "setup":
        out = setup(int(args[0]))
    elif command == "query":
        out = query()
    elif command == "remove":
        out = remove([int(a) for a in args])
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
