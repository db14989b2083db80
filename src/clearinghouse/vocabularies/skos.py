"""SKOS graphs built from the database, and SKOS files read back into it.

Export: :func:`build_graph` (every scheme, or some) → :func:`serialize` as Turtle, RDF/XML,
JSON-LD, or CSV (:func:`to_csv`). Import: :func:`read` parses a file into a graph (CSV rows become
the same statements), :func:`import_graph` checks it (``integrity.check`` and references to the
database) and stores it in one transaction, or raises :class:`ImportFailed` listing every
violation with the concept URI, storing nothing.

The mapping is lossless for what the database holds, so export → import → export gives an
isomorphic graph: columns map to SKOS/DCMI/OWL properties, ``sort_key`` and the free ``extra``
JSON to ``ch:sortKey`` / ``ch:extra``, and statements the model has no column for (the KMGBF
``rdf:type :Goal``, ``:goalCode``, indicator roles …) are kept as ``extra["rdf"]``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS
from rdflib.term import Node

from clearinghouse.vocabularies import labels
from clearinghouse.vocabularies.models import Concept, ConceptScheme

CH = Namespace("https://clearinghouse.example.org/ns#")
KMGBF = Namespace("http://metadata.cbd.int/kmgbf/")
KMGBF_ONTO = Namespace("http://metadata.cbd.int/kmgbf/ontology#")
MAPPINGS = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
LABELS = {"pref_labels": SKOS.prefLabel, "alt_labels": SKOS.altLabel}
LABELS["hidden_labels"] = SKOS.hiddenLabel
# SKOS documentation properties kept on schemes (ConceptScheme.notes)
SCHEME_NOTES = ("note", "scopeNote", "historyNote", "changeNote", "editorialNote")

# format name → (rdflib format, media type, file extension)
FORMATS: dict[str, tuple[str, str, str]] = {
    "ttl": ("turtle", "text/turtle", "ttl"),
    "rdf": ("xml", "application/rdf+xml", "rdf"),
    "jsonld": ("json-ld", "application/ld+json", "jsonld"),
    "csv": ("csv", "text/csv", "csv"),
}
# Properties with a column of their own (not kept in extra["rdf"]).
MODELLED = {
    SKOS.prefLabel,
    SKOS.altLabel,
    SKOS.hiddenLabel,
    SKOS.definition,
    SKOS.notation,
    SKOS.inScheme,
    SKOS.topConceptOf,
    SKOS.broader,
    SKOS.narrower,
    SKOS.related,
    OWL.deprecated,
    DCTERMS.isReplacedBy,
    DCTERMS.identifier,
    CH.sortKey,
    CH.extra,
    *(SKOS[m] for m in MAPPINGS),
}


def bind(graph: Graph) -> Graph:
    for prefix, ns in (
        ("skos", SKOS),
        ("dct", DCTERMS),
        ("owl", OWL),
        ("ch", CH),
        ("kmgbf", KMGBF),
        ("kmgbfo", KMGBF_ONTO),
    ):
        graph.bind(prefix, ns)
    return graph


# -- statements the model has no column for ------------------------------------------------


def _statement(predicate: Node, obj: Node) -> dict[str, str] | None:
    if isinstance(obj, URIRef):
        return {"p": str(predicate), "o": str(obj)}
    if isinstance(obj, Literal):
        out = {"p": str(predicate), "v": str(obj)}
        if obj.language:
            out["lang"] = obj.language
        elif obj.datatype:
            out["dt"] = str(obj.datatype)
        return out
    return None  # blank nodes are not kept


def _node(statement: dict[str, str]) -> tuple[URIRef, Node]:
    predicate = URIRef(statement["p"])
    if "o" in statement:
        return predicate, URIRef(statement["o"])
    dt = statement.get("dt")
    return predicate, Literal(
        statement["v"], lang=statement.get("lang"), datatype=URIRef(dt) if dt else None
    )


def other_statements(graph: Graph, subject: Node, keep: Iterable[dict] = ()) -> list[dict]:
    """Statements about ``subject`` that no column holds, sorted (plus ``keep``)."""
    out = []
    for predicate, obj in graph.predicate_objects(subject):
        if predicate in MODELLED or (predicate == RDF.type and obj == SKOS.Concept):
            continue
        st = _statement(predicate, obj)
        if st is not None:
            out.append(st)
    out.extend(keep)
    return sorted(out, key=lambda s: json.dumps(s, sort_keys=True))


# -- export --------------------------------------------------------------------------------


def build_graph(schemes: Iterable[ConceptScheme] | None = None) -> Graph:
    """The SKOS graph of ``schemes`` (default: all)."""
    graph = bind(Graph())
    scheme_list = list(schemes) if schemes is not None else list(ConceptScheme.objects.all())
    scheme_ids = {s.pk for s in scheme_list}
    uri_of = dict(Concept.objects.values_list("pk", "uri"))
    concepts = list(Concept.objects.filter(scheme_id__in=scheme_ids))
    included = {c.pk for c in concepts}
    broader: dict[int, list[int]] = {}
    for child, parent in Concept.broader.through.objects.filter(
        from_concept_id__in=included
    ).values_list("from_concept_id", "to_concept_id"):
        broader.setdefault(child, []).append(parent)
    related = Concept.related.through.objects.filter(from_concept_id__in=included).values_list(
        "from_concept_id", "to_concept_id"
    )
    scheme_of = {c.pk: c.scheme_id for c in concepts}
    for scheme in scheme_list:
        s = URIRef(scheme.uri)
        graph.add((s, RDF.type, SKOS.ConceptScheme))
        graph.add((s, DCTERMS.identifier, Literal(scheme.identifier)))
        for lang, title in scheme.titles.items():
            graph.add((s, SKOS.prefLabel, Literal(title, lang=lang or None)))
        if scheme.version:
            graph.add((s, OWL.versionInfo, Literal(scheme.version)))
        for kind, texts in (scheme.notes or {}).items():
            for lang, text in texts.items():
                graph.add((s, SKOS[kind], Literal(text, lang=lang or None)))
    scheme_uri = {s.pk: URIRef(s.uri) for s in scheme_list}
    for c in concepts:
        node = URIRef(c.uri)
        add = graph.add
        add((node, RDF.type, SKOS.Concept))
        add((node, SKOS.inScheme, scheme_uri[c.scheme_id]))
        add((node, DCTERMS.identifier, Literal(c.identifier)))
        if not any(scheme_of.get(p) == c.scheme_id for p in broader.get(c.pk, [])):
            add((node, SKOS.topConceptOf, scheme_uri[c.scheme_id]))
            add((scheme_uri[c.scheme_id], SKOS.hasTopConcept, node))
        for attr, prop in LABELS.items():
            values = getattr(c, attr) or {}
            for lang, texts in values.items():
                for text in [texts] if isinstance(texts, str) else texts:
                    add((node, prop, Literal(text, lang=lang or None)))
        for lang, text in (c.definitions or {}).items():
            add((node, SKOS.definition, Literal(text, lang=lang or None)))
        if c.notation:
            add((node, SKOS.notation, Literal(c.notation)))
        for parent in broader.get(c.pk, []):
            add((node, SKOS.broader, URIRef(uri_of[parent])))
            if parent in included:
                add((URIRef(uri_of[parent]), SKOS.narrower, node))
        for mapping in c.mappings or []:
            add((node, SKOS[mapping["relation"]], URIRef(mapping["uri"])))
        if c.deprecated:
            add((node, OWL.deprecated, Literal(True)))
        if c.replaced_by_id:
            add((node, DCTERMS.isReplacedBy, URIRef(uri_of[c.replaced_by_id])))
        if c.sort_key:
            add((node, CH.sortKey, Literal(c.sort_key)))
        extra = dict(c.extra or {})
        for statement in extra.pop("rdf", []):
            add((node, *_node(statement)))
        if extra:
            add((node, CH.extra, Literal(json.dumps(extra, sort_keys=True), datatype=RDF.JSON)))
    for a, b in related:
        graph.add((URIRef(uri_of[a]), SKOS.related, URIRef(uri_of[b])))
    return graph


CSV_LANGS = ("en", "fr", "es", "ar", "ru", "zh")
CSV_COLUMNS = [
    "uri",
    "identifier",
    "scheme",
    "notation",
    *(f"{kind}@{lang}" for kind in ("prefLabel", "altLabel", "hiddenLabel") for lang in CSV_LANGS),
    *(f"definition@{lang}" for lang in CSV_LANGS),
    "broader",
    "related",
    *MAPPINGS,
    "deprecated",
    "replacedBy",
]
SEP = " | "  # between several labels of one language in a CSV cell


def to_csv(schemes: Iterable[ConceptScheme]) -> str:
    """One row per concept; several labels joined with " | ", several URIs with spaces."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS)
    writer.writeheader()
    uri_of = dict(Concept.objects.values_list("pk", "uri"))
    for scheme in schemes:
        for c in scheme.concepts.prefetch_related("broader", "related"):
            row: dict[str, str] = {
                "uri": c.uri,
                "identifier": c.identifier,
                "scheme": scheme.identifier,
                "notation": c.notation,
                "broader": " ".join(b.uri for b in c.broader.all()),
                "related": " ".join(r.uri for r in c.related.all()),
                "deprecated": "true" if c.deprecated else "",
                "replacedBy": uri_of.get(c.replaced_by_id or 0, ""),
            }
            for lang in CSV_LANGS:
                row[f"prefLabel@{lang}"] = c.pref_labels.get(lang, "")
                row[f"altLabel@{lang}"] = SEP.join(sorted(c.alt_labels.get(lang, [])))
                row[f"hiddenLabel@{lang}"] = SEP.join(sorted(c.hidden_labels.get(lang, [])))
                row[f"definition@{lang}"] = c.definitions.get(lang, "")
            for relation in MAPPINGS:
                row[relation] = " ".join(
                    m["uri"] for m in c.mappings or [] if m["relation"] == relation
                )
            writer.writerow(row)
    return out.getvalue()


def serialize(graph: Graph, fmt: str) -> str:
    rdflib_format = FORMATS[fmt][0]
    if rdflib_format == "json-ld":
        return graph.serialize(format="json-ld", auto_compact=True)
    return graph.serialize(format=rdflib_format)


def export(fmt: str, schemes: Iterable[ConceptScheme] | None = None) -> str:
    if fmt == "csv":
        return to_csv(schemes if schemes is not None else ConceptScheme.objects.all())
    return serialize(build_graph(schemes), fmt)


# -- import --------------------------------------------------------------------------------


@dataclass
class Violation:
    uri: str  # the concept (or scheme) concerned; "" for the file as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.uri}: {self.message}" if self.uri else self.message


@dataclass
class ImportFailed(Exception):
    violations: list[Violation] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(v) for v in self.violations)


def read(data: bytes | str, fmt: str) -> Graph:
    """Parse a file in ``fmt`` (ttl, rdf, jsonld, csv) into a graph, or raise ImportFailed."""
    if fmt not in FORMATS:
        raise ImportFailed([Violation("", f"Unknown format {fmt!r}: use {', '.join(FORMATS)}.")])
    if fmt == "csv":
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        return csv_graph(text)
    graph = Graph()
    try:
        graph.parse(data=data, format=FORMATS[fmt][0])
    except Exception as exc:  # rdflib raises many parser-specific exception types
        raise ImportFailed(
            [Violation("", f"The file is not valid {FORMATS[fmt][1]}: {exc}")]
        ) from exc
    return graph


def csv_graph(text: str) -> Graph:
    """CSV rows (see :data:`CSV_COLUMNS`) as SKOS statements; schemes must exist already."""
    graph = bind(Graph())
    reader = csv.DictReader(io.StringIO(text))
    missing = {"uri", "scheme"} - set(reader.fieldnames or [])
    if missing:
        raise ImportFailed(
            [Violation("", f"CSV lacks the column(s) {', '.join(sorted(missing))}.")]
        )
    schemes = {s.identifier: s for s in ConceptScheme.objects.all()}
    problems: list[Violation] = []
    for number, row in enumerate(reader, start=2):
        uri = (row.get("uri") or "").strip()
        if not uri:
            problems.append(Violation("", f"CSV line {number}: the uri column is empty."))
            continue
        node = URIRef(uri)
        scheme = schemes.get((row.get("scheme") or "").strip())
        if scheme is None:
            problems.append(
                Violation(uri, f"CSV line {number}: unknown scheme {row.get('scheme')!r}.")
            )
            continue
        graph.add((node, RDF.type, SKOS.Concept))
        graph.add((node, SKOS.inScheme, URIRef(scheme.uri)))
        for column, value in row.items():
            value = (value or "").strip()
            if not value or column is None:
                continue
            name, _at, lang = column.partition("@")
            if name in ("prefLabel", "definition"):
                graph.add((node, SKOS[name], Literal(value, lang=lang or None)))
            elif name in ("altLabel", "hiddenLabel"):
                for label in value.split(SEP.strip()):
                    if label.strip():
                        graph.add((node, SKOS[name], Literal(label.strip(), lang=lang or None)))
            elif name in ("broader", "related", *MAPPINGS):
                for target in value.split():
                    graph.add((node, SKOS[name], URIRef(target)))
            elif name == "identifier":
                graph.add((node, DCTERMS.identifier, Literal(value)))
            elif name == "notation":
                graph.add((node, SKOS.notation, Literal(value)))
            elif name == "deprecated" and value.lower() in ("true", "1", "yes"):
                graph.add((node, OWL.deprecated, Literal(True)))
            elif name == "replacedBy":
                graph.add((node, DCTERMS.isReplacedBy, URIRef(value)))
    if problems:
        raise ImportFailed(problems)
    return graph


def _last_segment(uri: str) -> str:
    return re.split(r"[/#]", uri.rstrip("/#"))[-1]


def _scheme_identifier(graph: Graph, node: Node) -> str:
    ident = graph.value(node, DCTERMS.identifier)
    if ident is not None:
        return str(ident)
    return re.sub(r"[^a-z0-9_-]+", "-", _last_segment(str(node)).lower()).strip("-")[:64]


def _concept_identifier(graph: Graph, node: Node, known: dict[str, str]) -> str:
    """dct:identifier, else the identifier already stored for this URI, else the URI's end."""
    ident = graph.value(node, DCTERMS.identifier)
    if ident is not None:
        return str(ident)
    return known.get(str(node)) or _last_segment(str(node))


def _sorted_literals(graph: Graph, node: Node, prop: URIRef) -> list[Literal]:
    return sorted(
        (o for o in graph.objects(node, prop) if isinstance(o, Literal)),
        key=lambda lit: (lit.language or "", str(lit)),
    )


@dataclass
class ImportReport:
    schemes: int = 0
    concepts: int = 0
    created: int = 0
    deprecated: int = 0  # concepts a "replace" import no longer lists (kept, owl:deprecated)


def _deprecate_absent(
    graph: Graph, scheme_ids: set[int], kept: list[int], pk_of: dict[str, int]
) -> int:
    """Concepts of ``scheme_ids`` the file no longer lists are deprecated, not deleted: records
    tagged with them stay valid and their URIs keep resolving. A concept of the file that says
    ``dct:replaces <old>`` becomes the old concept's replacement (``dct:isReplacedBy``)."""
    replacement: dict[str, int] = {}
    for new, old in graph.subject_objects(DCTERMS.replaces):
        if str(new) in pk_of:
            replacement.setdefault(str(old), pk_of[str(new)])
    gone = Concept.objects.filter(scheme_id__in=scheme_ids).exclude(pk__in=kept)
    count = 0
    for concept in gone.only("pk", "uri", "deprecated", "replaced_by_id"):
        changes: dict[str, Any] = {}
        if not concept.deprecated:
            changes["deprecated"] = True
        new_pk = replacement.get(concept.uri)
        if new_pk is not None and concept.replaced_by_id != new_pk:
            changes["replaced_by_id"] = new_pk
        if changes:
            Concept.objects.filter(pk=concept.pk).update(**changes, modified=timezone.now())
            count += 1
    return count


def _scope_violations(
    graph: Graph,
    portal: Any,
    scheme_nodes: set[Node],
    concept_nodes: set[Node],
    db_schemes: dict[str, ConceptScheme],
    fallback: ConceptScheme | None,
) -> list[Violation]:
    """An import scoped to a national portal may only create schemes (owned by that portal)
    or change schemes and concepts the portal already owns."""

    def foreign(scheme: ConceptScheme) -> bool:
        return scheme.portal_id != portal.pk

    def owner(scheme: ConceptScheme) -> str:
        return "a shared (global) vocabulary" if scheme.portal_id is None else "another portal"

    out: list[Violation] = []
    for node in sorted(scheme_nodes, key=str):
        stored = db_schemes.get(str(node))
        if stored is not None and foreign(stored):
            out.append(
                Violation(
                    str(node),
                    f"scheme {stored.identifier!r} belongs to {owner(stored)}; "
                    f"portal {portal.code!r} may only import its own schemes.",
                )
            )
    if fallback is not None and foreign(fallback):
        out.append(
            Violation(
                "",
                f"scheme {fallback.identifier!r} belongs to {owner(fallback)}; "
                f"portal {portal.code!r} may only import its own schemes.",
            )
        )
    current = {
        c.uri: c.scheme
        for c in Concept.objects.filter(uri__in=[str(n) for n in concept_nodes]).select_related(
            "scheme"
        )
    }
    for node in sorted(concept_nodes, key=str):
        uri = str(node)
        stored_scheme = current.get(uri)
        if stored_scheme is not None and foreign(stored_scheme):
            out.append(
                Violation(
                    uri,
                    f"is a concept of scheme {stored_scheme.identifier!r}, which belongs to "
                    f"{owner(stored_scheme)}; portal {portal.code!r} may not change it.",
                )
            )
            continue
        for prop in (SKOS.inScheme, SKOS.topConceptOf):
            for home in set(graph.objects(node, prop)):
                target = db_schemes.get(str(home))
                if target is None or not foreign(target) or home in scheme_nodes:
                    continue
                out.append(
                    Violation(
                        uri,
                        f"{graph.qname(prop)} {target.identifier!r} belongs to {owner(target)}; "
                        f"portal {portal.code!r} may only add concepts to its own schemes.",
                    )
                )
    return out


def import_graph(
    graph: Graph,
    default_scheme: str | None = None,
    portal: Any = None,
    replace: bool = False,
) -> ImportReport:
    """Check ``graph`` and store its schemes and concepts (upserted by URI), all or nothing.

    ``portal``: the import is scoped to that (national) portal: new schemes belong to it, and
    schemes or concepts of the shared vocabularies or of other portals may not be touched.
    ``replace``: concepts of the file's schemes that the file no longer lists are removed."""
    from clearinghouse.vocabularies import integrity

    violations = integrity.check(graph, allow_no_scheme=True)
    concept_nodes = integrity.concepts(graph)
    scheme_nodes = integrity.schemes(graph)
    file_uris = {str(c) for c in concept_nodes}
    known = dict(Concept.objects.values_list("uri", "identifier"))
    db_schemes = {s.uri: s for s in ConceptScheme.objects.all()}
    fallback: ConceptScheme | None = None
    if default_scheme is not None:
        fallback = ConceptScheme.objects.filter(identifier=default_scheme).first()
        if fallback is None:
            violations.append(Violation("", f"Unknown scheme {default_scheme!r}."))
    # scheme identifiers are unique too
    identifiers = {s.identifier: uri for uri, s in db_schemes.items()}
    for node in sorted(scheme_nodes, key=str):
        other_uri = identifiers.get(_scheme_identifier(graph, node))
        if other_uri is not None and other_uri != str(node):
            violations.append(
                Violation(
                    str(node),
                    f"scheme identifier {_scheme_identifier(graph, node)!r} is already used by "
                    f"{other_uri}.",
                )
            )
    if portal is not None:
        violations.extend(
            _scope_violations(graph, portal, scheme_nodes, concept_nodes, db_schemes, fallback)
        )

    # references must resolve to a concept in the file or in the database
    for node in concept_nodes:
        uri = str(node)
        homes = set(graph.objects(node, SKOS.inScheme)) | set(
            graph.objects(node, SKOS.topConceptOf)
        )
        if not homes and default_scheme is None and uri not in known:
            violations.append(Violation(uri, "is in no concept scheme (skos:inScheme)."))
        for prop in (SKOS.broader, SKOS.narrower, SKOS.related, DCTERMS.isReplacedBy):
            for target in graph.objects(node, prop):
                if isinstance(target, URIRef) and str(target) not in file_uris | known.keys():
                    violations.append(
                        Violation(uri, f"{graph.qname(prop)} {target} is not a known concept.")
                    )
        for in_scheme in graph.objects(node, SKOS.inScheme):
            if in_scheme not in scheme_nodes and str(in_scheme) not in db_schemes:
                violations.append(
                    Violation(uri, f"skos:inScheme {in_scheme} is not a known scheme.")
                )
    # identifiers are unique across the platform
    seen: dict[str, str] = {}
    uri_by_identifier = {ident: uri for uri, ident in known.items()}
    for node in sorted(concept_nodes, key=str):
        uri, ident = str(node), _concept_identifier(graph, node, known)
        if ident in seen:
            violations.append(
                Violation(uri, f"identifier {ident!r} is also used by {seen[ident]}.")
            )
        seen[ident] = uri
        other = uri_by_identifier.get(ident)
        if other and other != uri:
            violations.append(Violation(uri, f"identifier {ident!r} is already used by {other}."))
    violations.extend(_db_cycles(graph, concept_nodes))
    if violations:
        raise ImportFailed(violations)

    report = ImportReport()
    with transaction.atomic():
        schemes: dict[str, ConceptScheme] = dict(db_schemes)
        for node in sorted(scheme_nodes, key=str):
            titles = {
                lit.language or "": str(lit)
                for lit in _sorted_literals(graph, node, SKOS.prefLabel)
            } or {
                lit.language or "": str(lit) for lit in _sorted_literals(graph, node, DCTERMS.title)
            }
            version = graph.value(node, OWL.versionInfo)
            notes: dict[str, dict[str, str]] = {}
            for kind in SCHEME_NOTES:
                for lit in _sorted_literals(graph, node, SKOS[kind]):
                    notes.setdefault(kind, {})[lit.language or ""] = str(lit)
            scheme_values: dict[str, Any] = {
                "identifier": _scheme_identifier(graph, node),
                "titles": titles,
                "version": str(version) if version is not None else "",
            }
            if notes:  # a file without notes keeps the stored ones
                scheme_values["notes"] = notes
            stored_scheme, _created = ConceptScheme.objects.update_or_create(
                uri=str(node),
                defaults=scheme_values,
                create_defaults={**scheme_values, "portal": portal},
            )
            schemes[stored_scheme.uri] = stored_scheme
            report.schemes += 1
        existing = {
            c.uri: c for c in Concept.objects.filter(uri__in=file_uris).select_related("scheme")
        }
        # concepts: new ones in bulk, changed ones one UPDATE each, unchanged ones untouched
        stored: dict[str, Concept] = {}
        new: list[Concept] = []
        for node in sorted(concept_nodes, key=str):
            uri = str(node)
            current = existing.get(uri)
            home = graph.value(node, SKOS.inScheme) or graph.value(node, SKOS.topConceptOf)
            if home is not None:
                scheme_obj = schemes[str(home)]
            elif current is not None:  # the file does not say: the concept stays where it is
                scheme_obj = current.scheme
            else:
                assert fallback is not None
                scheme_obj = fallback
            values = {
                "scheme": scheme_obj,
                "identifier": _concept_identifier(graph, node, known),
                **_concept_fields(graph, node, current),
            }
            if current is None:
                concept = Concept(uri=uri, **values)
                new.append(concept)
            else:
                concept = current
                changed = {k: v for k, v in values.items() if getattr(concept, k) != v}
                if changed:  # one UPDATE per changed concept (bulk_update's CASE is slower)
                    for name, value in changed.items():
                        setattr(concept, name, value)
                    Concept.objects.filter(pk=concept.pk).update(**changed)
            stored[uri] = concept
        for concept in Concept.objects.bulk_create(new):
            stored[concept.uri] = concept
        if new and new[0].pk is None:  # backends that do not return primary keys
            stored.update({c.uri: c for c in Concept.objects.filter(uri__in=[c.uri for c in new])})
        report.concepts, report.created = len(stored), len(new)
        pk_of = dict(Concept.objects.values_list("uri", "pk"))
        ids = [c.pk for c in stored.values()]
        # broader (skos:narrower read as its inverse): the file says all for its concepts
        broader_rows: set[tuple[int, int]] = set()
        for node in concept_nodes:
            for parent in graph.objects(node, SKOS.broader):
                broader_rows.add((pk_of[str(node)], pk_of[str(parent)]))
            for child in graph.objects(node, SKOS.narrower):
                if str(child) in stored:
                    broader_rows.add((pk_of[str(child)], pk_of[str(node)]))
        broader = Concept.broader.through
        broader.objects.filter(from_concept_id__in=ids).delete()
        broader.objects.bulk_create(
            [broader(from_concept_id=a, to_concept_id=b) for a, b in sorted(broader_rows)]
        )
        # related is symmetric: both directions are rows
        related_rows: set[tuple[int, int]] = set()
        for a, b in graph.subject_objects(SKOS.related):
            if str(a) in stored and str(b) in pk_of:
                related_rows |= {(pk_of[str(a)], pk_of[str(b)]), (pk_of[str(b)], pk_of[str(a)])}
        related = Concept.related.through
        related.objects.filter(Q(from_concept_id__in=ids) | Q(to_concept_id__in=ids)).delete()
        related.objects.bulk_create(
            [related(from_concept_id=a, to_concept_id=b) for a, b in sorted(related_rows)]
        )
        for uri, concept in stored.items():
            replacement = graph.value(URIRef(uri), DCTERMS.isReplacedBy)
            replacement_pk = pk_of[str(replacement)] if replacement is not None else None
            if concept.replaced_by_id != replacement_pk:
                concept.replaced_by_id = replacement_pk
                Concept.objects.filter(pk=concept.pk).update(replaced_by_id=replacement_pk)
        if replace:  # the file's schemes, and those its concepts are in
            replaced = {schemes[str(n)].pk for n in scheme_nodes} | {
                c.scheme_id for c in stored.values()
            }
            report.deprecated = _deprecate_absent(graph, replaced, ids, pk_of)
        # bump ``modified`` so other processes' caches (labels.fingerprint) notice the import
        Concept.objects.filter(pk__in=ids).update(modified=timezone.now())
    labels.invalidate()  # bulk operations send no signals
    return report


def _concept_fields(graph: Graph, node: Node, current: Concept | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    surplus: list[dict] = []
    for attr, prop in LABELS.items():
        values: dict[str, Any] = {}
        for lit in _sorted_literals(graph, node, prop):
            lang = lit.language or ""
            if attr == "pref_labels":
                values[lang] = str(lit)
            else:
                values.setdefault(lang, []).append(str(lit))
        fields[attr] = values
    definitions: dict[str, str] = {}
    for lit in _sorted_literals(graph, node, SKOS.definition):
        lang = lit.language or ""
        if lang in definitions or lit.datatype:
            surplus.append(_statement(SKOS.definition, lit))  # type: ignore[arg-type]
        else:
            definitions[lang] = str(lit)
    fields["definitions"] = definitions
    notation = ""
    for lit in _sorted_literals(graph, node, SKOS.notation):
        if notation or lit.datatype or lit.language:
            surplus.append(_statement(SKOS.notation, lit))  # type: ignore[arg-type]
        else:
            notation = str(lit)
    fields["notation"] = notation
    fields["mappings"] = [
        {"relation": relation, "uri": str(target)}
        for relation in MAPPINGS
        for target in sorted(graph.objects(node, SKOS[relation]), key=str)
        if isinstance(target, URIRef)
    ]
    fields["deprecated"] = any(
        str(o).lower() in ("true", "1") for o in graph.objects(node, OWL.deprecated)
    )
    sort_key = graph.value(node, CH.sortKey)
    fields["sort_key"] = (
        str(sort_key) if sort_key is not None else (current.sort_key if current else notation)
    )
    statements = other_statements(graph, node, surplus)
    held = dict((current.extra if current else {}) or {})
    extra_literal = graph.value(node, CH.extra)
    if extra_literal is not None:
        extra = json.loads(str(extra_literal))
    else:  # a file from elsewhere (or CSV): keep the free data we held
        extra = {k: v for k, v in held.items() if k != "rdf"}
    if statements:
        extra["rdf"] = statements
    elif extra_literal is None and held.get("rdf"):
        extra["rdf"] = held["rdf"]  # a file without any such statements (CSV) keeps ours
    fields["extra"] = extra
    return fields


def _db_cycles(graph: Graph, concept_nodes: set[Node]) -> list[Violation]:
    """Cycles in broader that the file closes together with concepts already stored."""
    from clearinghouse.vocabularies.integrity import broader_edges, find_cycles

    edges = broader_edges(graph, concept_nodes)
    file_uris = {str(c) for c in concept_nodes}
    uri_of = dict(Concept.objects.values_list("pk", "uri"))
    for child, parent in Concept.broader.through.objects.values_list(
        "from_concept_id", "to_concept_id"
    ):
        if uri_of[child] not in file_uris:
            edges.setdefault(uri_of[child], set()).add(uri_of[parent])
    in_file = find_cycles(edges)
    return [
        Violation(uri, "skos:broader forms a cycle with concepts already stored.")
        for uri in sorted(in_file)
        if uri in file_uris and not _file_only_cycle(graph, concept_nodes, uri)
    ]


def _file_only_cycle(graph: Graph, concept_nodes: set[Node], uri: str) -> bool:
    from clearinghouse.vocabularies.integrity import broader_edges, find_cycles

    return uri in find_cycles(broader_edges(graph, concept_nodes))
