"""Our SKOS export passes skosify's checks (https://github.com/NatLibFi/Skosify): no
hierarchy cycles, no disjoint relations, no prefLabel clashes, no label overlaps, and no
hierarchical redundancy skosify would have to remove."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from clearinghouse.vocabularies import skos

skosify_check = pytest.importorskip("skosify.check")

pytestmark = pytest.mark.django_db


def _warnings(caplog: Any, graph: Graph) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        skosify_check.hierarchy_cycles(graph, fix=False)
        skosify_check.disjoint_relations(graph, fix=False)
        skosify_check.hierarchical_redundancy(graph, fix=False)
        # "all" (only report) is refused by skosify 2.3.0 ("Unknown preflabel-policy"); with
        # "shortest" it would move extra prefLabels to altLabel: the graph is compared after.
        skosify_check.preflabel_uniqueness(graph, policy="shortest")
        skosify_check.label_overlap(graph, fix=False)
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_full_export_passes_skosify_checks(caplog: Any) -> None:
    graph = skos.build_graph()
    before = Graph()
    for triple in graph:
        before.add(triple)
    assert _warnings(caplog, graph) == []
    assert isomorphic(graph, before)  # the checks changed nothing


def test_skosify_reports_what_is_wrong(caplog: Any) -> None:
    bad = Graph().parse(
        data="""
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <http://x.org/a> a skos:Concept ; skos:prefLabel "A"@en, "AA"@en ;
            skos:altLabel "A"@en ;
            skos:broader <http://x.org/b> ; skos:related <http://x.org/b> .
        <http://x.org/b> a skos:Concept ; skos:prefLabel "B"@en .
        """,
        format="turtle",
    )
    found = " ".join(_warnings(caplog, bad))
    assert "more than one prefLabel@en" in found
    assert "both skos:broaderTransitive and skos:related" in found
    assert "'A'@en as both prefLabel and altLabel" in found
