"""SDG and Aichi schemes: counts, labels per language, missing languages marked, content
negotiation, the historical note of the Aichi scheme, idempotent loading."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.management import call_command
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from clearinghouse.vocabularies.models import Concept, ConceptScheme

pytestmark = pytest.mark.django_db
BASE = "https://clearinghouse.example.org/vocab/"


def test_sdg_counts_and_hierarchy() -> None:
    sdg = ConceptScheme.objects.get(identifier="sdg")
    goals = Concept.objects.filter(scheme=sdg, identifier__startswith="SDG-GOAL-")
    targets = Concept.objects.filter(scheme=sdg, identifier__startswith="SDG-TARGET-")
    assert goals.count() == 17
    assert targets.count() == 169
    assert sorted(int(g.notation) for g in goals) == list(range(1, 18))
    target = Concept.objects.get(identifier="SDG-TARGET-15.a")
    assert target.notation == "15.a"
    assert [b.identifier for b in target.broader.all()] == ["SDG-GOAL-15"]
    assert Concept.objects.get(identifier="SDG-GOAL-14").narrower.count() == 10  # 14.1-7, a-c
    # targets sort numerically, then by letter: 1.1 … 1.5, 1.a, 1.b
    goal1 = [c.notation for c in Concept.objects.filter(broader__identifier="SDG-GOAL-1")]
    assert goal1 == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.a", "1.b"]


def test_sdg_labels_in_six_languages() -> None:
    goal = Concept.objects.get(identifier="SDG-GOAL-15")
    assert goal.pref_labels["en"] == "Life on land"
    assert goal.pref_labels["fr"] == "Vie terrestre"
    assert goal.pref_labels["es"] == "Vida de Ecosistemas Terrestres"
    assert goal.pref_labels["ar"] == "الحياة على الأرض"
    assert goal.pref_labels["ru"] == "Сохранение экосистем суши"
    assert goal.pref_labels["zh"] == "陆地生物"
    assert goal.definitions["en"].startswith("Protect, restore and promote sustainable use")
    target = Concept.objects.get(identifier="SDG-TARGET-14.5")
    assert target.pref_labels["en"].startswith("By 2020, conserve at least 10 per cent of coastal")
    assert target.pref_labels["zh"].startswith("到2020年,根据国内和国际法")
    assert set(target.pref_labels) == {"en", "fr", "es", "ar", "ru", "zh"}
    # the source's YAML line folding does not leave line breaks or double spaces
    for concept in Concept.objects.filter(scheme__identifier="sdg"):
        for text in concept.pref_labels.values():
            assert "\n" not in text and "  " not in text and text == text.strip()


def test_missing_languages_stay_missing_and_are_marked(web: Any) -> None:
    """The source has no Arabic title for targets 8.10, 16.1 and 17.1: nothing is invented."""
    for ident in ("SDG-TARGET-8.10", "SDG-TARGET-16.1", "SDG-TARGET-17.1"):
        concept = Concept.objects.get(identifier=ident)
        assert "ar" not in concept.pref_labels
        assert set(concept.pref_labels) == {"en", "fr", "es", "ru", "zh"}
    page = web.get("/ar/vocab/sdg/SDG-TARGET-16.1/").content.decode()
    assert page.count("fallback missing") >= 1
    assert 'lang="en"' in page  # shown in English, marked as a fallback
    complete = web.get("/ar/vocab/sdg/SDG-TARGET-16.2/").content.decode()
    assert "إنهاء ما يتعرض له الأطفال" in complete
    # Aichi: English only, the other five languages marked missing
    aichi = Concept.objects.get(identifier="AICHI-TARGET-11")
    assert set(aichi.pref_labels) == {"en"}
    page = web.get("/fr/vocab/aichi-targets/AICHI-TARGET-11/").content.decode()
    assert page.count("fallback missing") >= 5


def test_aichi_counts_goals_and_historical_note(web: Any) -> None:
    aichi = ConceptScheme.objects.get(identifier="aichi-targets")
    targets = Concept.objects.filter(scheme=aichi, identifier__startswith="AICHI-TARGET-")
    goals = Concept.objects.filter(scheme=aichi, identifier__startswith="AICHI-STRATEGIC-GOAL-")
    assert targets.count() == 20
    assert goals.count() == 5
    assert {c.identifier for c in targets} == {f"AICHI-TARGET-{n:02d}" for n in range(1, 21)}
    eleven = Concept.objects.get(identifier="AICHI-TARGET-11")
    assert eleven.pref_labels["en"].startswith("By 2020, at least 17 per cent of terrestrial")
    assert eleven.alt_labels["en"] == ["Protected areas"]
    assert [b.identifier for b in eleven.broader.all()] == ["AICHI-STRATEGIC-GOAL-C"]
    assert Concept.objects.get(identifier="AICHI-STRATEGIC-GOAL-B").narrower.count() == 6
    assert "superseded in 2022" in aichi.notes["historyNote"]["en"]
    page = web.get("/en/vocab/aichi-targets/").content.decode()
    assert "History" in page and "superseded in 2022" in page
    turtle = web.get("/vocab/aichi-targets/", HTTP_ACCEPT="text/turtle")
    graph = Graph().parse(data=turtle.content, format="turtle")
    scheme = URIRef(BASE + "aichi-targets")
    notes = [str(o) for o in graph.objects(scheme, SKOS.historyNote)]
    assert len(notes) == 1 and "Kunming-Montreal" in notes[0]


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml")],
)
def test_sdg_concepts_negotiate(web: Any, accept: str, rdflib_format: str) -> None:
    response = web.get("/vocab/sdg/SDG-TARGET-15.1", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    graph = Graph().parse(data=response.content, format=rdflib_format)
    node = URIRef(BASE + "sdg/SDG-TARGET-15.1")
    assert (node, DCTERMS.identifier, Literal("SDG-TARGET-15.1")) in graph
    assert (node, SKOS.notation, Literal("15.1")) in graph
    assert (node, SKOS.broader, URIRef(BASE + "sdg/SDG-GOAL-15")) in graph
    assert (node, SKOS.exactMatch, URIRef("http://metadata.un.org/sdg/15.1")) in graph
    languages = {o.language for o in graph.objects(node, SKOS.prefLabel)}
    assert languages == {"en", "fr", "es", "ar", "ru", "zh"}
    html = web.get("/vocab/aichi-targets/AICHI-TARGET-03", HTTP_ACCEPT="text/html")
    assert html.status_code == 303
    assert html["Location"].endswith("/vocab/aichi-targets/AICHI-TARGET-03/")


def test_loading_twice_changes_nothing() -> None:
    def snapshot() -> list[Any]:
        return list(
            Concept.objects.filter(scheme__identifier__in=["sdg", "aichi-targets"])
            .order_by("identifier")
            .values_list("identifier", "pref_labels", "mappings", "notation")
        )

    before = snapshot()
    gbf3 = Concept.objects.get(identifier="GBF-TARGET-03")
    mappings_before = gbf3.mappings
    call_command("load_vocabularies")
    assert snapshot() == before
    assert Concept.objects.get(identifier="GBF-TARGET-03").mappings == mappings_before
    assert Concept.objects.filter(scheme__identifier="sdg").count() == 186


def test_sdg_data_file_cites_its_source() -> None:
    from clearinghouse.vocabularies.seed import DATA

    data = json.loads((DATA / "sdg.json").read_text(encoding="utf-8"))
    assert data["source"]["repository"] == "https://github.com/open-sdg/sdg-translations"
    assert "MIT" in data["source"]["licence"]
    assert set(data["source"]["files"]) == {"en", "fr", "es", "ar", "ru", "zh"}
    assert all(len(commit) == 40 for f in data["source"]["files"].values() for commit in f.values())
