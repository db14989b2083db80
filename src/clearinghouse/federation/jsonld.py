"""schema.org JSON-LD for record pages (``<script type="application/ld+json">``).

One schema.org type per record type; names and descriptions in every language of the record as
language-tagged values; ``about`` the GBF targets (their concept URIs). Only terms of the
schema.org vocabulary are used, so the block expands with the schema.org context alone."""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from clearinghouse.federation.sets import targets_of
from clearinghouse.records.fields import StringList
from clearinghouse.records.models import Record, Revision
from clearinghouse.records.types import RECORD_TYPES
from clearinghouse.vocabularies import labels
from clearinghouse.vocabularies.models import Concept

# record type → schema.org type
TYPES: dict[str, str] = {
    "resource": "CreativeWork",
    "caseStudy": "CreativeWork",
    "nationalTarget7": "CreativeWork",
    "nbsap": "CreativeWork",
    "news": "NewsArticle",
    "event": "Event",
    "organization": "Organization",
    "contact": "Person",
    "capacityBuildingInitiative": "Project",
    "bbiRequest": "CreativeWork",
    "bbiProfile": "Service",
    "bbiOpportunity": "CreativeWork",
    "fundingOpportunity": "Grant",
}
# Types whose schema.org definition has datePublished / inLanguage / keywords (CreativeWork).
CREATIVE_WORKS = {"CreativeWork", "NewsArticle"}
HAS_LANGUAGE = CREATIVE_WORKS | {"Event"}


def _lang_values(values: Any) -> list[dict[str, str]]:
    if isinstance(values, str):
        return [{"@value": values}] if values.strip() else []
    if not isinstance(values, dict):
        return []
    return [
        {"@value": text, "@language": lang} if lang else {"@value": text}
        for lang, text in sorted(values.items())
        if isinstance(text, str) and text.strip()
    ]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _iso(stamp: dt.datetime | None) -> str | None:
    return stamp.isoformat() if stamp else None


def _links(schema: str, document: dict[str, Any]) -> list[str]:
    rtype = RECORD_TYPES.get(schema)
    out: list[str] = []
    for fld in rtype.fields if rtype else []:
        if isinstance(fld, StringList) and fld.kind == "url":
            values = document.get(fld.name)
            for item in values if isinstance(values, list) else []:
                url = item.get("url") if isinstance(item, dict) else item
                if isinstance(url, str) and url.strip():
                    out.append(url.strip())
    return out


def _country(document: dict[str, Any], name: str = "country") -> str:
    value = document.get(name)
    ident = value.get("identifier") if isinstance(value, dict) else None
    return ident.upper() if isinstance(ident, str) else ""


def first_published(record: Record) -> dt.datetime | None:
    """When the record was first published: its first revision (no query while it has one)."""
    annotated = getattr(record, "first_issued", None)
    if annotated is not None:
        return annotated
    revision = record.published
    if revision is None or revision.number == 1:
        return record.published_at
    first = Revision.objects.filter(record=record, number=1).values_list("published_at").first()
    return first[0] if first else record.published_at


def describe(record: Record, document: dict[str, Any], url: str) -> dict[str, Any]:
    """The schema.org description of a published record, as a JSON-LD object."""
    schema = record.schema
    rtype = RECORD_TYPES.get(schema)
    kind = TYPES.get(schema, "CreativeWork")
    header = document.get("header") if isinstance(document.get("header"), dict) else {}
    languages = [x for x in (header or {}).get("languages") or [] if isinstance(x, str)]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": kind,
        "@id": f"{url}#record",
        "url": url,
        "identifier": record.uid,
    }
    if kind == "Person":
        given, family = _text(document.get("firstName")), _text(document.get("lastName"))
        data["name"] = " ".join(p for p in (given, family) if p) or record.uid
        if given:
            data["givenName"] = given
        if family:
            data["familyName"] = family
        if _text(document.get("prefix")):
            data["honorificPrefix"] = _text(document.get("prefix"))
        if _lang_values(document.get("designation")):
            data["jobTitle"] = _lang_values(document.get("designation"))
        if _text(document.get("organization")):
            data["worksFor"] = {"@type": "Organization", "name": _text(document["organization"])}
    else:
        names = _lang_values(rtype.titles(document) if rtype else record.title)
        data["name"] = names or record.uid
    summary = document.get(rtype.summary_field) if rtype and rtype.summary_field else None
    if _lang_values(summary):
        data["description"] = _lang_values(summary)
    if kind in HAS_LANGUAGE and languages:
        data["inLanguage"] = languages
    published = first_published(record)
    if kind in CREATIVE_WORKS:
        data["datePublished"] = _iso(published)
        data["dateModified"] = _iso(record.updated_at)
        if _text(document.get("tags")):
            data["keywords"] = _text(document["tags"])
    # Every type: the page that describes it, with its dates and languages.
    page: dict[str, Any] = {"@type": "WebPage", "@id": url, "datePublished": _iso(published)}
    page["dateModified"] = _iso(record.updated_at)
    if languages:
        page["inLanguage"] = languages
    data["mainEntityOfPage"] = page

    if kind == "Event":
        for key in ("startDate", "endDate"):
            if _text(document.get(key)):
                data[key] = _text(document[key])
        place: dict[str, Any] = {"@type": "PostalAddress"}
        if _text(document.get("city")):
            place["addressLocality"] = _text(document["city"])
        if _country(document):
            place["addressCountry"] = _country(document)
        if len(place) > 1:
            data["location"] = {"@type": "Place", "address": place}
        if document.get("online") is True:
            data["eventAttendanceMode"] = {"@id": "schema:OnlineEventAttendanceMode"}
        if _text(document.get("organizers")):
            data["organizer"] = {"@type": "Organization", "name": _text(document["organizers"])}
    if kind == "Organization":
        if _text(document.get("acronym")):
            data["alternateName"] = _text(document["acronym"])
        address: dict[str, Any] = {"@type": "PostalAddress"}
        if _text(document.get("address")):
            address["streetAddress"] = _text(document["address"])
        if _text(document.get("city")):
            address["addressLocality"] = _text(document["city"])
        if _country(document):
            address["addressCountry"] = _country(document)
        if len(address) > 1:
            data["address"] = address
        if _text(document.get("phones")):
            data["telephone"] = _text(document["phones"])
    if kind in ("Organization", "Person"):
        emails = [e for e in document.get("emails") or [] if isinstance(e, str)]
        if emails:
            data["email"] = emails
    if kind == "CreativeWork" and schema == "resource":
        if _text(document.get("authors")):
            data["author"] = {"@type": "Organization", "name": _text(document["authors"])}
        if _text(document.get("publisher")):
            data["publisher"] = {"@type": "Organization", "name": _text(document["publisher"])}
    if kind == "Project":
        for key in ("startDate", "endDate"):
            if _text(document.get(key)):
                # Project (an Organization) has no start/end date: foundingDate / dissolutionDate.
                data["foundingDate" if key == "startDate" else "dissolutionDate"] = _text(
                    document[key]
                )
    links = _links(schema, document)
    if links:
        data["sameAs" if kind in ("Organization", "Person") else "subjectOf"] = (
            links if kind in ("Organization", "Person") else [{"@id": u} for u in links]
        )

    about = []
    for ident in targets_of(document):
        found = _concept(ident, labels.generation())
        if found is None:
            continue
        term: dict[str, Any] = {"@type": "DefinedTerm", "@id": found[0], "termCode": ident}
        if _lang_values(found[1]):
            term["name"] = _lang_values(found[1])
        about.append(term)
    if about:
        data["about"] = about
    return data


@lru_cache(maxsize=1024)
def _concept(identifier: str, generation: int) -> tuple[str, dict[str, str]] | None:
    """A concept's URI and labels, cached per process until the vocabularies change."""
    row = Concept.objects.filter(identifier=identifier).values_list("uri", "pref_labels").first()
    return (row[0], dict(row[1] or {})) if row else None


def script(data: dict[str, Any]) -> SafeString:
    """The JSON for a ``<script>`` element: ``<``, ``>`` and ``&`` escaped, so no text of the
    record can close the element."""
    text = json.dumps(data, ensure_ascii=False, indent=None, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)
