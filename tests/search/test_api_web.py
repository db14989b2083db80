"""GET /api/search, POST /api/search/suggest and the /<lang>/search page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

pytestmark = pytest.mark.django_db
CENTRAL = {"HTTP_HOST": "central.testserver"}


@pytest.mark.parametrize(
    "q",
    ["", "   ", "x" * 300, '"mangrove', "NEAR(forest sea)", "forest AND (sea", "fore*", "a^2"],
)
def test_bad_queries_are_a_clear_400(client: Any, central: Any, q: str) -> None:
    resp = client.get("/api/search", {"q": q}, **CENTRAL)
    assert resp.status_code == 400
    assert resp.json()["detail"]


def test_bad_mode_is_a_400(client: Any, central: Any) -> None:
    for params in ({"mode": "x"}, {"sort": "random"}):
        resp = client.get("/api/search", {"q": "forest", **params}, **CENTRAL)
        assert resp.status_code == 400 and resp.json()["detail"]


def test_api_search_with_facets(publish_corpus: Callable, client: Any) -> None:
    records = publish_corpus("r01", "r02", "r03", "r07")
    resp = client.get(
        "/api/search",
        {"q": "restoration", "mode": "hybrid", "target": "GBF-TARGET-02", "page_size": 2},
        **CENTRAL,
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["total"] == 3 and body["pages"] == 2 and len(body["results"]) == 2
    assert {r["uid"] for r in body["results"]} <= {records[k].uid for k in ("r01", "r02", "r03")}
    names = [f["name"] for f in body["facets"]]
    assert names == ["type", "portal", "country", "region", "target", "subject", "language", "year"]
    target = next(f for f in body["facets"] if f["name"] == "target")
    assert {"value": "GBF-TARGET-02", "count": 3, "selected": True}.items() <= next(
        v for v in target["values"] if v["value"] == "GBF-TARGET-02"
    ).items()
    assert any(c["identifier"] == "GBF-TARGET-02" for c in body["concepts"])


def test_api_semantic_mode_says_closest(publish_corpus: Callable, client: Any) -> None:
    publish_corpus("r22", "r11")
    body = client.get("/api/search", {"q": "城市公园", "mode": "semantic"}, **CENTRAL).json()
    assert body["mode"] == "semantic"
    assert body["results"][0]["matched_by"] == ["closest"]
    assert body["results"][0]["similarity"] > 0.3


def test_suggest_targets_subjects_countries_and_language(client: Any, central: Any) -> None:
    text = (
        "Guide pour le contrôle des espèces exotiques envahissantes sur les îles du Bénin : "
        "détection précoce et éradication des rats et des plantes invasives."
    )
    resp = client.post(
        "/api/search/suggest", {"text": text}, content_type="application/json", **CENTRAL
    )
    assert resp.status_code == 200
    body = resp.json()
    assert body["language"] == "fr"
    assert "CBD-SUBJECT-IAS" in [s["identifier"] for s in body["subjects"]]
    assert "GBF-TARGET-06" in [s["identifier"] for s in body["targets"]]
    assert [c["identifier"] for c in body["countries"]] == ["bj"]
    top = body["targets"][0]
    assert 0 < top["confidence"] <= 1 and top["reasons"]


def test_suggest_reads_a_draft_document(client: Any, central: Any) -> None:
    document = {"title": {"es": "Restauración de humedales degradados en el Perú"}}
    body = client.post(
        "/api/search/suggest", {"document": document}, content_type="application/json", **CENTRAL
    ).json()
    assert body["language"] == "es"
    assert [c["identifier"] for c in body["countries"]] == ["pe"]
    assert "CBD-SUBJECT-RESTORATION" in [s["identifier"] for s in body["subjects"]]


def test_suggest_needs_text(client: Any, central: Any) -> None:
    resp = client.post("/api/search/suggest", {}, content_type="application/json", **CENTRAL)
    assert resp.status_code == 400


def test_search_page_works_without_javascript(publish_corpus: Callable, client: Any) -> None:
    records = publish_corpus("r01", "r02")
    resp = client.get("/es/search", {"q": "restauración"}, **CENTRAL)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert records["r02"].title["es"] in html
    assert "<mark>" in html
    # Facets are plain links that add a filter to the query string.
    assert 'href="?q=restauraci%C3%B3n&amp;country=pe"' in html or "country=pe" in html
    resp = client.get("/es/search", {"q": "restauración", "country": "pe"}, **CENTRAL)
    assert records["r02"].title["es"] in resp.content.decode()
    assert records["r01"].title["fr"] not in resp.content.decode()


def test_search_page_explains_a_bad_query(client: Any, central: Any) -> None:
    resp = client.get("/en/search", {"q": '"oops'}, **CENTRAL)
    assert resp.status_code == 400
    assert "quotation mark" in resp.content.decode()
    assert client.get("/ar/search", **CENTRAL).status_code == 200  # the empty form
