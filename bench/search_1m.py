"""Search at scale: a generated multilingual corpus of N records (default 1,000,000), loaded in
bulk, then p50/p95 latency of keyword, keyword + facets, concept (faceted-only) and hybrid
queries through the search service, next to the raw engine query on the same data (the floor).

    .venv/bin/python bench/search_1m.py --records 1000000             # SQLite, /tmp/ch-search-1m
    .venv/bin/python bench/search_1m.py --records 1000000 --skip-load # query an existing corpus
    DATABASE_URL=postgres://postgres@127.0.0.1:54330/ch_perf_bench \\
        .venv/bin/python bench/search_1m.py --records 200000

Loading. The corpus reuses ``search_bench``'s generator (words of the labelled set in the six
languages, 1–3 GBF targets, 1–2 CBD subjects, a country, one or two languages per record, a
date in the last ten years; eight national portals and the central one). Each record's index
entry is built by the real ``documents.build`` (on an unsaved record), and written by the real
``Backend.write`` (executemany, batches of 5,000); ``records_record`` rows are inserted with one
executemany per batch (no revisions: search never reads them).

Indexing throughput is measured separately on a sample through the real path (records and
revisions saved by the ORM, then ``clearinghouse reindex``'s loop: load, build, write).

Vectors. The encoder's throughput is measured on a sample of real record texts; the N vectors
are **derived** from those real embeddings (a random mix of two plus Gaussian noise,
normalised), not encoded one by one (at ~1,000 texts/s a million would take hours here).
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

LANGS = ["en", "fr", "es", "ru", "ar", "zh"]
BATCH = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=60, help="queries per kind")
    parser.add_argument("--sample", type=int, default=5000, help="records indexed the real way")
    parser.add_argument("--embed-sample", type=int, default=1000, help="records encoded")
    parser.add_argument("--data-dir", default="/tmp/ch-search-1m")
    parser.add_argument("--skip-load", action="store_true", help="reuse the loaded corpus")
    parser.add_argument(
        "--copy-from",
        default="",
        help="PostgreSQL: copy the corpus of this SQLite database (made by this script) "
        "instead of generating one; the text search vectors are computed by PostgreSQL",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--window",
        type=int,
        default=None,
        help="CLEARINGHOUSE_SEARCH_WINDOW for the measured queries (0: rank every match)",
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="processes generating and building entries"
    )
    args = parser.parse_args()

    from bench.common import configure

    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    configure(data_dir, os.environ.get("DATABASE_URL", ""))
    from django.db import connection

    print(f"backend: {connection.vendor}; data: {data_dir}")
    if args.copy_from:
        copy_from(Path(args.copy_from))
    elif not args.skip_load:
        load(args)
    measure(args)


# --- loading ----------------------------------------------------------------------------------
def load(args: argparse.Namespace) -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from tests.factories import make_portal

    from bench.search_bench import COUNTRIES, word_pools
    from clearinghouse.portals.models import PortalKind
    from clearinghouse.search import thesaurus
    from clearinghouse.search.backends import LIVE, SHADOW, get_backend
    from clearinghouse.vocabularies.models import Concept
    from clearinghouse.vocabularies.seed import load_all

    t0 = time.monotonic()
    if connection.vendor == "sqlite":
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(connection.settings_dict["NAME"] + suffix).unlink(missing_ok=True)
    else:
        with connection.cursor() as cur:
            cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    load_all()
    thesaurus.invalidate()
    rng = random.Random(args.seed)
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
    make_portal("central", "", kind=PortalKind.CENTRAL, languages=LANGS)
    user = get_user_model().objects.create(username="bench")
    now = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    _CTX.clear()
    _CTX.update(
        {
            "pools": pools,
            "targets": targets,
            "subjects": subjects,
            "portals": portals,
            "codes": list(COUNTRIES),
            "user": user,
            "now": now,
            "seed": args.seed,
        }
    )
    make = _make_record(rng)

    backend = get_backend()
    if connection.vendor == "sqlite":  # a bulk load: no fsync, a large page cache
        with connection.cursor() as cur:
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA cache_size=-400000")
    n_sample = min(args.sample, args.records)
    sample_ids = index_sample(n_sample, make, backend)
    t1 = time.monotonic()
    vectors_from = embed_sample(args.embed_sample, make)
    t2 = time.monotonic()
    print(f"setup, indexing and embedding samples: {t1 - t0:.0f} s + {t2 - t1:.0f} s")

    import multiprocessing

    import numpy as np

    _CTX["base"] = np.asarray(vectors_from, dtype=np.float32)
    _CTX["first_id"] = max(sample_ids) + 1
    _CTX["n_sample"] = n_sample
    _CTX["stamp"] = dt.datetime.now(dt.UTC)
    t_gen = t_write = t_rows = 0.0
    started = time.monotonic()
    bulk = args.records - n_sample
    _CTX["bulk"] = bulk
    vector_table = "search_recordvector"
    connection.close()  # each generating process opens its own connection if it needs one
    workers = max(1, args.workers)
    batches = range((bulk + BATCH - 1) // BATCH)
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        done = 0
        for entries, rows, vector_rows, took in pool.imap(_gen_batch, batches):
            t_gen += took
            t = time.monotonic()
            with connection.cursor() as cur:
                if connection.vendor == "sqlite":
                    cur.execute("PRAGMA synchronous=OFF")
                    cur.execute("PRAGMA cache_size=-400000")
                cur.executemany(
                    "INSERT INTO records_record (id, uid, portal_id, schema, government, "
                    "created_by_id, created_at, published_at, title, updated_at) VALUES "
                    "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    rows,
                )
                cur.executemany(
                    f"INSERT INTO {vector_table} (record_id, model, vector, updated_at) "
                    f"VALUES (%s, %s, %s, %s)",
                    vector_rows,
                )
            t_rows += time.monotonic() - t
            t = time.monotonic()
            backend.write(entries, suffixes=[LIVE])
            t_write += time.monotonic() - t
            done += len(entries)
            if done % 50000 < BATCH or done == bulk:
                rate = done / (time.monotonic() - started)
                print(f"  bulk: {done}/{bulk} records, {rate:.0f}/s", flush=True)
    assert not backend.table_exists(f"search_record{SHADOW}")
    t = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
    t_an = time.monotonic() - t
    print(
        f"bulk load of {bulk} records in {time.monotonic() - started:.0f} s: generate + build "
        f"entries {t_gen:.0f} s (in {workers} processes), record and vector rows {t_rows:.0f} s, "
        f"index write {t_write:.0f} s ({bulk / max(t_write, 1e-9):.0f} records/s); "
        f"ANALYZE/optimize {t_an:.0f} s"
    )


_CTX: dict[str, Any] = {}


def _make_record(rng: random.Random) -> Any:
    """A generator of (unsaved record, document) pairs drawing from ``rng``."""
    ctx = _CTX
    pools, codes, now = ctx["pools"], ctx["codes"], ctx["now"]

    def text(lang: str, lo: int, hi: int) -> str:
        words = rng.choices(pools[lang], k=rng.randint(lo, hi))
        return ("" if lang == "zh" else " ").join(words)

    def make(i: int) -> tuple[Any, dict[str, Any]]:
        from bench.search_bench import COUNTRIES
        from clearinghouse.records.models import Record

        code = rng.choice(codes)
        langs = list(COUNTRIES[code][: rng.randint(1, len(COUNTRIES[code]))])
        published = now - dt.timedelta(days=rng.randint(0, 3650), seconds=rng.randint(0, 86399))
        doc = {
            "header": {"languages": langs, "schema": "resource"},
            "title": {lang: text(lang, 4, 9) for lang in langs},
            "summary": {lang: text(lang, 20, 45) for lang in langs},
            "resourceTypes": [{"identifier": "RT-GUIDANCE"}],
            "authors": "Bench",
            "organizations": "Bench",
            "publicationDate": f"{published.year}-01-01",
            "resourceLinks": [{"url": "https://example.org/x.pdf"}],
            "cbdSubjects": [
                {"identifier": s} for s in rng.sample(ctx["subjects"], rng.randint(1, 2))
            ],
            "gbfTargets": [
                {"identifier": t} for t in rng.sample(ctx["targets"], rng.randint(1, 3))
            ],
            "government": {"identifier": code},
        }
        record = Record(
            uid=f"{code}-bench{i:08d}",
            portal=ctx["portals"][code],
            schema="resource",
            government=code,
            created_by=ctx["user"],
            published_at=published,
            updated_at=published,
            title=doc["title"],
        )
        return record, doc

    return make


def _gen_batch(batch: int) -> tuple[list[Any], list[tuple[Any, ...]], list[tuple[Any, ...]], float]:
    """Batch ``batch`` of the bulk load, built in a worker process: index entries (the real
    ``documents.build``), ``records_record`` rows and derived vectors. Its own seeded random
    source, so the corpus does not depend on the number of workers."""
    import numpy as np

    from clearinghouse.records.models import Revision
    from clearinghouse.search import documents, semantic

    t = time.monotonic()
    ctx = _CTX
    seed = ctx["seed"] * 1_000_003 + batch
    make = _make_record(random.Random(seed))
    start = batch * BATCH
    count = min(BATCH, ctx["bulk"] - start)
    user = ctx["user"]
    entries, rows = [], []
    for j in range(count):
        record, doc = make(ctx["n_sample"] + start + j)
        record.pk = ctx["first_id"] + start + j
        revision = Revision(pk=record.pk, record=record, number=1, document=doc)
        record.published = revision
        entry = documents.build(record)
        assert entry is not None
        entries.append(entry)
        rows.append(
            (
                record.pk,
                record.uid,
                record.portal_id,
                record.schema,
                record.government,
                user.pk,
                record.published_at,
                record.published_at,
                _json(record.title),
                record.updated_at,
            )
        )
    base = ctx["base"]
    vrng = np.random.default_rng(seed)
    a = vrng.integers(0, len(base), count)
    b = vrng.integers(0, len(base), count)
    w = vrng.uniform(0.5, 1.0, (count, 1)).astype(np.float32)
    vecs = w * base[a] + (1 - w) * base[b]
    vecs += vrng.standard_normal(vecs.shape).astype(np.float32) * 0.02
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    vector_rows = [
        (e.record_id, semantic.MODEL_NAME, vec.tobytes(), ctx["stamp"])
        for e, vec in zip(entries, vecs, strict=True)
    ]
    return entries, rows, vector_rows, time.monotonic() - t


# --- PostgreSQL from the SQLite corpus -------------------------------------------------------
def copy_from(source: Path) -> None:
    """The SQLite corpus of ``load`` copied into PostgreSQL with COPY: the same records,
    facets, vectors and texts; each document's ``tsvector`` computed by PostgreSQL from the
    folded text FTS5 indexed (what ``PostgresBackend._insert_text`` computes), documents
    inserted in record order so their ids run in the same order as on SQLite."""
    import sqlite3

    from django.core.management import call_command
    from django.db import connection
    from tests.factories import make_portal

    from bench.search_bench import COUNTRIES
    from clearinghouse.portals.models import Portal, PortalKind
    from clearinghouse.search.backends import LIVE, PG_CONFIGS, get_backend
    from clearinghouse.vocabularies.seed import load_all

    assert connection.vendor == "postgresql", "--copy-from fills a PostgreSQL database"
    t0 = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    load_all()
    for code, langs in COUNTRIES.items():
        make_portal(code, code.upper(), languages=list(langs))
    make_portal("central", "", kind=PortalKind.CENTRAL, languages=LANGS)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create(username="bench")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    portal_map = {
        old: Portal.objects.get(code=code).pk
        for old, code in src.execute("SELECT id, code FROM portals_portal")
    }
    backend = get_backend()
    backend.drop(LIVE)
    backend.create(LIVE)
    pg = connection.connection
    assert pg is not None

    def copy(sql_out: str, sql_in: str, convert: Any, label: str) -> None:
        t = time.monotonic()
        n = 0
        with pg.cursor() as cur, cur.copy(sql_in) as out:
            for row in src.execute(sql_out):
                out.write_row(convert(row))
                n += 1
                if n % 500_000 == 0:
                    print(f"  {label}: {n} rows", flush=True)
        pg.commit()
        print(f"  {label}: {n} rows in {time.monotonic() - t:.0f} s", flush=True)

    copy(
        "SELECT id, uid, portal_id, schema, government, created_at, published_at, title, "
        "updated_at FROM records_record ORDER BY id",
        "COPY records_record (id, uid, portal_id, schema, government, created_by_id, "
        "created_at, published_at, title, updated_at, published_id) FROM STDIN",
        lambda r: (r[0], r[1], portal_map[r[2]], r[3], r[4], user.pk, r[5], r[6], r[7], r[8], None),
        "records",
    )
    copy(
        "SELECT record_id, model, vector, updated_at FROM search_recordvector",
        "COPY search_recordvector (record_id, model, vector, updated_at) FROM STDIN",
        lambda r: r,
        "vectors",
    )
    copy(
        "SELECT record_id, uid, portal_id, schema, published_at, titles FROM search_record",
        "COPY search_record (record_id, uid, portal_id, schema, published_at, titles) FROM STDIN",
        lambda r: (r[0], r[1], portal_map[r[2]], r[3], r[4], r[5]),
        "search_record",
    )
    copy(
        "SELECT record_id, facet, value, published_at FROM search_facet",
        "COPY search_facet (record_id, facet, value, published_at) FROM STDIN",
        lambda r: r,
        "search_facet",
    )
    with pg.cursor() as cur:
        cur.execute(
            "CREATE UNLOGGED TABLE bench_text (ord BIGINT, record_id BIGINT, lang TEXT, "
            "cfg TEXT, title TEXT, body TEXT, ftitle TEXT, fbody TEXT)"
        )
    pg.commit()
    copy(
        "SELECT t.id, t.record_id, t.lang, t.title, t.body, f.c0, f.c1 FROM search_text t "
        "JOIN search_fts_content f ON f.id = t.id ORDER BY t.id",
        "COPY bench_text FROM STDIN",
        lambda r: (r[0], r[1], r[2], PG_CONFIGS.get(r[2], "simple"), *r[3:]),
        "texts",
    )
    t = time.monotonic()
    with pg.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'search_text'")
        dropped = [r[0] for r in cur.fetchall() if not r[0].endswith("_pkey")]
        cur.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'search_text' "
            "AND indexname = ANY(%s)",
            [dropped],
        )
        definitions = [r[0] for r in cur.fetchall()]
        for name in dropped:  # built once after the load instead of row by row
            cur.execute(f"DROP INDEX {name}")
        cur.execute(
            "INSERT INTO search_text (record_id, lang, cfg, title, body, tsv) SELECT record_id, "
            "lang, cfg::regconfig, title, body, setweight(to_tsvector(cfg::regconfig, ftitle), "
            "'A') || setweight(to_tsvector(cfg::regconfig, fbody), 'B') FROM bench_text "
            "ORDER BY ord"
        )
        print(f"  tsvectors: {time.monotonic() - t:.0f} s", flush=True)
        for definition in definitions:
            cur.execute(definition)
        cur.execute("DROP TABLE bench_text")
        cur.execute(
            "SELECT setval(pg_get_serial_sequence('records_record', 'id'), "
            "(SELECT MAX(id) FROM records_record))"
        )
    pg.commit()
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    print(
        f"copied from {source} in {time.monotonic() - t0:.0f} s "
        f"(tsvectors and indexes {time.monotonic() - t:.0f} s)",
        flush=True,
    )


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def index_sample(n: int, make: Any, backend: Any) -> list[int]:
    """``n`` records saved by the ORM and indexed by reindex's loop (vectors excluded)."""
    from django.db import transaction

    from clearinghouse.records.models import Record, Revision
    from clearinghouse.search import indexing
    from clearinghouse.search.backends import LIVE

    made = [make(i) for i in range(n)]
    records = Record.objects.bulk_create([r for r, _d in made])
    revisions = Revision.objects.bulk_create(
        [
            Revision(record=r, number=1, document=d, published_by=r.created_by)
            for r, (_r, d) in zip(records, made, strict=True)
        ]
    )
    for r, rev in zip(records, revisions, strict=True):
        r.published = rev
    Record.objects.bulk_update(records, ["published"], batch_size=1000)
    ids = [r.pk for r in records]
    t = time.monotonic()
    for start in range(0, len(ids), 200):  # reindex's default batch
        chunk = ids[start : start + 200]
        loaded = list(Record.objects.filter(pk__in=chunk).select_related("published", "portal"))
        entries, _gone = indexing.build_entries(loaded)
        with transaction.atomic():
            backend.write(entries, suffixes=[LIVE])
    took = time.monotonic() - t
    print(
        f"indexing throughput (real path: load records, build entries, write; no vectors): "
        f"{n} records in {took:.1f} s = {n / took:.0f} records/s"
    )
    return ids


def embed_sample(n: int, make: Any) -> Any:
    """Real embeddings of ``n`` generated records (the texts ``indexing.vectors`` encodes)."""
    import numpy as np

    from clearinghouse.search import documents, semantic

    if not semantic.available():
        rng = np.random.default_rng(3)
        vecs = rng.standard_normal((max(n, 1), semantic.DIM)).astype(np.float32)
        print("encoder: not installed; derived vectors from random ones")
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    from clearinghouse.records.models import Revision

    entries = []
    for i in range(n):
        record, doc = make(10_000_000 + i)
        record.pk = 10_000_000 + i
        record.published = Revision(pk=record.pk, record=record, number=1, document=doc)
        entry = documents.build(record)
        assert entry is not None
        entries.append(entry)
    texts = [t for e in entries for t in e.embed_texts]
    semantic.encode(texts[:8])  # load the model
    t = time.monotonic()
    encoded = semantic.encode(texts)
    took = time.monotonic() - t
    print(
        f"embedding throughput: {len(texts)} texts of {n} records in {took:.1f} s = "
        f"{len(texts) / took:.0f} texts/s, {n / took:.0f} records/s (one thread)"
    )
    out, i = [], 0
    for e in entries:
        k = len(e.embed_texts)
        vec = encoded[i : i + k].mean(axis=0)
        out.append(vec / np.linalg.norm(vec))
        i += k
    return np.asarray(out, dtype=np.float32)


# --- measuring --------------------------------------------------------------------------------
def queries(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """(language, query): common words, rare words and two-word queries in six languages."""
    from collections import Counter

    from bench.search_bench import word_pools

    pools = word_pools()
    out = []
    for i in range(n):
        lang = LANGS[i % len(LANGS)]
        freq = Counter(w for w in pools[lang] if len(w) >= 4 or lang == "zh")
        ranked = [w for w, _c in freq.most_common()]
        common, rare = ranked[: max(1, len(ranked) // 10)], ranked[len(ranked) // 2 :]
        kind = (i // len(LANGS)) % 4
        if kind == 0:
            q = rng.choice(common)
        elif kind == 1:
            q = rng.choice(rare)
        elif kind == 2:
            q = f"{rng.choice(common)} {rng.choice(common)}"
        else:
            q = f"{rng.choice(common)} {rng.choice(rare)}"
        out.append((lang, q))
    return out


def concept_queries() -> list[str]:
    """Queries naming a concept (target, subject, country, region) and nothing else."""
    return [
        "restauración",
        "Kenya",
        "Bénin",
        "Western Africa",
        "Азия",
        "湿地",
        "pollution",
        "espèces exotiques envahissantes",
        "Mexico",
        "مصر",
        "зелёные",
        "invasive alien species",
    ]


def measure(args: argparse.Namespace) -> None:
    import platform

    from django.conf import settings
    from django.db import connection

    from bench.common import pct, timed
    from clearinghouse.portals.models import Portal
    from clearinghouse.search import semantic, service
    from clearinghouse.search.backends import PG_CONFIGS, PostgresBackend, SQLiteBackend, window
    from clearinghouse.search.text import parse_query

    if args.window is not None:
        settings.CLEARINGHOUSE_SEARCH_WINDOW = args.window
    print(f"ranking window: {window() or 'off (every match ranked)'}")
    rng = random.Random(args.seed + 1)
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM search_record")
        n = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM search_text")
        docs = cur.fetchone()[0]
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPU, load {os.getloadavg()[0]:.1f}, "
        f"Python {platform.python_version()}; {n} records, {docs} documents indexed"
    )
    central = Portal.objects.get(code="central")
    mixed = queries(args.queries, rng)
    keywords = [q for _lang, q in mixed]
    target_values = [f"GBF-TARGET-{k:02d}" for k in (2, 3, 6, 7, 8, 10, 12, 19)]
    results: dict[str, list[float]] = {}
    totals: list[int] = []

    estimated: list[bool] = []

    def keyword(q: str) -> None:
        found = service.search(q, central, mode="lexical")
        totals.append(found.total)
        estimated.append(found.total_estimated)

    if semantic.available():
        t = time.perf_counter()
        service.search("warm up", central, mode="semantic")
        print(
            f"first semantic query (model and vector matrix load): {time.perf_counter() - t:.1f} s"
        )

    results["keyword"] = timed(keyword, keywords)
    results["keyword + facets (target, year)"] = timed(
        lambda q: service.search(
            q,
            central,
            mode="lexical",
            filters={"target": [rng.choice(target_values)], "year": [str(rng.randint(2017, 2026))]},
        ),
        keywords,
    )
    concepts = concept_queries()
    results["faceted only: a concept query + country facet"] = timed(
        lambda q: service.search(q, central, mode="lexical", filters={"country": ["ke"]}),
        concepts * max(1, args.queries // len(concepts)),
    )
    results["keyword, sorted by date"] = timed(
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

        def raw_window(q: str) -> None:
            expr = SQLiteBackend.expression(parse_query(q))
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT rowid FROM search_fts WHERE search_fts MATCH %s "
                    "ORDER BY rowid DESC LIMIT %s",
                    [expr, (window() or 5000) + 1],
                )
                cur.fetchall()

        walk = "engine part of the window: raw FTS5 MATCH … ORDER BY rowid DESC LIMIT 5,001"
        floor = "floor: raw FTS5 MATCH … ORDER BY rank LIMIT 20"
    else:

        def pg_matches(parsed: Any) -> tuple[str, list[str]]:
            conds, params = [], []
            for cfg in sorted(set(PG_CONFIGS.values())):
                conds.append(f"(cfg = '{cfg}'::regconfig AND tsv @@ to_tsquery('{cfg}', %s))")
                params.append(PostgresBackend.tsquery(parsed, cfg))
            return " OR ".join(conds), params

        def raw(q: str) -> None:
            parsed = parse_query(q)
            where, params = pg_matches(parsed)
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT id FROM search_text WHERE {where} "
                    f"ORDER BY ts_rank(tsv, to_tsquery('simple', %s)) DESC LIMIT 20",
                    [*params, PostgresBackend.tsquery(parsed, "simple")],
                )
                cur.fetchall()

        def raw_window(q: str) -> None:
            where, params = pg_matches(parse_query(q))
            with connection.cursor() as cur:
                cur.execute(
                    f"SELECT id FROM search_text WHERE {where} ORDER BY id DESC LIMIT %s",
                    [*params, (window() or 5000) + 1],
                )
                cur.fetchall()

        walk = "engine part of the window: raw tsv @@ to_tsquery ORDER BY id DESC LIMIT 5,001"
        floor = "floor: raw tsv @@ to_tsquery (5 configurations) ORDER BY ts_rank LIMIT 20"
    results[walk] = timed(raw_window, keywords)
    results[floor] = timed(raw, keywords)

    print(
        f"{len(keywords)} queries per kind (six languages: common, rare, two common, common + "
        f"rare); matching records per keyword query (as reported): median "
        f"{statistics.median(totals):.0f}, max {max(totals)}; beyond the window: "
        f"{sum(1 for e in estimated if e)} of {len(estimated)}"
    )
    f50, f95 = statistics.median(results[floor]), pct(results[floor], 0.95)
    print("| query | p50 ms | p95 ms | p50 / floor | p95 / floor |")
    print("|---|---:|---:|---:|---:|")
    for name, values in results.items():
        p50, p95 = statistics.median(values), pct(values, 0.95)
        print(f"| {name} | {p50:.1f} | {p95:.1f} | {p50 / f50:.1f}× | {p95 / f95:.1f}× |")


if __name__ == "__main__":
    main()
