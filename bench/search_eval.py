"""Search quality on the labelled multilingual set (tests/data/search_eval.json).

Prints nDCG@10 and recall@10 for lexical, semantic and hybrid search (all queries and the
cross-language ones), then precision and recall of the GBF-target and subject suggestions, and
the accuracy of the language guess, then the suggestions on held-out records before and after
feeding back editors' decisions on a training split (two folds). Runs on a throw-away test
database:

    .venv/bin/python bench/search_eval.py                 # SQLite (in memory)
    .venv/bin/python bench/search_eval.py --feedback      # only the learning part
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
# Queries naming an Aichi target (records are tagged with GBF targets only): found through the
# CBD's GBF_SAMEAS crosswalk. Relevant: the records on that topic in the labelled set.
CROSSWALK_QUERIES = [
    ("Aichi Target 11", ["r07", "r08", "r09", "r10"]),  # protected areas → GBF Target 3
    ("Objectif d'Aichi 11", ["r07", "r08", "r09", "r10"]),
    ("Meta 9 de Aichi", ["r11", "r12", "r13"]),  # invasive species → GBF Target 6
    ("Айтинская целевая задача 8", ["r14", "r15", "r16"]),  # pollution → GBF Target 7
    ("爱知目标16", ["r24", "r25", "r26"]),  # Nagoya Protocol → GBF Target 13
]


def ndcg(ranked: list[str], relevant: set[str], k: int = K) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, key in enumerate(ranked[:k]) if key in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall(ranked: list[str], relevant: set[str], k: int = K) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def main() -> None:
    """``--feedback``: only the learning-from-feedback evaluation (quicker)."""
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    db_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run_feedback() if "--feedback" in sys.argv else run()
    finally:
        connection.creation.destroy_test_db(db_name, verbosity=0)


def run_feedback() -> None:
    from tests.search import corpus

    from clearinghouse.search import semantic
    from clearinghouse.vocabularies.seed import load_all

    load_all()
    records = corpus.load()
    print(f"semantic model: {semantic.available()}")
    feedback_eval(records, corpus.data()["records"])


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

    print(f"\n{len(CROSSWALK_QUERIES)} crosswalk queries (Aichi targets by name, 5 languages)")
    print(f"| mode | nDCG@{K} | recall@{K} |")
    print("|---|---|---|")
    for mode in ("lexical", "hybrid"):
        cw_n, cw_r = [], []
        for q, relevant in CROSSWALK_QUERIES:
            res = service.search(q, central, mode=mode, page_size=K)
            ranked = [key_of[h.record_id] for h in res.hits]
            cw_n.append(ndcg(ranked, set(relevant)))
            cw_r.append(recall(ranked, set(relevant)))
        print(f"| {mode} | {mean(cw_n):.3f} | {mean(cw_r):.3f} |")

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
    feedback_eval(records, data["records"])


TIMES: dict[bool, list[float]] = {}


def _text(item: dict) -> str:
    return "\n".join([*item["title"].values(), *item["summary"].values()])


def _score(items: list[dict], learn: bool) -> dict[str, list[int]]:
    from clearinghouse.search import suggest

    counts = {"targets": [0, 0, 0], "subjects": [0, 0, 0]}  # correct, suggested, labelled
    for item in items:
        started = time.perf_counter()
        out = suggest.suggest(_text(item), learn=learn)
        TIMES.setdefault(learn, []).append(time.perf_counter() - started)
        for kind, labelled in (("targets", item["targets"]), ("subjects", item["subjects"])):
            got = {s.identifier for s in getattr(out, kind)}
            counts[kind][0] += len(got & set(labelled))
            counts[kind][1] += len(got)
            counts[kind][2] += len(labelled)
    return counts


def feed_back(records: dict, items: list[dict]) -> int:
    """What an editor does on each training record: accept the suggestions that are right,
    reject the others, and add (accept) the right tags that were not suggested."""
    from clearinghouse.records.types import GBF_TARGETS, SUBJECTS
    from clearinghouse.search import learning, suggest

    n = 0
    for item in items:
        text = _text(item)
        out = suggest.suggest(text)
        record = records[item["key"]]
        for kind, scheme, labelled in (
            ("targets", GBF_TARGETS, item["targets"]),
            ("subjects", SUBJECTS, item["subjects"]),
        ):
            shown = {s.identifier: s.confidence for s in getattr(out, kind)}
            for ident, conf in shown.items():
                decision = "accepted" if ident in labelled else "rejected"
                learning.record_decision(record, None, scheme, ident, decision, conf, text)
                n += 1
            for ident in set(labelled) - set(shown):
                learning.record_decision(record, None, scheme, ident, "accepted", None, text)
                n += 1
    return n


def feedback_eval(records: dict, items: list[dict]) -> None:
    """Precision/recall of the suggestions on held-out records, before and after feeding back
    the editors' decisions on a training split (two folds: each half trains, the other is
    evaluated; figures summed over both)."""
    from clearinghouse.search.models import TagFeedback

    folds = [items[0::2], items[1::2]]
    before = {"targets": [0, 0, 0], "subjects": [0, 0, 0]}
    after = {"targets": [0, 0, 0], "subjects": [0, 0, 0]}
    decisions = 0
    started = time.monotonic()
    for i, held_out in enumerate(folds):
        train = folds[1 - i]
        TagFeedback.objects.all().delete()
        for kind, c in _score(held_out, learn=False).items():
            before[kind] = [a + b for a, b in zip(before[kind], c, strict=True)]
        decisions += feed_back(records, train)
        for kind, c in _score(held_out, learn=True).items():
            after[kind] = [a + b for a, b in zip(after[kind], c, strict=True)]
    TagFeedback.objects.all().delete()
    print(
        f"\nlearning from editors' decisions: 2 folds of {len(folds[0])}/{len(folds[1])} "
        f"records, {decisions} decisions fed back, {time.monotonic() - started:.1f} s"
    )
    print("| suggestions (held-out) | precision | recall | F1 | suggested | labelled |")
    print("|---|---|---|---|---|---|")
    for label, counts in (("before", before), ("after feedback", after)):
        for kind, (correct, suggested, labelled) in counts.items():
            p, r = correct / max(suggested, 1), correct / max(labelled, 1)
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            print(f"| {kind}, {label} | {p:.3f} | {r:.3f} | {f1:.3f} | {suggested} | {labelled} |")
    for learn, times in sorted(TIMES.items()):
        times.sort()
        print(
            f"suggest() {'with' if learn else 'without'} learning: median "
            f"{1000 * times[len(times) // 2]:.0f} ms, max {1000 * times[-1]:.0f} ms "
            f"({len(times)} calls)"
        )


if __name__ == "__main__":
    main()
    sys.exit(0)
