"""Matchmaking speed: rank 10,000 requests against 10,000 providers, and the p95 latency of
matching one request (with its explanations) against the same 10,000 providers.

Synthetic but realistic data: vocabularies, countries and regions as in the seed, texts
composed from a pool of expertise phrases in several languages.

    .venv/bin/python bench/match_bench.py [--n 10000] [--semantic]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("MKL_NUM_THREADS", "2")
sys.path.insert(0, str(Path(__file__).parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clearinghouse.settings")

import numpy as np

from clearinghouse.cooperation.matching import (
    SUBJECTS,
    TARGETS,
    Encoder,
    MatchIndex,
    Need,
    Provider,
    _geography,
)

ASSISTANCE = ["TRAINING", "EXPERT-ADVICE", "TECHNOLOGY", "DATA", "POLICY", "RESEARCH"]
LANGS = ["EN", "FR", "ES", "AR", "RU", "ZH", "PT"]
BENEFICIARIES = ["GOVERNMENT", "IPLC", "NGO", "ACADEMIA", "WOMEN-YOUTH", "PRIVATE"]
PHRASES = [
    "invasive alien species control and eradication",
    "manejo de especies exóticas invasoras",
    "espèces exotiques envahissantes",
    "restoration of degraded forest landscapes",
    "restauración ecológica de humedales",
    "восстановление лесов",
    "protected area management effectiveness",
    "gestion des aires protégées",
    "biodiversity information systems and indicators",
    "sistemas de información sobre biodiversidad",
    "生物多样性监测",
    "外来入侵物种管理",
    "access and benefit-sharing frameworks",
    "biosafety risk assessment of living modified organisms",
    "biodiversity finance and resource mobilization",
    "agroforestry and agricultural biodiversity",
    "marine spatial planning and coastal ecosystems",
    "إدارة المناطق المحمية",
    "traditional knowledge and community conservation",
    "wildlife trade and sustainable use",
]


def _pick(rng: np.random.Generator, items: list[str], lo: int, hi: int) -> list[str]:
    n = int(rng.integers(lo, hi + 1))
    return [items[i] for i in rng.choice(len(items), size=min(n, len(items)), replace=False)]


def synthetic(n_providers: int, n_needs: int, seed: int = 7) -> tuple[list, list]:
    rng = np.random.default_rng(seed)
    geo = _geography()
    countries = sorted(geo)
    regions = sorted({r for chain in geo.values() for r in chain[:-1]})
    providers = []
    for i in range(n_providers):
        coverage = set(_pick(rng, regions, 0, 3)) | set(_pick(rng, countries, 0, 3))
        providers.append(
            Provider(
                key=f"p{i}",
                name=f"Provider {i}",
                country=countries[int(rng.integers(len(countries)))],
                assistance=frozenset(f"AT-{a}" for a in _pick(rng, ASSISTANCE, 1, 3)),
                languages=frozenset(f"LANG-{x}" for x in _pick(rng, LANGS, 1, 3)),
                coverage=frozenset(coverage) if rng.random() > 0.05 else frozenset(),
                targets=frozenset(_pick(rng, list(TARGETS), 1, 4)),
                subjects=frozenset(_pick(rng, list(SUBJECTS), 1, 3)),
                beneficiaries=frozenset(
                    f"BT-{b}"
                    for b in (_pick(rng, BENEFICIARIES, 1, 3) if rng.random() < 0.3 else [])
                ),
                text=" ; ".join(_pick(rng, PHRASES, 1, 3)),
                open_slots=int(rng.integers(0, 5)),
                active=int(rng.integers(0, 3)),
                track_record=int(rng.integers(0, 15)),
            )
        )
    needs = [
        Need(
            key=f"n{i}",
            country=countries[int(rng.integers(len(countries)))],
            assistance=frozenset(f"AT-{a}" for a in _pick(rng, ASSISTANCE, 1, 2)),
            languages=frozenset(f"LANG-{x}" for x in _pick(rng, LANGS, 1, 2)),
            targets=frozenset(_pick(rng, list(TARGETS), 1, 3)),
            subjects=frozenset(_pick(rng, list(SUBJECTS), 0, 2)),
            beneficiaries=frozenset(f"BT-{b}" for b in _pick(rng, BENEFICIARIES, 1, 2)),
            text=" ; ".join(_pick(rng, PHRASES, 1, 2)),
        )
        for i in range(n_needs)
    ]
    return providers, needs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--semantic", action="store_true", help="multilingual embeddings")
    args = parser.parse_args()
    import django

    django.setup()
    encoder = Encoder(semantic=args.semantic)
    print(f"similarity: {encoder.kind}; cores: {os.cpu_count()}; numpy {np.__version__}")
    providers, needs = synthetic(args.n, args.n)
    t0 = time.perf_counter()
    index = MatchIndex(providers, encoder)
    build = time.perf_counter() - t0
    encoder.encode([n.text for n in needs])  # embeddings are computed once per request text
    t0 = time.perf_counter()
    idx, _scores, counts = index.rank(needs, k=5)
    batch = time.perf_counter() - t0
    print(f"index of {len(providers):,} providers built in {build:.2f} s")
    print(
        f"ranked {len(needs):,} requests x {len(providers):,} providers (top 5) in {batch:.2f} s"
        f"; median feasible providers per request {int(np.median(counts))},"
        f" requests with no candidate {int((idx[:, 0] < 0).sum())}"
    )
    times = []
    for need in needs[:300]:
        t0 = time.perf_counter()
        index.suggest(need, k=5)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"single request with explanations: median {statistics.median(times):.1f} ms,"
        f" p95 {p95:.1f} ms (n={len(times)})"
    )


if __name__ == "__main__":
    main()
