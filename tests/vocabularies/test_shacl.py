"""Exports conform to the SKOS integrity shapes and to the KMGBF shapes (pyshacl)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pyshacl import validate
from rdflib import Graph

from clearinghouse.vocabularies import skos

pytestmark = pytest.mark.django_db
DATA = Path(skos.__file__).parent / "data"
SHARED = Path("/work/shared/data/gbf/kmgbf-shapes.ttl")


def _conforms(data: Graph, shapes: Path) -> None:
    conforms, _graph, text = validate(data, shacl_graph=Graph().parse(shapes), inplace=True)
    assert conforms, text


def test_whole_export_passes_skos_integrity_shapes() -> None:
    _conforms(skos.build_graph(), DATA / "skos-shapes.ttl")


def test_gbf_export_is_a_valid_kmgbf_instance(gbf_graph: Any) -> None:
    _conforms(gbf_graph, DATA / "kmgbf-shapes.ttl")


def test_kmgbf_shapes_are_the_published_ones_unchanged() -> None:
    if not SHARED.exists():
        pytest.skip("shared GBF data not mounted")
    assert (DATA / "kmgbf-shapes.ttl").read_bytes() == SHARED.read_bytes()


def test_skos_shapes_catch_violations() -> None:
    bad = Graph().parse(
        data="""
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix ex: <http://example.org/> .
        ex:s a skos:ConceptScheme .
        ex:a a skos:Concept ; skos:inScheme ex:s ; skos:prefLabel "A"@en, "Aa"@en ;
             skos:altLabel "A"@en ; skos:broader ex:b ; skos:related ex:b .
        ex:b a skos:Concept ; skos:inScheme ex:s ; skos:prefLabel "B"@en ; skos:broader ex:a .
        """,
        format="turtle",
    )
    conforms, _graph, text = validate(bad, shacl_graph=Graph().parse(DATA / "skos-shapes.ttl"))
    assert not conforms
    for message in ("S14", "S13", "S27", "cycles"):
        assert message in text
