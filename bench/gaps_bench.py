"""Gap analysis matrix (regions × GBF targets) on a generated index: the time of
``gaps.matrix`` (its two aggregate queries, plus labels; the cache cleared before each run)
per measure, for the central portal, a national portal and a drill-down into one region's
countries, and the time of a repeated call answered from the cache.

    .venv/bin/python bench/gaps_bench.py --records 100000
    DATABASE_URL=postgres://… .venv/bin/python bench/gaps_bench.py --records 100000

The index rows are generated directly (what the indexer writes for a published record: the
type, portal, country, its M49 regions, 1–3 GBF targets, a subject, a year and a one-line
document), without the records themselves: the matrix reads only ``search_facet`` and
``search_record``. Record types: 40 % library resources, 10 % case studies, 15 % capacity-
building initiatives, 10 % providers, 25 % requests; countries uniformly from the M49 list.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")

SCHEMAS = (
    ["resource"] * 8
    + ["caseStudy"] * 2
    + ["capacityBuildingInitiative"] * 3
    + ["bbiProfile"] * 2
    + ["bbiRequest"] * 5
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100000)
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per case")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

    from bench.common import in_test_database

    in_test_database("gaps-bench-", run, args)


def generate(n: int, rng: random.Random) -> None:
    from tests.factories import make_portal

    from clearinghouse.portals.models import PortalKind
    from clearinghouse.search import thesaurus
    from clearinghouse.search.backends import LIVE, get_backend
    from clearinghouse.search.documents import Entry, LangDoc

    th = thesaurus.get()
    countries = sorted(i for i, s in th.scheme.items() if s == "countries")
    targets = sorted(i for i, s in th.scheme.items() if s == "gbf-targets")
    subjects = sorted(i for i, s in th.scheme.items() if s == "cbd-subjects")
    regions = {c: sorted(th.ancestors(c)) for c in countries}
    portals = {code: make_portal(code, code.upper()) for code in ("bj", "pe", "ke", "fr")}
    make_portal("central", "", kind=PortalKind.CENTRAL)
    backend = get_backend()
    start = dt.datetime(2015, 1, 1, tzinfo=dt.UTC)
    batch: list[Entry] = []
    for i in range(1, n + 1):
        schema = rng.choice(SCHEMAS)
        code = rng.choice(list(portals))
        country = rng.choice(countries)
        when = start + dt.timedelta(days=rng.randint(0, 3650))
        facets = {("type", schema), ("portal", code), ("country", country), ("country", code)}
        facets |= {("region", r) for r in regions[country] + regions.get(code, [])}
        facets |= {("target", t) for t in rng.sample(targets, rng.randint(1, 3))}
        facets |= {("subject", rng.choice(subjects)), ("year", str(when.year)), ("language", "en")}
        batch.append(
            Entry(
                record_id=i,
                uid=f"{code}-gap{i:08d}",
                portal_id=portals[code].pk,
                schema=schema,
                published_at=when,
                titles={"en": f"{schema} {i}"},
                docs=[LangDoc("en", f"{schema} {i}", "wildlife management")],
                facets=sorted(facets),
            )
        )
        if len(batch) == 2000 or i == n:
            backend.write(batch, suffixes=[LIVE])
            batch = []


def run(args: argparse.Namespace) -> None:
    import platform

    from django.core.cache import cache
    from django.db import connection

    from clearinghouse.portals.models import Portal
    from clearinghouse.search import gaps, thesaurus
    from clearinghouse.vocabularies.seed import load_all

    rng = random.Random(args.seed)
    load_all()
    thesaurus.invalidate()
    t0 = time.monotonic()
    generate(args.records, rng)
    t1 = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
        cur.execute("SELECT COUNT(*) FROM search_facet")
        facet_rows = cur.fetchone()[0]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}"
    )
    print(
        f"backend: {connection.vendor}; records: {args.records}; facet rows: {facet_rows}; "
        f"index generated in {t1 - t0:.0f} s"
    )
    central = Portal.objects.get(code="central")
    benin = Portal.objects.get(code="bj")
    cases = [(f"central, {m}", central, m, "") for m in gaps.MEASURES]
    cases += [
        ("national (bj), requests", benin, "requests", ""),
        ("national (bj), unmet", benin, "unmet", ""),
        ("central, requests, countries of Africa", central, "requests", "m49-002"),
        ("central, unmet, countries of Africa", central, "unmet", "m49-002"),
    ]
    print(f"{'case':45} {'cells':>6} {'total':>7} {'p50 ms':>8} {'max ms':>8} {'cached ms':>9}")
    for label, portal, measure, within in cases:
        gaps.matrix(portal, "en", measure, within)  # warm-up
        times = []
        for _ in range(args.repeat):
            cache.clear()  # the queries themselves, not the cache
            t = time.perf_counter()
            m = gaps.matrix(portal, "en", measure, within)
            times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        gaps.matrix(portal, "en", measure, within)
        cached = (time.perf_counter() - t) * 1000
        cells = len(m.rows) * len(m.columns)
        print(
            f"{label:45} {cells:>6} {m.total:>7} {statistics.median(times):>8.0f} "
            f"{max(times):>8.0f} {cached:>9.1f}"
        )


if __name__ == "__main__":
    main()
