"""IATI activity XML (standard 2.03): export projects, import capacity-building initiatives.

Exported as IATI activities:

- published ``capacityBuildingInitiative`` records of a portal;
- funded small-grant projects (``grant`` requests that were awarded, whatever came next) of
  the portal, with the award as the commitment transaction.

The reporting organisation is the portal (``CLEARINGHOUSE_IATI_ORGANISATIONS`` gives its IATI
organisation identifier). Fields IATI has no element for, and the difference between text
fields that share an IATI element, travel in our own namespace (``ch:field``), which the
standard allows ("extended with additional elements and attributes … in an explicit XML
namespace"); IATI tools ignore it. The import validates the file against the official schema
(``schemas/iati-2.03/``) with libxml2, maps every activity to a ``capacityBuildingInitiative``
document, validates those with the record validator, and stores drafts only when nothing at
all is wrong. See docs/federation.md."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

from clearinghouse.portals.models import Portal
from clearinghouse.records.errors import Issue
from clearinghouse.records.fields import parse_date
from clearinghouse.records.models import Draft, Record, new_uid
from clearinghouse.records.services import _audit, insert_draft, normalise
from clearinghouse.records.types import CAPACITY_BUILDING_INITIATIVE, GBF_TARGETS, SUBJECTS
from clearinghouse.records.validation import validate
from clearinghouse.vocabularies.models import Concept, ConceptScheme

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas" / "iati-2.03"
ACTIVITIES_XSD = SCHEMA_DIR / "iati-activities-schema.xsd"
VERSION = "2.03"
CH_NS = "urn:x-clearinghouse:iati:1"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CH = f"{{{CH_NS}}}"
CBI = CAPACITY_BUILDING_INITIATIVE.schema
BIODIVERSITY = "41030"  # OECD DAC 5 sector "Biodiversity"
MAX_FILE_BYTES = 50 * 1024 * 1024

# our codes <-> IATI codelists
STATUS = {"IS-PROPOSED": "1", "IS-ONGOING": "2", "IS-COMPLETED": "3"}  # ActivityStatus
STATUS_IN = {"1": "IS-PROPOSED", "2": "IS-ONGOING", "3": "IS-COMPLETED", "4": "IS-COMPLETED"}
STATUS_IN |= {"5": "IS-COMPLETED", "6": "IS-ONGOING"}
SCOPE = {"GS-GLOBAL": "1", "GS-REGIONAL": "2", "GS-NATIONAL": "4", "GS-SUBNATIONAL": "6"}
SCOPE_IN = {"1": "GS-GLOBAL", "2": "GS-REGIONAL", "3": "GS-REGIONAL", "4": "GS-NATIONAL"}
SCOPE_IN |= {code: "GS-SUBNATIONAL" for code in ("5", "6", "7", "8")}
# participating-org roles (OrganisationRole): 1 Funding, 2 Accountable, 3 Extending, 4 Implementing
ORG_FIELDS = [
    ("coreFundingSources", "1"),
    ("coFinancingSources", "1"),
    ("executingAgencies", "3"),
    ("implementingAgencies", "4"),
    ("collaboratingAgencies", "4"),
]
ROLE_IN = {"1": "coreFundingSources", "2": "executingAgencies", "3": "executingAgencies"}
ROLE_IN |= {"4": "implementingAgencies"}
# description types (DescriptionType): 1 General, 3 Target groups, 4 Other
DESCRIPTIONS = [
    ("description", "1"),
    ("targetGroups", "3"),
    ("resultsAndBestPractices", "4"),
    ("fundingSourceTypes", "4"),
]
GRANT_STATUS = {"awarded": "1", "running": "2", "finishing": "2", "completed": "3"}
GRANT_STATUS |= {"terminated": "5"}


class IatiError(ValueError):
    """Bad input for the IATI export (a parameter) or import (nothing was stored)."""


# --- the reporting organisation -------------------------------------------------------------
def organisation_ref(portal: Portal) -> str:
    """The portal's IATI organisation identifier: ``CLEARINGHOUSE_IATI_ORGANISATIONS`` maps
    portal codes to identifiers; otherwise a placeholder in the ``XI-IATI`` style built from
    the portal code (replace it before registering the data with the IATI Registry)."""
    configured = getattr(settings, "CLEARINGHOUSE_IATI_ORGANISATIONS", {}) or {}
    return str(configured.get(portal.code) or f"XI-CLEARINGHOUSE-{portal.code.upper()}")


def organisation_type(portal: Portal) -> str:
    """OrganisationType: 10 Government (national portals), 40 Multilateral (central)."""
    return "40" if portal.is_central else "10"


def iati_identifier(record: Record) -> str:
    return f"{organisation_ref(record.portal)}-{record.uid}"


# --- writing ----------------------------------------------------------------------------------
def _sub(parent: Any, tag: str, text: str | None = None, **attrs: Any) -> Any:
    elem = etree.SubElement(parent, tag)
    for key, value in attrs.items():
        if value is not None and value != "":
            elem.set(key.replace("_", "-") if not key.startswith("{") else key, str(value))
    if text is not None:
        elem.text = text
    return elem


def _narratives(parent: Any, texts: dict[str, str] | str | None) -> None:
    """``narrative`` children: one per language of an lstring, or one without ``xml:lang``
    (the activity's default language) for plain text."""
    if isinstance(texts, dict):
        for lang, text in texts.items():
            if str(text or "").strip():
                _sub(parent, "narrative", _clean(text), **{XML_LANG: lang})
    elif texts and str(texts).strip():
        _sub(parent, "narrative", _clean(str(texts)))


_BAD_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: Any) -> str:
    return _BAD_XML.sub("", str(text))


def _percentages(count: int) -> list[str]:
    """Equal shares summing to exactly 100 (IATI rule for countries and regions)."""
    if count == 0:
        return []
    share = (Decimal(100) / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    shares = [share] * (count - 1)
    return [str(s) for s in [*shares, Decimal(100) - sum(shares, Decimal(0))]]


def _number(value: Any) -> str:
    return format(Decimal(str(value)).normalize(), "f")


def _yearly(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Periods of at most a year from ``start`` to ``end`` (IATI: budgets per year)."""
    periods, begin = [], start
    while begin <= end:
        try:
            stop = begin.replace(year=begin.year + 1) - dt.timedelta(days=1)
        except ValueError:  # 29 February
            stop = begin.replace(year=begin.year + 1, day=28)
        stop = min(stop, end)
        periods.append((begin, stop))
        begin = stop + dt.timedelta(days=1)
    return periods


def _split_budget(total: Any, periods: list[tuple[dt.date, dt.date]]) -> list[Decimal]:
    """The total spread over the periods by their length in days, in cents, summing exactly."""
    amount = Decimal(str(total))
    days = [(b - a).days + 1 for a, b in periods]
    all_days = sum(days)
    parts = [
        (amount * d / all_days).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for d in days[:-1]
    ]
    return [*parts, amount - sum(parts, Decimal(0))]


@dataclass
class Vocab:
    """Concept URIs and labels used in tags (one query per export)."""

    gbf_uri: str = ""
    subjects_uri: str = ""
    labels: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Vocab:
        uris = dict(
            ConceptScheme.objects.filter(identifier__in=[GBF_TARGETS, SUBJECTS]).values_list(
                "identifier", "uri"
            )
        )
        labels = dict(
            Concept.objects.filter(scheme__identifier__in=[GBF_TARGETS, SUBJECTS]).values_list(
                "identifier", "pref_labels"
            )
        )
        return cls(uris.get(GBF_TARGETS, ""), uris.get(SUBJECTS, ""), labels)


def _reporting_org(parent: Any, portal: Portal) -> None:
    ref, kind = organisation_ref(portal), organisation_type(portal)
    org = _sub(parent, "reporting-org", ref=ref, type=kind)
    _narratives(org, {k: v for k, v in (portal.name or {}).items() if v})


def _tags(activity: Any, terms: list[Any], scheme_uri: str, vocab: Vocab, ch_field: str) -> None:
    for term in terms or []:
        code = (term or {}).get("identifier") if isinstance(term, dict) else None
        if not code:
            continue
        tag = _sub(activity, "tag", code=code, vocabulary="99", vocabulary_uri=scheme_uri)
        tag.set(CH + "field", ch_field)
        _narratives(tag, vocab.labels.get(code) or {})


def _geography(activity: Any, terms: list[Any]) -> None:
    codes = [t.get("identifier", "") for t in terms or [] if isinstance(t, dict)]
    countries = [c for c in codes if len(c) == 2 and c.isalpha()]
    regions = [c for c in codes if c.startswith("m49-")]
    shares = _percentages(len(countries) + len(regions))
    for code, share in zip(countries, shares, strict=False):
        _sub(activity, "recipient-country", code=code.upper(), percentage=share)
    for code, share in zip(regions, shares[len(countries) :], strict=False):
        # RegionVocabulary 2: UN M49
        _sub(activity, "recipient-region", code=code[4:], vocabulary="2", percentage=share)


def _sector(activity: Any) -> None:
    sector = _sub(activity, "sector", code=BIODIVERSITY, vocabulary="1", percentage="100")
    _narratives(sector, {"en": "Biodiversity"})


def cbi_activity(record: Record, vocab: Vocab) -> Any:
    """One ``iati-activity`` element for a published capacity-building initiative."""
    assert record.published is not None
    doc = record.published.document
    languages = list((doc.get("header") or {}).get("languages") or [])
    lang = languages[0] if languages else record.portal.default_language
    activity = etree.Element("iati-activity", nsmap={"ch": CH_NS})
    activity.set("last-updated-datetime", record.updated_at.replace(microsecond=0).isoformat())
    activity.set(XML_LANG, lang)
    activity.set("default-currency", "USD")
    activity.set(CH + "record", record.uid)
    activity.set(CH + "languages", " ".join(languages))
    _sub(activity, "iati-identifier", iati_identifier(record))
    _reporting_org(activity, record.portal)
    _narratives(_sub(activity, "title"), doc.get("title") or {})
    wrote_description = False
    for name, code in DESCRIPTIONS:
        if doc.get(name):
            desc = _sub(activity, "description", type=code)
            desc.set(CH + "field", name)
            _narratives(desc, doc[name])
            wrote_description = True
    if not wrote_description:  # IATI needs one: the title, marked as generated
        desc = _sub(activity, "description", type="1")
        desc.set(CH + "field", "-")
        _narratives(desc, doc.get("title") or {})
    wrote_org = False
    for name, role in ORG_FIELDS:
        if str(doc.get(name) or "").strip():
            org = _sub(activity, "participating-org", role=role)
            org.set(CH + "field", name)
            _narratives(org, doc[name])
            wrote_org = True
    if not wrote_org:  # IATI needs one: the reporting portal, accountable
        org = _sub(activity, "participating-org", ref=organisation_ref(record.portal), role="2")
        org.set(CH + "field", "-")
        _narratives(org, {k: v for k, v in (record.portal.name or {}).items() if v})
    if doc.get("projectNumber"):
        # OtherIdentifierType A1: reporting organisation's internal activity identifier
        _sub(activity, "other-identifier", ref=doc["projectNumber"], type="A1")
    status = (doc.get("status") or {}).get("identifier", "")
    _sub(activity, "activity-status", code=STATUS.get(status, "2"))
    # ActivityDateType: 1 planned start, 2 actual start, 3 planned end, 4 actual end
    start_type = "1" if status == "IS-PROPOSED" else "2"
    end_type = "4" if status == "IS-COMPLETED" else "3"
    if doc.get("startDate"):
        _sub(activity, "activity-date", type=start_type, iso_date=doc["startDate"])
    if doc.get("endDate"):
        _sub(activity, "activity-date", type=end_type, iso_date=doc["endDate"])
    if str(doc.get("contacts") or "").strip():
        contact = _sub(activity, "contact-info", type="1")
        _narratives(_sub(contact, "person-name"), doc["contacts"])
    scope = (doc.get("geographicScope") or {}).get("identifier", "")
    if scope in SCOPE:
        _sub(activity, "activity-scope", code=SCOPE[scope])
    _geography(activity, doc.get("countryRegions") or [])
    if not doc.get("countryRegions") and record.government:
        # the government's own initiative: its country (IATI expects a recipient)
        country = _sub(activity, "recipient-country", code=record.government.upper())
        country.set("percentage", "100")
        country.set(CH + "field", "-")
    _sector(activity)
    _tags(activity, doc.get("gbfTargets") or [], vocab.gbf_uri, vocab, "gbfTargets")
    _tags(activity, doc.get("cbdSubjects") or [], vocab.subjects_uri, vocab, "cbdSubjects")
    start, end = parse_date(doc.get("startDate") or ""), parse_date(doc.get("endDate") or "")
    total = doc.get("totalBudget")
    if isinstance(total, int | float) and not isinstance(total, bool) and start and end:
        periods = _yearly(start, end)
        for (begin, stop), amount in zip(periods, _split_budget(total, periods), strict=True):
            budget = _sub(activity, "budget", type="1", status="1")  # original, indicative
            _sub(budget, "period-start", iso_date=begin.isoformat())
            _sub(budget, "period-end", iso_date=stop.isoformat())
            _sub(budget, "value", _number(amount), currency="USD", value_date=begin.isoformat())
    for link in doc.get("links") or []:
        url = link.get("url") if isinstance(link, dict) else str(link)
        if not url:
            continue
        docl = _sub(activity, "document-link", url=url, format="text/html")
        name = str(link.get("name") or "") if isinstance(link, dict) else ""
        title = _sub(docl, "title")
        _narratives(title, name or url)
        if not name:
            title.set(CH + "field", "-")
        _sub(docl, "category", code="A12")  # DocumentCategory A12: activity web page
    return activity


def grant_activity(grant: Any, vocab: Vocab, changed: dt.datetime | None) -> Any:
    """One ``iati-activity`` for a funded small-grant project (a ``grant`` request)."""
    from clearinghouse.cooperation import grants

    proposal = grant.data.get("proposal") or {}
    project = grants.project(grant)
    call = grant.record
    call_doc = call.published.document if call is not None and call.published else {}
    portal = grant.portal
    activity = etree.Element("iati-activity", nsmap={"ch": CH_NS})
    stamp = (changed or grant.decided_at or grant.created_at).replace(microsecond=0)
    activity.set("last-updated-datetime", stamp.isoformat())
    activity.set(XML_LANG, portal.default_language)
    activity.set("default-currency", "USD")
    activity.set(CH + "grant", str(grant.pk))
    _sub(activity, "iati-identifier", grant_identifier(grant))
    _reporting_org(activity, portal)
    _narratives(_sub(activity, "title"), proposal.get("title") or "")
    _narratives(_sub(activity, "description", type="1"), proposal.get("summary") or "")
    funder = str(call_doc.get("funder") or "").strip()
    if funder:
        _narratives(_sub(activity, "participating-org", role="1"), funder)
    else:
        funding = _sub(activity, "participating-org", ref=organisation_ref(portal), role="1")
        _narratives(funding, {k: v for k, v in (portal.name or {}).items() if v})
    if proposal.get("organization"):
        _narratives(_sub(activity, "participating-org", role="4"), proposal["organization"])
    if call is not None:
        _sub(activity, "other-identifier", ref=call.uid, type="A1")
    _sub(activity, "activity-status", code=GRANT_STATUS.get(grant.state, "2"))
    dates = []
    if proposal.get("startDate"):
        dates.append(("1", proposal["startDate"]))
    if project["startedOn"]:
        dates.append(("2", project["startedOn"]))
    if proposal.get("endDate"):
        dates.append(("3", proposal["endDate"]))
    ended = getattr(grant, "ended_at", None)
    if grant.state in {grants.COMPLETED, grants.TERMINATED} and ended:
        dates.append(("4", ended.date().isoformat()))
    if not any(code in {"1", "2"} for code, _day in dates):
        # IATI needs a start: the award date is the planned start when none was given
        awarded = grant.decided_at or grant.created_at
        dates.insert(0, ("1", awarded.date().isoformat()))
    for code, day in dates:
        _sub(activity, "activity-date", type=code, iso_date=day)
    countries = [c for c in [proposal.get("country"), *(proposal.get("partners") or [])] if c]
    _geography(activity, [{"identifier": c} for c in countries])
    _sector(activity)
    _tags(activity, call_doc.get("gbfTargets") or [], vocab.gbf_uri, vocab, "gbfTargets")
    amount = proposal.get("amount")
    awarded_on = (grant.decided_at or grant.created_at).date().isoformat()
    if amount:
        txn = _sub(activity, "transaction")
        _sub(txn, "transaction-type", code="2")  # TransactionType 2: outgoing commitment
        _sub(txn, "transaction-date", iso_date=awarded_on)
        _sub(txn, "value", _number(amount), currency="USD", value_date=awarded_on)
        _narratives(_sub(txn, "description"), _("Small grant awarded"))
        provider = _sub(txn, "provider-org", ref=organisation_ref(portal))
        _narratives(provider, {k: v for k, v in (portal.name or {}).items() if v})
        if proposal.get("organization"):
            _narratives(_sub(txn, "receiver-org"), proposal["organization"])
    return activity


def grant_identifier(grant: Any) -> str:
    call = grant.record.uid if grant.record is not None else "grant"
    return f"{organisation_ref(grant.portal)}-{call}-P{grant.pk}"


def _document(activities: list[Any]) -> bytes:
    root = etree.Element("iati-activities", nsmap={"ch": CH_NS})
    root.set("version", VERSION)
    root.set("generated-datetime", timezone.now().replace(microsecond=0).isoformat())
    root.extend(activities)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _mentions(codes: list[Any], country: str) -> bool:
    return any(isinstance(t, dict) and t.get("identifier") == country for t in codes or [])


def cbi_records(portal: Portal, country: str = "", since: dt.datetime | None = None) -> list[Any]:
    records = (
        Record.objects.filter(
            portal=portal, schema=CBI, published__isnull=False, deleted_at__isnull=True
        )
        .select_related("published", "portal")
        .order_by("updated_at", "id")
    )
    if since is not None:
        records = records.filter(updated_at__gte=since)
    out = []
    for record in records:
        assert record.published is not None
        doc = record.published.document
        if country and not (
            record.government == country or _mentions(doc.get("countryRegions"), country)
        ):
            continue
        out.append(record)
    return out


def funded_grants(portal: Portal, country: str = "", since: dt.datetime | None = None) -> list[Any]:
    from clearinghouse.cooperation import grants

    qs = (
        grants_queryset()
        .filter(portal=portal, state__in=grants.FUNDED)
        .annotate(
            changed=Max("events__at"),
            ended_at=Max("events__at", filter=Q(events__action__in=["accept_report", "terminate"])),
        )
        .order_by("pk")
    )
    out = []
    for grant in qs:
        changed = grant.changed or grant.decided_at or grant.created_at
        if since is not None and changed < since:
            continue
        proposal = grant.data.get("proposal") or {}
        if country and country not in [proposal.get("country"), *(proposal.get("partners") or [])]:
            continue
        out.append(grant)
    return out


def grants_queryset() -> Any:
    from clearinghouse.cooperation import grants
    from clearinghouse.workflows.models import Request

    return Request.objects.filter(kind=grants.KIND).select_related("portal", "record__published")


def parse_country(raw: str | None) -> str:
    value = (raw or "").strip().lower()
    if value and not (len(value) == 2 and value.isalpha()):
        raise IatiError(
            _("country=%(value)s is not a two-letter ISO 3166 country code (e.g. BJ).")
            % {"value": raw}
        )
    return value


def export_portal(
    portal: Portal, country: str = "", since: dt.datetime | None = None
) -> bytes | None:
    """The portal's projects as one ``iati-activities`` document; None when there is none
    (the schema requires at least one activity in a file)."""
    vocab = Vocab.load()
    activities = [cbi_activity(r, vocab) for r in cbi_records(portal, country, since)]
    for grant in funded_grants(portal, country, since):
        activities.append(grant_activity(grant, vocab, grant.changed))
    return _document(activities) if activities else None


def export_record(record: Record) -> bytes:
    return _document([cbi_activity(record, Vocab.load())])


def export_grant(grant: Any) -> bytes:
    changed = grant.events.aggregate(m=Max("at"))["m"]
    ended = grant.events.filter(action__in=["accept_report", "terminate"]).aggregate(m=Max("at"))[
        "m"
    ]
    grant.ended_at = ended
    return _document([grant_activity(grant, Vocab.load(), changed)])


# --- reading ----------------------------------------------------------------------------------
_schema: etree.XMLSchema | None = None


def schema() -> etree.XMLSchema:
    """The official IATI 2.03 activity schema (local files, nothing fetched)."""
    global _schema
    if _schema is None:
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        _schema = etree.XMLSchema(etree.parse(str(ACTIVITIES_XSD), parser))
    return _schema


@dataclass
class Problem:
    line: int
    message: str
    identifier: str = ""

    def __str__(self) -> str:
        where = _("line %(line)s") % {"line": self.line}
        if self.identifier:
            where += f" ({self.identifier})"
        return f"{where}: {self.message}"


@dataclass
class Activity:
    line: int
    identifier: str
    document: dict[str, Any]
    record: Record | None = None  # the record it updates
    draft: Draft | None = None  # its draft, if it has one
    uid: str = ""
    created: bool = False


@dataclass
class ImportResult:
    activities: list[Activity]
    problems: list[Problem]
    imported: bool

    @property
    def created(self) -> int:
        return sum(1 for a in self.activities if a.created)

    @property
    def updated(self) -> int:
        return sum(1 for a in self.activities if a.uid and not a.created)


def parse(data: bytes) -> tuple[Any, list[Problem]]:
    """Parse and validate against the IATI 2.03 schema; every problem with its line."""
    if len(data) > MAX_FILE_BYTES:
        raise IatiError(
            _("The file is larger than %(n)s MB.") % {"n": MAX_FILE_BYTES // 1024 // 1024}
        )
    parser = etree.XMLParser(
        no_network=True, resolve_entities=False, load_dtd=False, huge_tree=False
    )
    try:
        tree = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else 0)
        return None, [Problem(line, _("Not well-formed XML: %(error)s") % {"error": exc.msg})]
    if tree.tag != "iati-activities":
        return None, [
            Problem(
                tree.sourceline or 1,
                _("The root element is <%(tag)s>; an IATI activity file has <iati-activities>.")
                % {"tag": tree.tag},
            )
        ]
    version = tree.get("version", "")
    problems = []
    if not version.startswith("2."):
        problems.append(
            Problem(
                tree.sourceline or 1,
                _("IATI version %(version)s is not supported; use 2.0x (2.03).")
                % {"version": version or "?"},
            )
        )
    validator = schema()
    if not validator.validate(tree):
        for entry in validator.error_log:
            problems.append(
                Problem(entry.line, _("Not valid IATI 2.03: %(error)s") % {"error": entry.message})
            )
    return tree, problems


def _texts(elem: Any, default_lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for narrative in elem.findall("narrative") if elem is not None else []:
        text = (narrative.text or "").strip()
        lang = _lang(narrative.get(XML_LANG)) or default_lang
        if text and lang not in out:
            out[lang] = text
    return out


def _lang(code: str | None) -> str:
    """``EN``, ``en-GB`` → ``en``."""
    return (code or "").strip().lower().split("-")[0]


def _text(elem: Any, default_lang: str) -> str:
    texts = _texts(elem, default_lang)
    return texts.get(default_lang) or next(iter(texts.values()), "")


def _join(values: list[str]) -> str:
    return "; ".join(v for v in values if v)


def to_document(activity: Any, portal: Portal, vocab: Vocab) -> dict[str, Any]:
    """A capacityBuildingInitiative document for one ``iati-activity`` element."""
    lang = (
        _lang(activity.get(XML_LANG))
        or _lang(activity.getparent().get(XML_LANG))
        or portal.default_language
    )
    doc: dict[str, Any] = {}
    title = _texts(activity.find("title"), lang)
    doc["title"] = title
    fields: dict[str, list[str]] = {}
    for desc in activity.findall("description"):
        name = desc.get(CH + "field")
        if name == "-":
            continue
        if name is None:
            name = {"1": "description", "3": "targetGroups"}.get(desc.get("type", "1"), "")
        if name in {"description", "resultsAndBestPractices"}:
            for key, value in _texts(desc, lang).items():
                doc.setdefault(name, {})
                doc[name][key] = (doc[name][key] + "\n\n" + value) if key in doc[name] else value
        elif name in {"targetGroups", "fundingSourceTypes"}:
            fields.setdefault(name, []).append(_text(desc, lang))
    for org in activity.findall("participating-org"):
        name = org.get(CH + "field")
        if name == "-":
            continue
        name = name or ROLE_IN.get(org.get("role", ""), "")
        if name:
            fields.setdefault(name, []).append(_text(org, lang) or org.get("ref", ""))
    for name, values in fields.items():
        if _join(values):
            doc[name] = _join(values)
    own_prefix = organisation_ref(portal) + "-"
    for other in activity.findall("other-identifier"):
        if other.get("type") == "A1" and other.get("ref"):
            doc["projectNumber"] = other.get("ref")
            break
    status = activity.find("activity-status")
    if status is not None and status.get("code") in STATUS_IN:
        doc["status"] = {"identifier": STATUS_IN[status.get("code")]}
    dates = {d.get("type"): d.get("iso-date") for d in activity.findall("activity-date")}
    start = dates.get("2") or dates.get("1")
    end = dates.get("4") or dates.get("3")
    if start:
        doc["startDate"] = start
    if end:
        doc["endDate"] = end
    contacts = []
    for info in activity.findall("contact-info"):
        parts = [
            _text(info.find(tag), lang)
            for tag in ("person-name", "organisation", "department", "job-title")
        ]
        parts += [(e.text or "").strip() for e in info.findall("email")]
        contacts.append(", ".join(p for p in parts if p))
    if _join(contacts):
        doc["contacts"] = _join(contacts)
    else:  # the CBD format needs a contact: the reporting organisation
        doc["contacts"] = _text(activity.find("reporting-org"), lang) or activity.find(
            "reporting-org"
        ).get("ref", "")
    places = [
        {"identifier": c.get("code", "").lower()}
        for c in activity.findall("recipient-country")
        if c.get(CH + "field") != "-"
    ]
    places += [
        {"identifier": f"m49-{r.get('code')}"}
        for r in activity.findall("recipient-region")
        if r.get("vocabulary") == "2"
    ]
    if places:
        doc["countryRegions"] = places
    scope = activity.find("activity-scope")
    if scope is not None and scope.get("code") in SCOPE_IN:
        doc["geographicScope"] = {"identifier": SCOPE_IN[scope.get("code")]}
    elif len(places) == 1:
        doc["geographicScope"] = {"identifier": "GS-NATIONAL"}
    else:
        doc["geographicScope"] = {"identifier": "GS-REGIONAL" if places else "GS-GLOBAL"}
    for tag in activity.findall("tag"):
        code, uri, name = tag.get("code", ""), tag.get("vocabulary-uri", ""), tag.get(CH + "field")
        if name == "gbfTargets" or (uri and uri == vocab.gbf_uri):
            doc.setdefault("gbfTargets", []).append({"identifier": code})
        elif name == "cbdSubjects" or (uri and uri == vocab.subjects_uri):
            doc.setdefault("cbdSubjects", []).append({"identifier": code})
    budgets = [
        b
        for b in activity.findall("budget")
        if b.get("type", "1") == "1" and b.find("value") is not None
    ]
    if budgets:
        total = sum((Decimal((b.find("value").text or "0").strip()) for b in budgets), Decimal(0))
        doc["totalBudget"] = int(total) if total == total.to_integral_value() else float(total)
    links = []
    for link in activity.findall("document-link"):
        if not link.get("url"):
            continue
        item: dict[str, str] = {"url": link.get("url", "")}
        title_elem = link.find("title")
        if title_elem is not None and title_elem.get(CH + "field") != "-":
            name = _text(title_elem, lang)
            if name and name != item["url"]:
                item["name"] = name
        links.append(item)
    if links:
        doc["links"] = links
    declared = activity.get(CH + "languages", "").split()
    languages = declared or []
    if not languages:
        for name in ("title", "description", "resultsAndBestPractices"):
            languages += [k for k in doc.get(name) or {} if k not in languages]
    doc["header"] = {"languages": languages or [lang]}
    doc["_own"] = activity.findtext("iati-identifier", "").startswith(own_prefix)
    return doc


def _existing(portal: Portal) -> tuple[dict[str, Record], dict[str, Record]]:
    """The portal's initiatives by uid and by project number (draft or published)."""
    by_uid: dict[str, Record] = {}
    by_number: dict[str, Record] = {}
    records = Record.objects.filter(portal=portal, schema=CBI, deleted_at__isnull=True)
    for record in records.select_related("published", "draft", "draft__locked_by"):
        by_uid[record.uid] = record
        docs = []
        if hasattr(record, "draft"):
            docs.append(record.draft.document)
        if record.published is not None:
            docs.append(record.published.document)
        for doc in docs:
            number = str(doc.get("projectNumber") or "")
            if number:
                by_number.setdefault(number, record)
    return by_uid, by_number


def import_activities(portal: Portal, data: bytes, user: Any = None) -> ImportResult:
    """Validate the whole file, then create or update one draft per activity, or nothing.

    An activity updates the initiative it was exported from (``<our organisation>-<uid>``)
    or the one whose project number is its ``iati-identifier``; otherwise it creates a new
    record whose project number is the ``iati-identifier``."""
    tree, problems = parse(data)
    if tree is None or problems:
        return ImportResult([], problems, imported=False)
    vocab = Vocab.load()
    own = organisation_ref(portal) + "-"
    by_uid, by_number = _existing(portal)
    activities: list[Activity] = []
    seen: dict[str, int] = {}
    for elem in tree.findall("iati-activity"):
        line = elem.sourceline or 0
        ident = (elem.findtext("iati-identifier") or "").strip()
        if ident in seen:
            problems.append(
                Problem(
                    line,
                    _("The iati-identifier %(id)s already occurs at line %(line)s.")
                    % {"id": ident, "line": seen[ident]},
                    ident,
                )
            )
            continue
        seen[ident] = line
        doc = to_document(elem, portal, vocab)
        is_own = doc.pop("_own")
        record = by_uid.get(ident[len(own) :]) if is_own else None
        if record is None:  # a foreign activity (or ours, gone): keyed by its identifier
            record = by_number.get(ident)
            doc["projectNumber"] = ident
        uid = record.uid if record is not None else ""
        doc = normalise(CBI, doc, portal, uid)
        for issue in validate(CAPACITY_BUILDING_INITIATIVE, doc, portal):
            problems.append(Problem(line, _describe(issue), ident))
        if record is not None:
            draft = getattr(record, "draft", None)  # read with the records (no query)
            now = timezone.now()
            if (
                draft is not None
                and draft.locked_by_id
                and draft.locked_by_id != getattr(user, "pk", None)
                and draft.locked_until
                and draft.locked_until > now
            ):
                problems.append(
                    Problem(
                        line,
                        _(
                            "Record %(uid)s is being edited by %(user)s until %(time)s UTC; "
                            "import again after that."
                        )
                        % {
                            "uid": record.uid,
                            "user": draft.locked_by,
                            "time": f"{draft.locked_until:%H:%M}",
                        },
                        ident,
                    )
                )
            if draft is not None and draft.under_review:
                problems.append(
                    Problem(
                        line,
                        _(
                            "Record %(uid)s has a pending publication request; decide on it "
                            "before importing a new version."
                        )
                        % {"uid": record.uid},
                        ident,
                    )
                )
        activities.append(Activity(line, ident, doc, record))
        if record is not None:
            activities[-1].draft = getattr(record, "draft", None)
    if not activities and not problems:
        problems.append(Problem(tree.sourceline or 1, _("The file has no iati-activity.")))
    if problems:
        return ImportResult(activities, problems, imported=False)
    with transaction.atomic():
        for item in activities:
            if item.record is None:
                item.uid = new_uid(portal.code)
                item.document["header"]["identifier"] = item.uid
                insert_draft(
                    portal, user, item.uid, CBI, item.document, "draft.import", iati=item.identifier
                )
                item.created = True
                continue
            item.uid = item.record.uid
            draft = item.draft
            if draft is None:
                Draft.objects.create(record=item.record, document=item.document, updated_by=user)
            else:
                draft.document = item.document
                draft.updated_by = user
                draft.updated_at = timezone.now()
                draft.save(update_fields=["document", "updated_by", "updated_at"])
            _audit(portal, user, "draft.import", item.record, iati=item.identifier)
    return ImportResult(activities, [], imported=True)


def _describe(issue: Issue) -> str:
    return f"{issue.code} {issue.property or '-'}: {issue.message()}"


__all__ = ["IatiError", "export_portal", "import_activities", "parse"]
