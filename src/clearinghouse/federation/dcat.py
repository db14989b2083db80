"""A DCAT-AP 3 catalogue of a portal's published records (``/catalog``).

Each public record is a ``dcat:Dataset``; the catalogue is paged with Hydra
(``hydra:PartialCollectionView``). Everything the DCAT-AP range shapes check by class
(publisher, themes, spatial coverage, landing pages, formats, languages) is typed in the same
graph, so the output passes the official shapes without outside knowledge."""

from __future__ import annotations

import datetime as dt
import mimetypes
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.encoding import iri_to_uri
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS

from clearinghouse.federation.sets import targets_of
from clearinghouse.portals.models import Portal
from clearinghouse.records.fields import StringList, Term
from clearinghouse.records.models import Attachment, Record
from clearinghouse.records.services import visible_records
from clearinghouse.records.types import COUNTRIES, GBF_TARGETS, RECORD_TYPES
from clearinghouse.vocabularies.models import Concept, ConceptScheme

HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
IANA = "http://www.iana.org/assignments/media-types/"
LANGUAGE_CODES = {"en": "ENG", "fr": "FRA", "es": "SPA", "ar": "ARA", "ru": "RUS", "zh": "ZHO"}
PAGE_SIZE = 100

# format name → (rdflib format, media type)
FORMATS: dict[str, tuple[str, str]] = {
    "ttl": ("turtle", "text/turtle"),
    "rdf": ("xml", "application/rdf+xml"),
    "jsonld": ("json-ld", "application/ld+json"),
}


class BadRequest(ValueError):
    """A query parameter the catalogue cannot use (answered with 400)."""


def page_size() -> int:
    return int(getattr(settings, "CLEARINGHOUSE_DCAT_PAGE_SIZE", PAGE_SIZE))


def parse_since(raw: str | None) -> dt.datetime | None:
    """``modified_since``: an ISO 8601 date or date-time; naive times are UTC."""
    if not raw:
        return None
    value = raw.strip().replace(" ", "+")  # a "+" in a query string arrives as a space
    try:
        stamp = parse_datetime(value)
        if stamp is None:
            day = parse_date(value)
            if day is not None:
                stamp = dt.datetime(day.year, day.month, day.day)
    except ValueError:
        stamp = None
    if stamp is None:
        raise BadRequest(
            f"modified_since={raw!r} is not an ISO 8601 date or date-time "
            "(e.g. 2025-03-01 or 2025-03-01T12:00:00Z)."
        )
    if timezone.is_naive(stamp):
        stamp = stamp.replace(tzinfo=dt.UTC)
    return stamp


def parse_page(raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    try:
        number = int(raw)
    except ValueError:
        number = 0
    if number < 1:
        raise BadRequest(f"page={raw!r} is not a page number (1, 2, …).")
    return number


@dataclass
class Site:
    portal: Portal
    base: str  # scheme://host

    @property
    def catalog(self) -> URIRef:
        return URIRef(f"{self.base}/catalog")

    @property
    def publisher(self) -> URIRef:
        return URIRef(f"{self.base}/#publisher")

    def landing_page(self, uid: str) -> str:
        return f"{self.base}/{self.portal.default_language}/r/{uid}/"

    def dataset(self, uid: str) -> URIRef:
        return URIRef(self.landing_page(uid) + "#dataset")


def _literals(values: Any) -> list[Literal]:
    """Language-tagged literals from an lstring (plain ones for text without a language)."""
    if isinstance(values, str):
        return [Literal(values)] if values.strip() else []
    if not isinstance(values, dict):
        return []
    return [
        Literal(text, lang=lang or None)
        for lang, text in sorted(values.items())
        if isinstance(text, str) and text.strip()
    ]


def _uri(url: str) -> URIRef:
    return URIRef(iri_to_uri(url.strip()).replace(" ", "%20"))


def _media_type(graph: Graph, media: str) -> URIRef:
    node = URIRef(IANA + media)
    graph.add((node, RDF.type, DCTERMS.MediaType))
    graph.add((node, RDF.type, DCTERMS.MediaTypeOrExtent))
    return node


def _describe_publisher(graph: Graph, site: Site) -> None:
    portal = site.portal
    graph.add((site.publisher, RDF.type, FOAF.Agent))
    names = _literals(portal.name) or [Literal(portal.code)]
    for name in names:
        graph.add((site.publisher, FOAF.name, name))
    homepage = URIRef(f"{site.base}/")
    graph.add((site.publisher, FOAF.homepage, homepage))
    graph.add((homepage, RDF.type, FOAF.Document))


def _describe_concepts(graph: Graph, concepts: dict[str, Concept], classes: tuple) -> None:
    for concept in concepts.values():
        node = URIRef(concept.uri)
        for cls in classes:
            graph.add((node, RDF.type, cls))
        for label in _literals(concept.pref_labels) or [Literal(concept.identifier)]:
            graph.add((node, SKOS.prefLabel, label))
        scheme = URIRef(concept.scheme.uri)
        graph.add((node, SKOS.inScheme, scheme))
        graph.add((node, DCTERMS.identifier, Literal(concept.identifier)))
        _describe_scheme(graph, concept.scheme)


def _describe_scheme(graph: Graph, scheme: ConceptScheme) -> None:
    node = URIRef(scheme.uri)
    graph.add((node, RDF.type, SKOS.ConceptScheme))
    for title in _literals(scheme.titles) or [Literal(scheme.identifier)]:
        graph.add((node, DCTERMS.title, title))


def _spatial_terms(schema: str, document: dict[str, Any], country: str = "") -> list[str]:
    """The government, then the countries and regions the record is about (identifiers)."""
    rtype = RECORD_TYPES.get(schema)
    found: list[str] = [country.lower()] if country else []
    government = document.get("government")
    if isinstance(government, dict) and isinstance(government.get("identifier"), str):
        found.append(government["identifier"].lower())
    for fld in rtype.fields if rtype else []:
        if isinstance(fld, Term) and fld.scheme == COUNTRIES:
            values = document.get(fld.name)
            for item in values if isinstance(values, list) else [values]:
                if isinstance(item, dict) and isinstance(item.get("identifier"), str):
                    found.append(item["identifier"])
    return list(dict.fromkeys(found))


def _keywords(document: dict[str, Any], languages: list[str]) -> list[Literal]:
    tags = document.get("tags")
    if not isinstance(tags, str):
        return []
    lang = languages[0] if len(languages) == 1 else None
    parts = [p.strip() for p in tags.replace(";", ",").split(",")]
    return [Literal(p, lang=lang) for p in dict.fromkeys(p for p in parts if p)]


def _links(schema: str, document: dict[str, Any]) -> list[tuple[str, str]]:
    """(url, name) of every web link in the document."""
    rtype = RECORD_TYPES.get(schema)
    out: list[tuple[str, str]] = []
    for fld in rtype.fields if rtype else []:
        if isinstance(fld, StringList) and fld.kind == "url":
            values = document.get(fld.name)
            for item in values if isinstance(values, list) else []:
                url = item.get("url") if isinstance(item, dict) else item
                name = item.get("name") if isinstance(item, dict) else ""
                if isinstance(url, str) and url.strip():
                    out.append((url, name if isinstance(name, str) else ""))
    return out


@dataclass
class Page:
    graph: Graph
    number: int
    total: int
    last: int

    @property
    def has_next(self) -> bool:
        return self.number < self.last


def build(
    site: Site,
    page: int = 1,
    since: dt.datetime | None = None,
) -> Page:
    """One page of the catalogue as a graph."""
    portal = site.portal
    records = visible_records(portal)
    if since is not None:
        records = records.filter(updated_at__gte=since)
    total = records.count()
    size = page_size()
    last = max(1, -(-total // size))
    rows = list(
        records.order_by("updated_at", "id")
        .select_related("published")
        .annotate(first_issued=Min("revisions__published_at"))[(page - 1) * size : page * size]
    )
    graph = Graph()
    graph.bind("dcat", DCAT)
    graph.bind("dct", DCTERMS)
    graph.bind("foaf", FOAF)
    graph.bind("skos", SKOS)
    graph.bind("hydra", HYDRA)
    _describe_catalog(graph, site, since, page, last, total)

    documents = {r.pk: (r.published.document if r.published else {}) for r in rows}
    wanted: set[str] = set()
    for record in rows:
        doc = documents[record.pk]
        wanted.update(targets_of(doc))
        wanted.update(_spatial_terms(record.schema, doc, record.government))
    concepts = {
        c.identifier: c
        for c in Concept.objects.filter(identifier__in=wanted).select_related("scheme")
    }
    files: dict[int, list[Attachment]] = {}
    for item in Attachment.objects.filter(record__in=rows).order_by("id"):
        files.setdefault(item.record_id, []).append(item)

    themes: dict[str, Concept] = {}
    places: dict[str, Concept] = {}
    for record in rows:
        doc = documents[record.pk] if isinstance(documents[record.pk], dict) else {}
        node = _describe_dataset(graph, site, record, doc, files.get(record.pk, []))
        for ident in targets_of(doc):
            if ident in concepts:
                themes[ident] = concepts[ident]
                graph.add((node, DCAT.theme, URIRef(concepts[ident].uri)))
                graph.add((node, DCTERMS.subject, URIRef(concepts[ident].uri)))
        for ident in _spatial_terms(record.schema, doc, record.government):
            if ident in concepts:
                places[ident] = concepts[ident]
                graph.add((node, DCTERMS.spatial, URIRef(concepts[ident].uri)))
    _describe_concepts(graph, themes, (SKOS.Concept,))
    _describe_concepts(graph, places, (DCTERMS.Location, SKOS.Concept))
    return Page(graph, page, total, last)


def _describe_catalog(
    graph: Graph,
    site: Site,
    since: dt.datetime | None,
    page: int,
    last: int,
    total: int,
) -> None:
    portal = site.portal
    catalog = site.catalog
    graph.add((catalog, RDF.type, DCAT.Catalog))
    for name in _literals(portal.name) or [Literal(portal.code)]:
        graph.add((catalog, DCTERMS.title, name))
    graph.add(
        (
            catalog,
            DCTERMS.description,
            Literal(
                f"Records published on the biodiversity clearing-house portal "
                f"{portal.display_name('en')}: a DCAT-AP 3 catalogue.",
                lang="en",
            ),
        )
    )
    _describe_publisher(graph, site)
    graph.add((catalog, DCTERMS.publisher, site.publisher))
    homepage = URIRef(f"{site.base}/")
    graph.add((catalog, FOAF.homepage, homepage))
    for code in portal.languages or [portal.default_language]:
        if code in LANGUAGE_CODES:
            lang = EU_LANGUAGE[LANGUAGE_CODES[code]]
            graph.add((catalog, DCTERMS.language, lang))
            graph.add((lang, RDF.type, DCTERMS.LinguisticSystem))
    scheme = ConceptScheme.objects.filter(identifier=GBF_TARGETS).first()
    if scheme is not None:
        graph.add((catalog, DCAT.themeTaxonomy, URIRef(scheme.uri)))
        _describe_scheme(graph, scheme)
    newest = visible_records(portal).order_by("-updated_at").values_list("updated_at").first()
    if newest is not None:
        graph.add((catalog, DCTERMS.modified, Literal(newest[0], datatype=XSD.dateTime)))

    # Paging (Hydra), as the DCAT-AP guidelines suggest for large catalogues.
    def view(number: int) -> URIRef:
        query: dict[str, str] = {"page": str(number)}
        if since is not None:
            query["modified_since"] = since.isoformat()
        # Format-independent (negotiated) page IRIs: the three serialisations are one graph.
        return URIRef(f"{site.base}/catalog?{urlencode(query)}")

    this = view(page)
    graph.add((catalog, HYDRA.view, this))
    graph.add((this, RDF.type, HYDRA.PartialCollectionView))
    graph.add((this, HYDRA.first, view(1)))
    graph.add((this, HYDRA.last, view(last)))
    graph.add((this, HYDRA.totalItems, Literal(total, datatype=XSD.nonNegativeInteger)))
    if page > 1:
        graph.add((this, HYDRA.previous, view(page - 1)))
    if page < last:
        graph.add((this, HYDRA.next, view(page + 1)))


def _describe_dataset(
    graph: Graph,
    site: Site,
    record: Record,
    doc: dict[str, Any],
    attachments: list[Attachment],
) -> URIRef:
    rtype = RECORD_TYPES.get(record.schema)
    node = site.dataset(record.uid)
    graph.add((site.catalog, DCAT.dataset, node))
    graph.add((node, RDF.type, DCAT.Dataset))
    titles = _literals(rtype.titles(doc) if rtype else record.title) or [Literal(record.uid)]
    for title in titles:
        graph.add((node, DCTERMS.title, title))
    summary = _literals(doc.get(rtype.summary_field)) if rtype and rtype.summary_field else []
    if not summary:
        label = str(rtype.label) if rtype else record.schema
        summary = [Literal(f"{label}: {t}", lang=t.language) for t in titles]
    for text in summary:
        graph.add((node, DCTERMS.description, text))
    graph.add((node, DCTERMS.identifier, Literal(record.uid)))
    issued = getattr(record, "first_issued", None) or record.published_at
    if issued is not None:
        graph.add((node, DCTERMS.issued, Literal(issued, datatype=XSD.dateTime)))
    graph.add((node, DCTERMS.modified, Literal(record.updated_at, datatype=XSD.dateTime)))
    graph.add((node, DCTERMS.publisher, site.publisher))
    landing = URIRef(site.landing_page(record.uid))
    graph.add((node, DCAT.landingPage, landing))
    graph.add((landing, RDF.type, FOAF.Document))
    header = doc.get("header") if isinstance(doc.get("header"), dict) else {}
    languages = [x for x in (header or {}).get("languages") or [] if x in LANGUAGE_CODES]
    for code in languages:
        lang = EU_LANGUAGE[LANGUAGE_CODES[code]]
        graph.add((node, DCTERMS.language, lang))
        graph.add((lang, RDF.type, DCTERMS.LinguisticSystem))
    for keyword in _keywords(doc, languages):
        graph.add((node, DCAT.keyword, keyword))

    for n, (url, name) in enumerate(_links(record.schema, doc), start=1):
        dist = URIRef(f"{node}-link-{n}")
        graph.add((node, DCAT.distribution, dist))
        graph.add((dist, RDF.type, DCAT.Distribution))
        graph.add((dist, DCAT.accessURL, _uri(url)))
        if name.strip():
            graph.add((dist, DCTERMS.title, Literal(name.strip())))
        guessed = mimetypes.guess_type(url.split("?")[0])[0]
        if guessed:
            graph.add((dist, DCTERMS.format, _media_type(graph, guessed)))
    for item in attachments:
        dist = URIRef(f"{node}-file-{item.pk}")
        graph.add((node, DCAT.distribution, dist))
        graph.add((dist, RDF.type, DCAT.Distribution))
        url = URIRef(f"{site.base}/{site.portal.default_language}/files/{item.pk}/")
        graph.add((dist, DCAT.accessURL, url))
        graph.add((dist, DCAT.downloadURL, url))
        graph.add((dist, DCTERMS.title, Literal(item.filename)))
        if item.content_type:
            graph.add((dist, DCTERMS.format, _media_type(graph, item.content_type)))
        graph.add((dist, DCAT.byteSize, Literal(item.size, datatype=XSD.nonNegativeInteger)))
    return node


def serialize(graph: Graph, fmt: str) -> bytes:
    data = graph.serialize(format=FORMATS[fmt][0], encoding="utf-8")
    return data if isinstance(data, bytes) else data.encode()
