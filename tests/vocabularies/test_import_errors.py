"""Bad import files: every violation is reported with its concept URI, nothing is stored."""

from __future__ import annotations

import pytest

from clearinghouse.vocabularies import skos
from clearinghouse.vocabularies.models import Concept, ConceptScheme

pytestmark = pytest.mark.django_db

PREFIXES = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix ex: <http://example.org/t/> .
ex:s a skos:ConceptScheme ; skos:prefLabel "Test"@en .
"""


def _fails(data: str, fmt: str = "ttl") -> list[str]:
    before = (Concept.objects.count(), ConceptScheme.objects.count())
    with pytest.raises(skos.ImportFailed) as caught:
        skos.import_graph(skos.read(data, fmt))
    assert (Concept.objects.count(), ConceptScheme.objects.count()) == before
    assert not ConceptScheme.objects.filter(uri="http://example.org/t/s").exists()
    return [str(v) for v in caught.value.violations]


def test_every_violation_is_reported_with_the_concept_uri() -> None:
    messages = _fails(
        PREFIXES
        + """
        ex:ok a skos:Concept ; skos:inScheme ex:s ; skos:prefLabel "Fine"@en .
        ex:two a skos:Concept ; skos:inScheme ex:s ; skos:prefLabel "One"@en, "Two"@en .
        ex:same a skos:Concept ; skos:inScheme ex:s ; skos:prefLabel "X"@fr ;
            skos:altLabel "X"@fr .
        ex:a a skos:Concept ; skos:inScheme ex:s ; skos:prefLabel "A"@en ; skos:broader ex:b .
        ex:b a skos:Concept ; skos:inScheme ex:s ; skos:prefLabel "B"@en ; skos:broader ex:a .
        ex:c a skos:Concept ; skos:inScheme ex:s ; skos:prefLabel "C"@en ;
            skos:broader ex:ok ; skos:related ex:ok .
        ex:nolabel a skos:Concept ; skos:inScheme ex:s .
        ex:lost a skos:Concept ; skos:inScheme ex:s ; skos:prefLabel "L"@en ;
            skos:broader ex:nowhere .
        ex:orphan a skos:Concept ; skos:prefLabel "O"@en .
        ex:m a skos:Concept ; skos:inScheme ex:s ; skos:prefLabel "M"@en ;
            skos:exactMatch <http://x.org/1> ; skos:broadMatch <http://x.org/1> .
        """
    )
    expected = {
        "http://example.org/t/two": "(S14)",
        "http://example.org/t/same": "(S13)",
        "http://example.org/t/a": "cycle",
        "http://example.org/t/b": "cycle",
        "http://example.org/t/c": "(S27)",
        "http://example.org/t/nolabel": "no skos:prefLabel",
        "http://example.org/t/lost": "not a known concept",
        "http://example.org/t/orphan": "no concept scheme",
        "http://example.org/t/m": "(S46)",
    }
    for uri, fragment in expected.items():
        assert any(m.startswith(uri + ":") and fragment in m for m in messages), (uri, messages)
    assert not any(m.startswith("http://example.org/t/ok:") for m in messages)


def test_malformed_turtle_is_a_clear_error() -> None:
    messages = _fails("@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\nthis is not turtle")
    assert messages[0].startswith("The file is not valid text/turtle")


def test_malformed_rdf_xml_and_json_ld() -> None:
    assert "application/rdf+xml" in _fails("<rdf:RDF>", "rdf")[0]
    assert "application/ld+json" in _fails("{not json", "jsonld")[0]


def test_identifier_taken_by_another_concept() -> None:
    messages = _fails(
        PREFIXES
        + """
        ex:t2 a skos:Concept ; skos:inScheme ex:s ; skos:prefLabel "T"@en ;
            dct:identifier "GBF-TARGET-02" .
        """
    )
    assert messages == [
        "http://example.org/t/t2: identifier 'GBF-TARGET-02' is already used by "
        "http://metadata.cbd.int/kmgbf/target_2."
    ]


def test_cycle_closed_with_stored_concepts() -> None:
    # GBF-INDICATOR-A.1 is narrower than Goal A: making Goal A narrower than it closes a cycle.
    messages = _fails(
        """
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <http://metadata.cbd.int/kmgbf/goal_A> a skos:Concept ;
            skos:inScheme <http://metadata.cbd.int/kmgbf/goals> ; skos:prefLabel "Goal A"@en ;
            skos:broader <http://metadata.cbd.int/kmgbf/indicator_A.1> .
        """
    )
    assert messages == [
        "http://metadata.cbd.int/kmgbf/goal_A: skos:broader forms a cycle with concepts "
        "already stored."
    ]


def test_bad_csv() -> None:
    messages = _fails(
        "uri,scheme,prefLabel@en,broader\n"
        ",gbf-targets,No URI,\n"
        "http://example.org/t/x,no-such-scheme,X,\n",
        "csv",
    )
    assert messages == [
        "CSV line 2: the uri column is empty.",
        "http://example.org/t/x: CSV line 3: unknown scheme 'no-such-scheme'.",
    ]
    assert "lacks the column(s) scheme, uri" in _fails("label\nx\n", "csv")[0]
    messages = _fails(
        "uri,scheme,prefLabel@en,broader\n"
        "http://example.org/t/y,countries,Y,http://example.org/t/missing\n",
        "csv",
    )
    assert messages == [
        "http://example.org/t/y: skos:broader http://example.org/t/missing is not a known concept."
    ]
