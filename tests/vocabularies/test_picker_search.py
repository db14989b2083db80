"""The picker search endpoint /api/vocab/{scheme}/search and its place in editor forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

import clearinghouse.vocabularies
from clearinghouse.vocabularies.models import Concept, ConceptScheme
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _search(web: Client, scheme: str, **params: Any) -> Any:
    response = web.get(f"/api/vocab/{scheme}/search", params)
    assert response.status_code == 200, response.content
    return response.json()


def _benin() -> Concept:
    return next(
        c
        for c in Concept.objects.filter(scheme__identifier="countries")
        if c.pref_labels.get("en") == "Benin"
    )


def test_matches_any_language_answers_in_the_asked_one(web: Client) -> None:
    benin = _benin()
    for query in ("benin", "BÉNIN", "Бенин", "Бен", benin.pref_labels["zh"]):
        data = _search(web, "countries", q=query, lang="fr")
        hit = next(r for r in data["results"] if r["identifier"] == benin.identifier)
        assert hit["label"] == "Bénin"
        assert hit["language"] == "fr" and hit["fallback"] is False
    data = _search(web, "countries", q="benin", lang="zh")
    assert data["language"] == "zh"
    assert data["results"][0]["label"] == benin.pref_labels["zh"]
    assert data["results"][0]["matched"] == "Benin"


def test_language_defaults_to_the_request_and_limit(web: Client) -> None:
    response = web.get("/api/vocab/gbf-targets/search", {"q": "target"}, HTTP_ACCEPT_LANGUAGE="es")
    data = response.json()
    assert data["language"] == "es"
    assert all(r["language"] == "es" for r in data["results"])
    assert len(_search(web, "gbf-targets", q="t", limit=3)["results"]) == 3
    assert _search(web, "gbf-targets", q="")["results"] == []


def test_unknown_or_foreign_scheme_is_404(web: Client, peru: Any) -> None:
    assert web.get("/api/vocab/nope/search", {"q": "x"}).status_code == 404
    ConceptScheme.objects.create(identifier="pe-local", uri="http://example.org/pe", portal=peru)
    assert web.get("/api/vocab/pe-local/search", {"q": "x"}).status_code == 404
    assert (
        Client(HTTP_HOST="pe.testserver").get("/api/vocab/pe-local/search", {"q": "x"}).status_code
        == 200
    )


def test_deprecated_concepts_only_on_request(web: Client) -> None:
    Concept.objects.filter(identifier="GBF-TARGET-02").update(deprecated=True)
    ids = [r["identifier"] for r in _search(web, "gbf-targets", q="GBF-TARGET-02")["results"]]
    assert ids == []
    ids = [
        r["identifier"]
        for r in _search(web, "gbf-targets", q="GBF-TARGET-02", deprecated="true")["results"]
    ]
    assert ids == ["GBF-TARGET-02"]


def test_editor_form_loads_the_picker_script_and_marks_selects(web: Client, amina: Any) -> None:
    web.login(username="amina", password=PASSWORD)
    html = web.get("/en/editor/new/resource/?languages=en").content.decode()
    assert '<script defer src="/static/vocabularies/picker.js"></script>' in html
    assert 'data-vocab="countries"' in html
    assert "<select" in html  # the plain select stays: the script only adds a filter box
    assert "picker.js" not in web.get("/en/vocab/").content.decode()


def test_picker_script_is_small() -> None:
    path = Path(clearinghouse.vocabularies.__file__).parent / "static/vocabularies/picker.js"
    assert path.stat().st_size < 3 * 1024
