"""Gap analysis: /api/search/gaps and /<lang>/search/gaps/ count the right records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from clearinghouse.search.backends import get_backend
from clearinghouse.search.documents import Entry

pytestmark = pytest.mark.django_db
CENTRAL = {"HTTP_HOST": "central.testserver"}


def _index(record_id: int, schema: str, portal_id: int, targets: list[str]) -> None:
    """An indexed request or provider (their facet rows are what the gap analysis reads)."""
    get_backend().write(
        [
            Entry(
                record_id=record_id,
                uid=f"X-{record_id}",
                portal_id=portal_id,
                schema=schema,
                published_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
                titles={"en": schema},
                facets=[("type", schema), *(("target", t) for t in targets)],
            )
        ]
    )


@pytest.fixture
def data(publish_corpus: Callable, central: Any) -> dict[str, Any]:
    records = publish_corpus("r01", "r02", "r04")  # resources: T2 ×3, T8 ×1
    _index(900001, "bbiRequest", central.pk, ["GBF-TARGET-03"])
    _index(900002, "bbiRequest", central.pk, ["GBF-TARGET-02", "GBF-TARGET-03"])
    _index(900003, "bbiProfile", central.pk, ["GBF-TARGET-02"])
    _index(900004, "capacityBuildingInitiative", central.pk, ["GBF-TARGET-08"])
    return records


def test_api_gap_counts(data: Any, client: Any, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(6):
        resp = client.get("/api/search/gaps", **CENTRAL)
    assert resp.status_code == 200
    rows = {r["identifier"]: r for r in resp.json()["rows"]}
    assert len(rows) >= 23  # every GBF target is listed, with or without records
    assert rows["GBF-TARGET-02"]["counts"] == {
        "guidance": 3,
        "capacity": 0,
        "providers": 1,
        "requests": 1,
    }
    assert rows["GBF-TARGET-02"]["gaps"] == []
    assert rows["GBF-TARGET-03"]["counts"] == {
        "guidance": 0,
        "capacity": 0,
        "providers": 0,
        "requests": 2,
    }
    assert rows["GBF-TARGET-03"]["gaps"] == ["no-providers", "no-guidance"]
    assert rows["GBF-TARGET-08"]["counts"]["guidance"] == 1
    assert rows["GBF-TARGET-08"]["counts"]["capacity"] == 1
    assert rows["GBF-TARGET-08"]["gaps"] == []


def test_national_portal_counts_its_own_records(data: Any, client: Any) -> None:
    body = client.get("/api/search/gaps", HTTP_HOST="bj.testserver").json()
    rows = {r["identifier"]: r for r in body["rows"]}
    assert rows["GBF-TARGET-02"]["counts"] == {
        "guidance": 1,
        "capacity": 0,
        "providers": 0,
        "requests": 0,
    }


def test_gaps_by_subject(data: Any, client: Any) -> None:
    body = client.get("/api/search/gaps", {"by": "subject"}, **CENTRAL).json()
    assert body["by"] == "subject"
    assert all(r["identifier"].startswith("CBD-SUBJECT") for r in body["rows"][:3])
    assert sum(r["counts"]["guidance"] for r in body["rows"]) >= 3


def test_gaps_page_highlights_thin_targets(data: Any, client: Any) -> None:
    resp = client.get("/en/search/gaps/", **CENTRAL)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'id="GBF-TARGET-03" class="thin"' in html
    assert 'id="GBF-TARGET-02">' in html
    assert "requests but no providers" in html


def test_gaps_by_region(data: Any, client: Any) -> None:
    rows = client.get("/api/search/gaps", {"by": "region"}, **CENTRAL).json()["rows"]
    africa = next(r for r in rows if r["label"] == "Africa")
    assert africa["counts"]["guidance"] == 1  # r01 (Benin)
