"""Search latency on a generated corpus: keyword, faceted and hybrid queries through the search
service (p50/p95), against a raw full-text query as the floor (FTS5 MATCH … ORDER BY rank on
SQLite, a tsvector @@ tsquery with ts_rank on PostgreSQL).

    .venv/bin/python bench/search_bench.py --records 100000
    DATABASE_URL=postgres://… .venv/bin/python bench/search_bench.py --records 100000

The corpus: records of the GBF themes in the six languages, words drawn from the labelled set
(tests/data/search_eval.json) so that queries match many records; 1–3 GBF targets, 1–2 subjects,
a country. Records are bulk-inserted and indexed in batches (what ``clearinghouse reindex``
does). Sentence vectors are random unit vectors (their content does not change the cost of the
numpy search); the encoder's own throughput is measured on a sample and printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

COUNTRIES = {"bj": ("fr", "en"), "pe": ("es", "en"), "ru": ("ru", "en"), "cn": ("zh", "en")}
COUNTRIES |= {"eg": ("ar", "en"), "fr": ("fr", "en"), "mx": ("es", "en"), "ke": ("en",)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--queries", type=int, default=60, help="queries per kind")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from bench.common import in_test_database

    in_test_database("search-bench-", run, args)


def word_pools() -> dict[str, list[str]]:
    from tests.search import corpus

    from clearinghouse.search.text import CJK_RUN

    pools: dict[str, list[str]] = {}
    for item in corpus.data()["records"]:
        for field in ("title", "summary"):
            for lang, text in item[field].items():
                if lang == "zh":
                    words = [
                        run[i : i + 2]
                        for run in CJK_RUN.findall(text)
                        for i in range(0, len(run) - 1, 2)
                    ]
                else:
                    words = re.findall(r"[^\W\d_]{3,}", text)
                pools.setdefault(lang, []).extend(words)
    return pools


def generate(n: int, rng: random.Random) -> list[int]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from tests.factories import make_portal

    from clearinghouse.portals.models import PortalKind
    from clearinghouse.records.models import Record, Revision
    from clearinghouse.vocabularies.models import Concept

    pools = word_pools()
    targets = list(
        Concept.objects.filter(scheme__identifier="gbf-targets").values_list(
            "identifier", flat=True
        )
    )
    subjects = list(
        Concept.objects.filter(scheme__identifier="cbd-subjects").values_list(
            "identifier", flat=True
        )
    )
    portals = {
        code: make_portal(code, code.upper(), languages=list(langs))
        for code, langs in COUNTRIES.items()
    }
    make_portal(
        "central", "", kind=PortalKind.CENTRAL, languages=["en", "fr", "es", "ar", "ru", "zh"]
    )
    user = get_user_model().objects.create(username="bench")
    now = timezone.now()
    sep = {"zh": ""}

    def text(lang: str, lo: int, hi: int) -> str:
        return sep.get(lang, " ").join(rng.choice(pools[lang]) for _ in range(rng.randint(lo, hi)))

    ids: list[int] = []
    batch = 2000
    for start in range(0, n, batch):
        records, documents = [], []
        for i in range(start, min(n, start + batch)):
            code = rng.choice(list(COUNTRIES))
            langs = list(COUNTRIES[code][: rng.randint(1, len(COUNTRIES[code]))])
            published = now - dt.timedelta(days=rng.randint(0, 3650))
            doc = {
                "header": {"languages": langs, "schema": "resource"},
                "title": {lang: text(lang, 4, 9) for lang in langs},
                "summary": {lang: text(lang, 20, 45) for lang in langs},
                "resourceTypes": [{"identifier": "RT-GUIDANCE"}],
                "authors": "Bench",
                "organizations": "Bench",
                "publicationDate": f"{published.year}-01-01",
                "resourceLinks": [{"url": "https://example.org/x.pdf"}],
                "cbdSubjects": [{"identifier": s} for s in rng.sample(subjects, rng.randint(1, 2))],
                "gbfTargets": [{"identifier": t} for t in rng.sample(targets, rng.randint(1, 3))],
                "government": {"identifier": code},
            }
            records.append(
                Record(
                    uid=f"{code}-bench{i:08d}",
                    portal=portals[code],
                    schema="resource",
                    government=code,
                    created_by=user,
                    published_at=published,
                    updated_at=published,
                    title=doc["title"],
                )
            )
            documents.append(doc)
        records = Record.objects.bulk_create(records)
        revisions = Revision.objects.bulk_create(
            [
                Revision(
                    record=r, number=1, document=d, published_by=user, published_at=r.published_at
                )
                for r, d in zip(records, documents, strict=True)
            ]
        )
        for r, rev in zip(records, revisions, strict=True):
            r.published = rev
        Record.objects.bulk_update(records, ["published"])
        ids += [r.pk for r in records]
    return ids


def index(ids: list[int]) -> None:
    import numpy as np

    from clearinghouse.records.models import Record
    from clearinghouse.search import semantic
    from clearinghouse.search.backends import LIVE, get_backend
    from clearinghouse.search.indexing import build_entries

    backend = get_backend()
    rng = np.random.default_rng(1)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        records = list(Record.objects.filter(pk__in=chunk).select_related("published", "portal"))
        entries, _gone = build_entries(records)
        backend.write(entries, suffixes=[LIVE])
        vecs = rng.standard_normal((len(chunk), semantic.DIM)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        semantic.store(dict(zip(chunk, vecs, strict=True)))


def run(args: argparse.Namespace) -> None:
    import platform

    from django.db import connection

    from bench.common import pct, timed
    from clearinghouse.portals.models import Portal
    from clearinghouse.search import semantic, service, thesaurus
    from clearinghouse.search.backends import PG_CONFIGS, PostgresBackend, SQLiteBackend
    from clearinghouse.search.text import parse_query
    from clearinghouse.vocabularies.seed import load_all

    rng = random.Random(args.seed)
    load_all()
    thesaurus.invalidate()
    t0 = time.monotonic()
    ids = generate(args.records, rng)
    t1 = time.monotonic()
    index(ids)
    t2 = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}"
    )
    print(
        f"backend: {connection.vendor}; records: {len(ids)}; generated in {t1 - t0:.0f} s, "
        f"indexed in {t2 - t1:.0f} s ({len(ids) / (t2 - t1):.0f} records/s, random vectors)"
    )
    if semantic.available():
        sample = [f"{w} restoration of degraded ecosystems" for w in range(200)]
        t = time.perf_counter()
        semantic.encode(sample[:8])
        t = time.perf_counter()
        semantic.encode(sample)
        print(
            f"encoder: {len(sample) / (time.perf_counter() - t):.0f} short texts/s (batch of 200)"
        )

    pools = word_pools()
    langs = ["en", "fr", "es", "ru", "ar", "zh"]

    def word(lang: str) -> str:
        return rng.choice([w for w in pools[lang] if len(w) >= 4 or lang == "zh"])

    keywords = []
    for i in range(args.queries):
        lang = langs[i % len(langs)]
        keywords.append(word(lang) if i % 2 else f"{word(lang)} {word(lang)}")
    central = Portal.objects.get(code="central")
    target_values = [f"GBF-TARGET-{n:02d}" for n in (2, 3, 6, 7, 8, 10, 12, 19)]

    results: dict[str, list[float]] = {}
    totals: list[int] = []

    def keyword(q: str) -> None:
        totals.append(service.search(q, central, mode="lexical").total)

    results["keyword (lexical + thesaurus)"] = timed(keyword, keywords)
    results["faceted (keyword + target + year)"] = timed(
        lambda q: service.search(
            q,
            central,
            mode="lexical",
            filters={"target": [rng.choice(target_values)], "year": ["2024"]},
        ),
        keywords,
    )
    # Chinese: a one-character query is a prefix query on the bigrams ("水"*), against
    # two-character words (one bigram); characters drawn from the Chinese word pool.
    zh_words = [w for w in pools["zh"] if len(w) == 2]
    zh_chars = [rng.choice(zh_words)[rng.randint(0, 1)] for _ in range(args.queries)]
    results["Chinese, one character (prefix query)"] = timed(
        lambda q: service.search(q, central, mode="lexical"), zh_chars
    )
    results["Chinese, two-character word"] = timed(
        lambda q: service.search(q, central, mode="lexical"),
        [rng.choice(zh_words) for _ in range(args.queries)],
    )
    results["sorted by date"] = timed(
        lambda q: service.search(q, central, mode="lexical", sort="date"), keywords
    )
    if semantic.available():
        results["hybrid (lexical + semantic, RRF)"] = timed(
            lambda q: service.search(q, central, mode="hybrid"), keywords
        )
        results["semantic only"] = timed(
            lambda q: service.search(q, central, mode="semantic"), keywords
        )

    if connection.vendor == "sqlite":

        def raw(q: str) -> None:
            expr = SQLiteBackend.expression(parse_query(q))
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT rowid FROM search_fts WHERE search_fts MATCH %s ORDER BY rank LIMIT 20",
                    [expr],
                )
                cur.fetchall()

        label = "raw FTS5 MATCH … ORDER BY rank LIMIT 20 (floor)"
    else:

        def raw(q: str) -> None:
            tsq = PostgresBackend.tsquery(parse_query(q), PG_CONFIGS["en"])
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT id FROM search_text WHERE tsv @@ to_tsquery('english', %s) "
                    "ORDER BY ts_rank(tsv, to_tsquery('english', %s)) DESC LIMIT 20",
                    [tsq, tsq],
                )
                cur.fetchall()

        label = "raw tsvector @@ tsquery ORDER BY ts_rank LIMIT 20 (floor)"
    results[label] = timed(raw, keywords)

    print(
        f"{len(keywords)} queries per kind (six languages, 1–2 words); matches per keyword "
        f"query: median {statistics.median(totals):.0f}, max {max(totals)}"
    )
    print("| query | p50 ms | p95 ms |")
    print("|---|---|---|")
    for name, values in results.items():
        values.sort()
        p95 = pct(values, 0.95)
        print(f"| {name} | {statistics.median(values):.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
