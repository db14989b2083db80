"""Import records from the CBD's Solr index (``/api/v2013/index?q=…``, a Solr ``select``
answer in JSON): ``schema_s`` chooses the local record type, ``identifier_s`` keys the
provenance (a re-import updates, never duplicates), ``realm_ss`` and ``url_ss`` are kept as
provenance, and paging follows ``start``/``rows``.

Index entries carry only part of a record (titles, summary, government, links, subjects), so
missing mandatory fields are accepted; anything present must still be valid for the local type
(unknown properties, bad links or dates quarantine the document)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from clearinghouse.federation.connectors.http import build_url, expect, get_json
from clearinghouse.federation.connectors.imports import Mapped, Page
from clearinghouse.federation.connectors.models import ImportKind, ImportSource
from clearinghouse.records.fields import Date, StringList
from clearinghouse.records.i18n import UN_LANGUAGES
from clearinghouse.records.types import RECORD_TYPES, SUBJECTS
from clearinghouse.records.validation import known_terms

# CBD schema names that have a local record type (the same name here). Contacts hold personal
# data and are never imported from the index.
IMPORTED = {schema for schema in RECORD_TYPES if schema != "contact"}
LINK_FIELDS = {"resource": "resourceLinks", "organization": "websites", "nbsap": "documentLinks"}
GOVERNMENT = re.compile(r"^[a-z]{2}$")
SOLR_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d+)?Z?)?$")
LANGS = [lang for lang in ("en", "fr", "es", "ar", "ru", "zh") if lang in UN_LANGUAGES]


def default_query(country: str) -> str:
    """The CHM realm, and for a national portal its government's records only."""
    return f"realm_ss:chm AND government_s:{country.lower()}" if country else "realm_ss:chm"


@dataclass
class CbdIndexConnector:
    rows: int = 100
    timeout: float = 0
    retries: int = 2
    backoff_s: float = 1.0
    kind: str = ImportKind.CBD_INDEX
    first_cursor: int = 0
    partial: bool = True

    def __post_init__(self) -> None:
        self.timeout = self.timeout or settings.CLEARINGHOUSE_CONNECTOR_TIMEOUT

    def fetch(self, source: ImportSource, cursor: int) -> Page:
        params = [
            ("q", source.query),
            ("sort", "identifier_s asc"),  # a stable order, so that start/rows pages hold
            ("start", str(cursor)),
            ("rows", str(self.rows)),
            ("wt", "json"),
        ]
        body = get_json(source.base_url, params, self.timeout, self.retries, self.backoff_s)
        url = build_url(source.base_url, params)
        expect(isinstance(body, dict), url, _("not a JSON object"))
        response = body.get("response")
        expect(isinstance(response, dict), url, _("no “response” object (not a Solr answer)"))
        found, start, docs = response.get("numFound"), response.get("start"), response.get("docs")
        expect(isinstance(found, int) and found >= 0, url, _("“numFound” is not a number"))
        expect(start == cursor, url, _("“start” is not the offset asked for"))
        expect(isinstance(docs, list), url, _("“docs” is not a list"))
        end = cursor + len(docs)
        return Page(docs, found, end if docs and end < found else None)

    def map(self, raw: Any) -> Mapped:
        if not isinstance(raw, dict):
            return Mapped("", raw, problem=_("the document is not a JSON object"))
        identifier = raw.get("identifier_s")
        if not isinstance(identifier, str) or not identifier.strip():
            return Mapped("", raw, problem=_("no identifier_s"))
        m = Mapped(identifier.strip(), raw)
        schema = raw.get("schema_s")
        if not isinstance(schema, str) or not schema:
            m.problem = _("no schema_s")
            return m
        m.remote_type = schema
        realms = raw.get("realm_ss", [])
        if not isinstance(realms, list) or not all(isinstance(r, str) for r in realms):
            m.problem = _("realm_ss is not a list of realms")
            return m
        m.realm = ",".join(r.upper() for r in realms)
        urls = raw.get("url_ss", [])
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            m.problem = _("url_ss is not a list of addresses")
            return m
        m.url = urls[0] if urls and urls[0].startswith(("http://", "https://")) else ""
        updated = raw.get("updatedDate_dt", "")
        if not isinstance(updated, str) or (updated and not _is_date(updated)):
            m.problem = _("updatedDate_dt is not a date-time: %(value)r") % {"value": updated}
            return m
        m.updated = updated
        if schema not in IMPORTED:
            m.skip = True
            return m
        rtype = RECORD_TYPES[schema]
        m.schema = schema
        title = _lstring(raw, "title")
        if isinstance(title, str):
            m.problem = title
            return m
        if not title:
            m.problem = _("no title in any language (title_EN_t, title_FR_t, …)")
            return m
        doc: dict[str, Any] = {"header": {}, rtype.title_field: title}
        government = raw.get("government_s")
        if government is not None:
            if not isinstance(government, str) or not GOVERNMENT.match(government.lower()):
                m.problem = _("government_s is not an ISO alpha-2 code: %(value)r") % {
                    "value": government
                }
                return m
            doc["government"] = {"identifier": government.lower()}
        elif rtype.national:
            m.problem = _("a %(schema)s record needs government_s") % {"schema": schema}
            return m
        if rtype.summary_field:
            summary = _lstring(raw, "summary") or _lstring(raw, "description")
            if isinstance(summary, str):
                m.problem = summary
                return m
            if summary:
                doc[rtype.summary_field] = summary
        link_field = LINK_FIELDS.get(schema, "links")
        if urls and isinstance(rtype.field(link_field), StringList):
            doc[link_field] = [{"url": u} for u in urls]
        subjects = raw.get("thematicAreas_ss")
        if rtype.field("cbdSubjects") is not None and isinstance(subjects, list):
            known = known_terms(SUBJECTS, {s for s in subjects if isinstance(s, str)})
            if known:
                doc["cbdSubjects"] = [{"identifier": s} for s in sorted(known)]
        for name in ("startDate", "endDate"):
            value = raw.get(f"{name}_dt")
            if isinstance(rtype.field(name), Date) and isinstance(value, str) and value:
                if not _is_date(value):
                    m.problem = _("%(field)s is not a date: %(value)r") % {
                        "field": f"{name}_dt",
                        "value": value,
                    }
                    return m
                doc[name] = value[:10]
        doc["header"]["languages"] = languages_of(doc)
        m.document = doc
        return m


def languages_of(doc: dict[str, Any]) -> list[str]:
    """The UN languages any text of the document is in (the record's languages)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if value and all(k in LANGS and isinstance(v, str) for k, v in value.items()):
                found.update(value)
            else:
                for item in value.values():
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk({k: v for k, v in doc.items() if k != "header"})
    return [lang for lang in LANGS if lang in found] or ["en"]


def _is_date(value: str) -> bool:
    if not SOLR_DATE.match(value):
        return False
    try:
        dt.date.fromisoformat(value[:10])
    except ValueError:
        return False
    return True


def _lstring(raw: dict[str, Any], prefix: str) -> dict[str, str] | str:
    """``<prefix>_EN_t``, ``<prefix>_FR_t``… as an lstring, or a problem (a str)."""
    out: dict[str, str] = {}
    for lang in LANGS:
        name = f"{prefix}_{lang.upper()}_t"
        value = raw.get(name)
        if value is None:
            continue
        if isinstance(value, list) and len(value) == 1:
            value = value[0]  # multi-valued text fields hold one text per language
        if not isinstance(value, str):
            return _("%(field)s is not text") % {"field": name}
        if value.strip():
            out[lang] = value.strip()
    return out


def new_source(portal: Any, query: str = "", base_url: str = "") -> ImportSource:
    source, _created = ImportSource.objects.get_or_create(
        kind=ImportKind.CBD_INDEX,
        base_url=base_url or settings.CLEARINGHOUSE_CBD_INDEX_URL,
        query=query or default_query(portal.country),
        portal=portal,
    )
    return source
