"""SKOS integrity checks on a graph, before anything is stored.

The conditions follow the SKOS Reference (numbers S9, S13, S14, S27, S46) plus the platform's
own needs (a URI, a preferred label and exactly one scheme per concept, no cycles in
``skos:broader``). The same conditions are written as SHACL shapes in ``data/skos-shapes.ttl``
(used by the tests with pyshacl against every export); this module reports them with the
concept URI and a readable message, quickly enough to run on every import.
"""

from __future__ import annotations

from collections import Counter

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from clearinghouse.vocabularies.skos import KMGBF_ONTO, MAPPINGS, Violation

KMGBF_CLASSES = (KMGBF_ONTO.Goal, KMGBF_ONTO.Target, KMGBF_ONTO.Indicator)
LABEL_PROPS = (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel)
RESOURCE_PROPS = (
    SKOS.broader,
    SKOS.narrower,
    SKOS.related,
    SKOS.inScheme,
    *(SKOS[m] for m in MAPPINGS),
)


def schemes(graph: Graph) -> set[Node]:
    return set(graph.subjects(RDF.type, SKOS.ConceptScheme))


def concepts(graph: Graph) -> set[Node]:
    """Resources typed skos:Concept or a subclass (declared in the file, or the KMGBF
    ``:Goal``, ``:Target``, ``:Indicator``), or placed in a scheme."""
    classes: set[Node | None] = {SKOS.Concept, *KMGBF_CLASSES}
    classes |= set(graph.transitive_subjects(RDFS.subClassOf, SKOS.Concept))
    found = {s for cls in classes for s in graph.subjects(RDF.type, cls)}
    found |= set(graph.subjects(SKOS.inScheme, None))
    found |= set(graph.subjects(SKOS.topConceptOf, None))
    found |= {o for o in graph.objects(None, SKOS.hasTopConcept)}
    typed = set(graph.subjects(RDF.type, SKOS.Concept))
    return found - (schemes(graph) - typed)


def broader_edges(graph: Graph, nodes: set[Node]) -> dict[str, set[str]]:
    """child URI → parent URIs, from skos:broader and inverted skos:narrower."""
    edges: dict[str, set[str]] = {}
    for child, parent in graph.subject_objects(SKOS.broader):
        edges.setdefault(str(child), set()).add(str(parent))
    for parent, child in graph.subject_objects(SKOS.narrower):
        edges.setdefault(str(child), set()).add(str(parent))
    return edges


def find_cycles(edges: dict[str, set[str]]) -> set[str]:
    """Every node that lies on a cycle (iterative Tarjan: strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: set[str] = set()
    counter = 0
    for root in list(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in edges.get(node, ()):
                    result.update(component)
    return result


def ancestors(edges: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(edges.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(edges.get(node, ()))
    return seen


def check(graph: Graph, allow_no_scheme: bool = False) -> list[Violation]:
    """Every violation in ``graph``, sorted by concept URI."""
    out: list[Violation] = []
    nodes = concepts(graph)
    scheme_nodes = schemes(graph)
    for node in scheme_nodes & set(graph.subjects(RDF.type, SKOS.Concept)):
        out.append(Violation(str(node), "is both a skos:ConceptScheme and a skos:Concept (S9)."))
    for node in sorted(nodes, key=str):
        uri = str(node)
        if isinstance(node, BNode) or not isinstance(node, URIRef):
            out.append(Violation("", "A concept without a URI (blank node) cannot be published."))
            continue
        prefs = [o for o in graph.objects(node, SKOS.prefLabel)]
        if not prefs:
            out.append(Violation(uri, "has no skos:prefLabel."))
        for lang, count in sorted(
            Counter(o.language or "" for o in prefs if isinstance(o, Literal)).items()
        ):
            if count > 1:
                out.append(
                    Violation(
                        uri, f"has {count} skos:prefLabel in language {lang or '(none)'!r} (S14)."
                    )
                )
        for i, first in enumerate(LABEL_PROPS):
            for second in LABEL_PROPS[i + 1 :]:
                both = set(graph.objects(node, first)) & set(graph.objects(node, second))
                for label in sorted(both, key=str):
                    out.append(
                        Violation(
                            uri,
                            f"label {str(label)!r} is both {graph.qname(first)} and "
                            f"{graph.qname(second)} (S13).",
                        )
                    )
        for prop in (*LABEL_PROPS, SKOS.definition):
            for obj in graph.objects(node, prop):
                if not isinstance(obj, Literal):
                    out.append(Violation(uri, f"{graph.qname(prop)} must be a literal."))
        for prop in RESOURCE_PROPS:
            for obj in graph.objects(node, prop):
                if not isinstance(obj, URIRef):
                    out.append(Violation(uri, f"{graph.qname(prop)} must be a URI, not {obj!r}."))
        in_schemes = set(graph.objects(node, SKOS.inScheme)) | set(
            graph.objects(node, SKOS.topConceptOf)
        )
        if not in_schemes and not allow_no_scheme:
            out.append(Violation(uri, "is in no concept scheme (skos:inScheme)."))
        if len(in_schemes) > 1:
            out.append(Violation(uri, "is in more than one concept scheme; keep one."))
        exact = set(graph.objects(node, SKOS.exactMatch))
        for prop in (SKOS.broadMatch, SKOS.relatedMatch):
            for target in sorted(exact & set(graph.objects(node, prop)), key=str):
                out.append(
                    Violation(
                        uri, f"{target} is both skos:exactMatch and {graph.qname(prop)} (S46)."
                    )
                )
    edges = broader_edges(graph, nodes)
    for uri in sorted(find_cycles(edges)):
        out.append(Violation(uri, "skos:broader forms a cycle (a concept is its own ancestor)."))
    for a, b in sorted(graph.subject_objects(SKOS.related), key=str):
        if str(b) in ancestors(edges, str(a)) or str(a) in ancestors(edges, str(b)):
            out.append(
                Violation(
                    str(a), f"skos:related {b} is also a broader/narrower (transitive) one (S27)."
                )
            )
    return out
