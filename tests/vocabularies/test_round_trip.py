"""import → export → import gives isomorphic graphs, in every RDF format; CSV round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, SKOS
from rdflib.compare import isomorphic

from clearinghouse.vocabularies import skos
from clearinghouse.vocabularies.models import Concept, ConceptScheme

pytestmark = pytest.mark.django_db


def test_whole_export_import_export_is_isomorphic() -> None:
    first = skos.build_graph()
    text = skos.serialize(first, "ttl")
    Concept.objects.all().delete()
    ConceptScheme.objects.all().delete()
    report = skos.import_graph(skos.read(text, "ttl"))
    assert report.concepts == len(set(first.subjects(RDF.type, SKOS.Concept)))
    assert isomorphic(first, skos.build_graph())


@pytest.mark.parametrize("fmt", ["rdf", "jsonld"])
def test_gbf_round_trip_in_rdf_xml_and_json_ld(fmt: str) -> None:
    schemes = ConceptScheme.objects.filter(identifier__startswith="gbf-targets")
    first = skos.build_graph(schemes)
    text = skos.serialize(first, fmt)
    Concept.objects.filter(scheme__in=schemes).update(pref_labels={"en": "overwritten"})
    skos.import_graph(skos.read(text, fmt))
    assert isomorphic(first, skos.build_graph(schemes))


def test_csv_round_trip_keeps_the_concepts() -> None:
    before = skos.build_graph()
    text = skos.export("csv", ConceptScheme.objects.filter(identifier="gbf-targets"))
    Concept.objects.filter(identifier="GBF-TARGET-05").update(pref_labels={"en": "changed"})
    skos.import_graph(skos.read(text, "csv"))
    assert isomorphic(before, skos.build_graph())
    assert skos.export("csv", ConceptScheme.objects.filter(identifier="gbf-targets")) == text


def test_new_concept_with_mappings_hidden_labels_and_deprecation() -> None:
    data = """
    @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
    @prefix owl: <http://www.w3.org/2002/07/owl#> .
    @prefix dct: <http://purl.org/dc/terms/> .
    @prefix ex: <http://example.org/habitats/> .
    ex:scheme a skos:ConceptScheme ; skos:prefLabel "Habitats"@en ; dct:identifier "habitats" .
    ex:wet a skos:Concept ; skos:inScheme ex:scheme ; skos:prefLabel "Wetlands"@en ;
        skos:prefLabel "Zones humides"@fr ; skos:hiddenLabel "wetland"@en ;
        skos:exactMatch <http://example.org/other/wetlands> ; skos:notation "W" .
    ex:marsh a skos:Concept ; skos:inScheme ex:scheme ; skos:prefLabel "Marsh"@en ;
        skos:broader ex:wet ; skos:related ex:bog .
    ex:bog a skos:Concept ; skos:inScheme ex:scheme ; skos:prefLabel "Bog"@en .
    ex:old a skos:Concept ; skos:inScheme ex:scheme ; skos:prefLabel "Mire"@en ;
        owl:deprecated true ; dct:isReplacedBy ex:bog .
    """
    report = skos.import_graph(skos.read(data, "ttl"))
    assert (report.schemes, report.concepts, report.created) == (1, 4, 4)
    wet = Concept.objects.get(uri="http://example.org/habitats/wet")
    assert wet.identifier == "wet"
    assert wet.hidden_labels == {"en": ["wetland"]}
    assert wet.mappings == [{"relation": "exactMatch", "uri": "http://example.org/other/wetlands"}]
    marsh = Concept.objects.get(identifier="marsh")
    assert [c.identifier for c in marsh.broader.all()] == ["wet"]
    assert [c.identifier for c in Concept.objects.get(identifier="bog").related.all()] == ["marsh"]
    old = Concept.objects.get(identifier="old")
    assert old.deprecated and old.replaced_by is not None and old.replaced_by.identifier == "bog"
    exported = skos.build_graph(ConceptScheme.objects.filter(identifier="habitats"))
    skos.import_graph(skos.read(skos.serialize(exported, "ttl"), "ttl"))
    again = skos.build_graph(ConceptScheme.objects.filter(identifier="habitats"))
    assert isomorphic(exported, again)


def test_upstream_kmgbf_file_updates_concepts_and_keeps_identifiers() -> None:
    """The KMGBF goals file as published (no dct:identifier, concepts typed :Goal)."""
    path = Path(skos.__file__).parent / "data" / "goals.ttl"
    report = skos.import_graph(skos.read(path.read_bytes(), "ttl"))
    assert report.concepts == 4
    goal = Concept.objects.get(uri="http://metadata.cbd.int/kmgbf/goal_A")
    assert goal.identifier == "GBF-GOAL-A"
    assert goal.pref_labels["fr"] == "Objectif A"
    assert goal.scheme.identifier == "gbf-goals"  # the file states no skos:inScheme
    assert goal.extra["title"]  # free data kept
