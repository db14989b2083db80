"""What makes search hold at a million records: the projected vector matrix (re-scored
exactly), its incremental refresh, and facet counts estimated beyond a budget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from clearinghouse.search import semantic, service

pytestmark = pytest.mark.django_db


@pytest.fixture
def vectors(publish_corpus: Callable, monkeypatch: Any) -> dict[int, np.ndarray]:
    """Every published record gets a vector from a few shared directions (clusters)."""
    records = publish_corpus()
    rng = np.random.default_rng(5)
    centres = rng.standard_normal((6, semantic.DIM)).astype(np.float32)
    out = {}
    for i, record in enumerate(sorted(records.values(), key=lambda r: r.pk)):
        vec = centres[i % 6] + 0.3 * rng.standard_normal(semantic.DIM).astype(np.float32)
        out[record.pk] = vec / np.linalg.norm(vec)
    semantic.store(out)
    monkeypatch.setattr(semantic, "_matrix", semantic._Matrix())
    return out


def test_projected_matrix_finds_what_exact_search_finds(
    vectors: dict[int, np.ndarray], monkeypatch: Any
) -> None:
    query = next(iter(vectors.values()))
    exact = semantic.nearest(query, None, 5, 0.0)
    assert semantic._matrix.basis is None and semantic._matrix.matrix.shape[1] == semantic.DIM

    monkeypatch.setattr(semantic, "_matrix", semantic._Matrix())
    monkeypatch.setattr(semantic, "EXACT_MAX", 10)  # 42 vectors: projected
    monkeypatch.setattr(semantic, "RERANK_MIN", 8)  # re-score only the best 10
    coarse = semantic.nearest(query, None, 5, 0.0)
    assert semantic._matrix.matrix.shape == (len(vectors), semantic.COARSE_DIM)
    assert [rid for rid, _s in coarse] == [rid for rid, _s in exact]
    # Similarities are the exact cosines (re-scored from the stored vectors).
    assert [round(s, 5) for _r, s in coarse] == [round(s, 5) for _r, s in exact]
    assert coarse[0][1] == pytest.approx(1.0, abs=1e-5)


def test_new_vectors_are_merged_without_a_full_reload(
    vectors: dict[int, np.ndarray], monkeypatch: Any
) -> None:
    monkeypatch.setattr(semantic, "EXACT_MAX", 10)
    first = next(iter(vectors))
    semantic.nearest(vectors[first], None, 5, 0.0)  # full load (projected)

    def no_full_reload(count: int) -> None:
        raise AssertionError("full reload")

    monkeypatch.setattr(semantic, "_full_load", no_full_reload)
    last = max(vectors)
    fresh = -vectors[first]  # a direction no record had
    semantic.store({last: fresh})
    best = semantic.nearest(fresh, None, 3, 0.0)
    assert best[0][0] == last and best[0][1] == pytest.approx(1.0, abs=1e-5)
    assert first not in [rid for rid, _s in best]


def test_facet_counts_beyond_the_budget_are_estimated_and_marked(
    publish_corpus: Callable, central: Any, monkeypatch: Any
) -> None:
    publish_corpus()
    exact = service.search("biodiversity", central, mode="lexical")
    assert exact.total > 6 and not exact.facets_approximate
    types = {v.value: v.count for v in next(f for f in exact.facets if f.name == "type").values}
    assert sum(types.values()) == exact.total  # one type per record: exact counts add up

    monkeypatch.setattr(service, "FACET_BUDGET", 3)
    estimated = service.search("biodiversity", central, mode="lexical")
    assert estimated.facets_approximate
    assert estimated.total == exact.total  # the total and the ranking stay exact
    assert [h.record_id for h in estimated.hits] == [h.record_id for h in exact.hits]
    language = next(f for f in estimated.facets if f.name == "language")
    # Counted on 3 records, scaled to the total: multiples of total / 3, rounded.
    scale = exact.total / 3
    assert all(v.count in {service._round2(k * scale) for k in (1, 2, 3)} for v in language.values)


def test_round_to_two_significant_digits() -> None:
    assert [service._round2(x) for x in (0.2, 7.4, 42, 1234, 98765)] == [1, 7, 42, 1200, 99000]


def test_the_page_and_the_api_say_when_counts_are_estimated(
    publish_corpus: Callable, client: Any, monkeypatch: Any
) -> None:
    publish_corpus()
    host = {"HTTP_HOST": "central.testserver"}
    exact = client.get("/api/search?q=biodiversity&mode=lexical", **host).json()
    assert exact["facets_approximate"] is False
    page = client.get("/en/search?q=biodiversity&mode=lexical", **host).content.decode()
    assert "estimated" not in page and "(≈" not in page

    monkeypatch.setattr(service, "FACET_BUDGET", 3)
    assert client.get("/api/search?q=biodiversity&mode=lexical", **host).json()[
        "facets_approximate"
    ]
    page = client.get("/en/search?q=biodiversity&mode=lexical", **host).content.decode()
    assert "Facet counts marked ≈ are estimated" in page and "(≈ " in page
