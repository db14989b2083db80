"""Dereferenceable URIs: HTML, Turtle, JSON-LD and RDF/XML by Accept header."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS

from clearinghouse.vocabularies.models import Concept

pytestmark = pytest.mark.django_db
TARGET = URIRef("http://metadata.cbd.int/kmgbf/target_2")


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("text/html;q=0.5, text/turtle", "turtle"),
    ],
)
def test_concept_in_rdf_formats(web: Any, accept: str, rdflib_format: str) -> None:
    response = web.get("/vocab/gbf-targets/GBF-TARGET-02", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == accept.split(", ")[-1]
    assert "Accept" in response["Vary"]
    graph = Graph().parse(data=response.content, format=rdflib_format)
    assert (TARGET, SKOS.prefLabel, None) in graph
    assert (TARGET, DCTERMS.identifier, Literal("GBF-TARGET-02")) in graph
    assert (TARGET, SKOS.definition, None) in graph


def test_html_redirects_to_the_language_prefixed_page(web: Any) -> None:
    response = web.get(
        "/vocab/gbf-targets/GBF-TARGET-02",
        HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8",
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    assert response.status_code == 303
    assert response["Location"] == "/fr/vocab/gbf-targets/GBF-TARGET-02/"
    page = web.get(response["Location"])
    assert page.status_code == 200
    assert "Cible 2" in page.content.decode()


def test_format_parameter_scheme_uri_and_errors(web: Any) -> None:
    response = web.get("/vocab/gbf-goals/GBF-GOAL-A?format=jsonld")
    assert response["Content-Type"].startswith("application/ld+json")
    json.loads(response.content)
    scheme = web.get("/vocab/gbf-goals/", HTTP_ACCEPT="text/turtle")
    graph = Graph().parse(data=scheme.content, format="turtle")
    assert len(set(graph.subjects(SKOS.inScheme, None))) == 4
    assert web.get("/vocab/gbf-goals/", HTTP_ACCEPT="text/html").status_code == 303
    assert web.get("/vocab/gbf-goals/GBF-GOAL-A", HTTP_ACCEPT="image/png").status_code == 406
    assert web.get("/vocab/gbf-goals/GBF-GOAL-Z", HTTP_ACCEPT="text/turtle").status_code == 404
    assert web.get("/vocab/gbf-goals/GBF-TARGET-01", HTTP_ACCEPT="text/turtle").status_code == 404


def test_deprecated_concept_still_resolves_and_points_to_its_replacement(web: Any) -> None:
    old, new = Concept.objects.filter(scheme__identifier="resource-types")[:2]
    old.deprecated = True
    old.replaced_by = new
    old.save()
    response = web.get(
        f"/vocab/{old.scheme.identifier}/{old.identifier}", HTTP_ACCEPT="text/turtle"
    )
    assert response.status_code == 200
    graph = Graph().parse(data=response.content, format="turtle")
    assert (URIRef(old.uri), OWL.deprecated, Literal(True)) in graph
    assert (URIRef(old.uri), DCTERMS.isReplacedBy, URIRef(new.uri)) in graph
    page = web.get(f"/en/vocab/{old.scheme.identifier}/{old.identifier}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "This concept is deprecated." in html
    assert f"/en/vocab/{new.scheme.identifier}/{new.identifier}/" in html
