"""Search quality on the labelled multilingual set (tests/data/search_eval.json).

Prints nDCG@10 and recall@10 for lexical, semantic and hybrid search (all queries and the
cross-language ones), then precision and recall of the GBF-target and subject suggestions, and
the accuracy of the language guess. Runs on a throw-away test database:

    .venv/bin/python bench/search_eval.py                 # SQLite (in memory)
    DATABASE_URL=postgres://… .venv/bin/python bench/search_eval.py   # PostgreSQL (test_… db)
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
K = 10


def ndcg(ranked: list[str], relevant: set[str], k: int = K) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, key in enumerate(ranked[:k]) if key in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall(ranked: list[str], relevant: set[str], k: int = K) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    db_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(db_name, verbosity=0)


def run() -> None:
    from django.db import connection
    from tests.search import corpus

    from clearinghouse.search import semantic, service, suggest
    from clearinghouse.search.text import detect_language
    from clearinghouse.vocabularies.seed import load_all

    load_all()
    started = time.monotonic()
    records = corpus.load()
    print(
        f"backend: {connection.vendor}; {len(records)} records published and indexed in "
        f"{time.monotonic() - started:.1f} s; semantic model: {semantic.available()}"
    )
    key_of = {r.pk: key for key, r in records.items()}
    central = corpus.portals()["central"]
    data = corpus.data()
    queries = data["queries"]

    rows: dict[str, dict[str, list[float]]] = {}
    for label in ("lexical, no thesaurus", "lexical", "semantic", "hybrid"):
        mode = label.split(",")[0]
        scores: dict[str, list[float]] = {"ndcg": [], "recall": [], "x_ndcg": [], "x_recall": []}
        for item in queries:
            res = service.search(
                item["q"], central, mode=mode, page_size=K, expand="no thesaurus" not in label
            )
            ranked = [key_of[h.record_id] for h in res.hits]
            relevant = set(item["relevant"])
            n, r = ndcg(ranked, relevant), recall(ranked, relevant)
            scores["ndcg"].append(n)
            scores["recall"].append(r)
            if item["cross_language"]:
                scores["x_ndcg"].append(n)
                scores["x_recall"].append(r)
        rows[label] = scores

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    n_cross = sum(q["cross_language"] for q in queries)
    print(f"\n{len(queries)} queries ({n_cross} cross-language), k={K}")
    print(f"| mode | nDCG@{K} | recall@{K} | nDCG@{K} cross-lang | recall@{K} cross-lang |")
    print("|---|---|---|---|---|")
    for mode, s in rows.items():
        print(
            f"| {mode} | {mean(s['ndcg']):.3f} | {mean(s['recall']):.3f} | "
            f"{mean(s['x_ndcg']):.3f} | {mean(s['x_recall']):.3f} |"
        )

    # Tag suggestions: the record's title and summary, without its tags.
    counts = {"targets": [0, 0, 0], "subjects": [0, 0, 0]}  # correct, suggested, labelled
    lang_ok = 0
    for item in data["records"]:
        text = "\n".join([*item["title"].values(), *item["summary"].values()])
        out = suggest.suggest(text)
        for kind, labelled in (("targets", item["targets"]), ("subjects", item["subjects"])):
            got = {s.identifier for s in getattr(out, kind)}
            counts[kind][0] += len(got & set(labelled))
            counts[kind][1] += len(got)
            counts[kind][2] += len(labelled)
        lang_ok += detect_language(text) == next(iter(item["title"]))
    print("\n| suggestions | precision | recall | suggested | labelled |")
    print("|---|---|---|---|---|")
    for kind, (correct, suggested, labelled) in counts.items():
        print(
            f"| {kind} | {correct / max(suggested, 1):.3f} | {correct / max(labelled, 1):.3f} "
            f"| {suggested} | {labelled} |"
        )
    print(f"\nlanguage guess: {lang_ok}/{len(data['records'])} records right")


if __name__ == "__main__":
    main()
    sys.exit(0)
