"""The read-only SPARQL 1.1 Protocol endpoint."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rdflib import Graph

from clearinghouse.vocabularies.models import Concept

pytestmark = pytest.mark.django_db

HEADLINE_T3 = """
SELECT ?code WHERE {
  ?indicator kmgbfo:isHeadlineFor kmgbf:target_3 ; skos:notation ?code .
} ORDER BY ?code
"""


def _bindings(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return json.loads(response.content)["results"]["bindings"]


def test_select_by_get_returns_sparql_json(web: Any) -> None:
    response = web.get("/sparql", {"query": HEADLINE_T3})
    assert response["Content-Type"].startswith("application/sparql-results+json")
    assert [b["code"]["value"] for b in _bindings(response)] == ["3.1"]


def test_post_forms_csv_ask_and_construct(web: Any) -> None:
    query = "SELECT (COUNT(?c) AS ?n) WHERE { ?c skos:inScheme kmgbf:indicatorScheme }"
    response = web.post("/sparql", {"query": query})
    assert _bindings(response)[0]["n"]["value"] == "204"
    response = web.post(
        "/sparql", query, content_type="application/sparql-query", HTTP_ACCEPT="text/csv"
    )
    assert response.content.decode().splitlines() == ["n", "204"]
    ask = web.get("/sparql", {"query": 'ASK { ?c skos:prefLabel "Bénin"@fr }'})
    assert json.loads(ask.content)["boolean"] is True
    construct = web.get(
        "/sparql",
        {
            "query": "CONSTRUCT { ?c skos:prefLabel ?l } WHERE { ?c skos:inScheme "
            "<http://metadata.cbd.int/kmgbf/goals> ; skos:prefLabel ?l }"
        },
        HTTP_ACCEPT="text/turtle",
    )
    assert construct["Content-Type"].startswith("text/turtle")
    assert len(Graph().parse(data=construct.content, format="turtle")) == 12


def test_updates_are_rejected(web: Any) -> None:
    update = 'INSERT DATA { <http://x.org/a> <http://x.org/b> "c" }'
    for response in (
        web.post("/sparql", {"update": update}),
        web.get("/sparql", {"query": update}),
        web.post("/sparql", update, content_type="application/sparql-update"),
    ):
        assert response.status_code == 400
        assert "read-only" in response.content.decode()
    ask = web.get("/sparql", {"query": "ASK { <http://x.org/a> ?p ?o }"})
    assert json.loads(ask.content)["boolean"] is False


def test_malformed_query_and_form(web: Any) -> None:
    response = web.get("/sparql", {"query": "SELECT WHERE {"})
    assert response.status_code == 400
    assert response.content.decode().startswith("Malformed query")
    assert web.get("/sparql", HTTP_ACCEPT="text/html").status_code == 200


def test_graph_is_rebuilt_after_a_change(web: Any) -> None:
    query = 'SELECT ?l WHERE { ?c dct:identifier "GBF-TARGET-02" ; skos:prefLabel ?l . '
    query += 'FILTER(lang(?l) = "ar") }'
    assert _bindings(web.get("/sparql", {"query": query})) == []
    target = Concept.objects.get(identifier="GBF-TARGET-02")
    target.pref_labels = {**target.pref_labels, "ar": "الهدف 2"}
    target.save()
    assert [b["l"]["value"] for b in _bindings(web.get("/sparql", {"query": query}))] == ["الهدف 2"]


def test_graph_sees_an_import(web: Any) -> None:
    from clearinghouse.vocabularies import skos

    query = 'ASK { <http://example.org/q/x> skos:prefLabel "Imported"@en }'
    assert json.loads(web.get("/sparql", {"query": query}).content)["boolean"] is False
    skos.import_graph(
        skos.read(
            "uri,scheme,prefLabel@en\nhttp://example.org/q/x,resource-types,Imported\n", "csv"
        )
    )
    assert json.loads(web.get("/sparql", {"query": query}).content)["boolean"] is True
