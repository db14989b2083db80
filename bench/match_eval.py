"""Matchmaking quality on the evaluation set (bench/match_eval_data.py).

Prints precision@5, nDCG@5 and coverage (share of requests with at least one good match in
the top 5) for the engine (with multilingual embeddings when installed, and lexical only)
and for a plain keyword baseline (shared words between the need and the expertise).

    .venv/bin/python bench/match_eval.py
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable
from pathlib import Path

sys.path[:0] = [str(Path(__file__).parent), str(Path(__file__).parent.parent / "src")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")

import django  # noqa: E402

django.setup()

from match_eval_data import PROVIDERS, REQUESTS  # noqa: E402

from clearinghouse.cooperation.matching import (  # noqa: E402
    Encoder,
    MatchIndex,
    Need,
    Provider,
    tokens,
)
from clearinghouse.cooperation.services import (  # noqa: E402
    need_from_document,
    provider_from_document,
)

K = 5
Ranker = Callable[[Need], list[str]]


def providers() -> list[Provider]:
    return [provider_from_document(doc, key) for key, doc in PROVIDERS.items()]


def needs() -> list[tuple[Need, dict[str, int]]]:
    return [(need_from_document(r["document"], r["key"]), r["relevant"]) for r in REQUESTS]


def engine(encoder: Encoder) -> Ranker:
    index = MatchIndex(providers(), encoder)
    return lambda need: [s.provider.key for s in index.suggest(need, k=K)]


def keyword_baseline() -> Ranker:
    bags = [(p.key, set(tokens(p.text))) for p in providers()]

    def rank(need: Need) -> list[str]:
        words = set(tokens(need.text))
        scored = sorted(bags, key=lambda item: -len(words & item[1]))
        return [key for key, bag in scored if words & bag][:K]

    return rank


def evaluate(rank: Ranker) -> dict[str, float]:
    precision = ndcg = covered = 0.0
    items = needs()
    for need, relevant in items:
        top = rank(need)[:K]
        precision += sum(1 for key in top if key in relevant) / K
        dcg = sum((2 ** relevant.get(key, 0) - 1) / math.log2(i + 2) for i, key in enumerate(top))
        ideal = sorted(relevant.values(), reverse=True)[:K]
        idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
        ndcg += dcg / idcg
        covered += any(key in relevant for key in top)
    n = len(items)
    return {"precision@5": precision / n, "nDCG@5": ndcg / n, "coverage": covered / n}


def main() -> None:
    items = needs()
    best_p = sum(min(len(r), K) / K for _n, r in items) / len(items)
    print(f"evaluation set: {len(PROVIDERS)} providers, {len(items)} requests")
    print(f"(precision@5 cannot exceed {best_p:.3f}: most requests have 1-3 good matches)")
    rows = [("keyword baseline", keyword_baseline())]
    rows.append(("engine, lexical similarity", engine(Encoder(semantic=False))))
    semantic = Encoder(semantic=True)
    if semantic.kind == "semantic":
        rows.append(("engine, multilingual embeddings", engine(semantic)))
    print(f"{'ranker':34} {'precision@5':>12} {'nDCG@5':>8} {'coverage':>9}")
    for name, rank in rows:
        m = evaluate(rank)
        print(f"{name:34} {m['precision@5']:12.3f} {m['nDCG@5']:8.3f} {m['coverage']:9.3f}")
    pe = next(n for n, _r in items if n.key == "pe-ias")
    print("Carlos (Peru, Target 6), engine top 5:", rows[-1][1](pe))


if __name__ == "__main__":
    main()
