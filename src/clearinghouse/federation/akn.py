"""Akoma Ntoso 3.0: export a decision record as AKN XML, import AKN decisions.

The export is one AKN expression (one language) of a ``decision`` record:

    <akomaNtoso xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0">
      <doc name="decision">
        <meta> FRBR identification (work, expression, manifestation), references,
               proprietary metadata (treaty, status, meeting) </meta>
        <preface> title and number </preface>
        <preamble> … </preamble>
        <mainBody> <paragraph eId="para_9"><num>9.</num><intro>…</intro>
                     <subparagraph eId="para_9__subpara_b"><num>(b)</num><content>…
      </doc>
    </akomaNtoso>

URIs follow the AKN naming convention: work ``/akn/un-cbd/doc/decision/2022-12-19/15-4``,
expression ``…/eng@``, manifestation ``…/eng@/!main.xml``. It validates against the OASIS
schema ``schemas/akn/akomantoso30.xsd`` (copied unchanged, see ``schemas/akn/SOURCES.md``),
checked with libxml2 at run time and with xmlschema in the tests.

The import validates each file against that schema first and reports every error with its
line; then it builds the decision document (merging the file's language into an existing
decision with the same FRBR work URI) and checks it with the record validator. Nothing is
stored unless every file passes.
"""

from __future__ import annotations

import copy
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from lxml import etree

from clearinghouse.portals.models import AuditEntry, Portal
from clearinghouse.records import decisions
from clearinghouse.records.errors import Issue
from clearinghouse.records.i18n import UN_LANGUAGES
from clearinghouse.records.models import Draft, Record, new_uid
from clearinghouse.records.services import _publish_now, insert_draft, normalise
from clearinghouse.records.types import get_type
from clearinghouse.records.validation import validate

AKN_NS = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"
CH_NS = "urn:x-clearinghouse:decision:1"
XSD = Path(__file__).resolve().parent / "schemas" / "akn" / "akomantoso30.xsd"
CONTENT_TYPE = "application/akn+xml; charset=utf-8"
COUNTRY = "un-cbd"
MAX_BYTES = 5_000_000

# ISO 639-2 codes, as AKN expression URIs use them.
LANG3 = {"en": "eng", "fr": "fra", "es": "spa", "ar": "ara", "ru": "rus", "zh": "zho"}
LANG2 = {v: k for k, v in LANG3.items()} | {"fre": "fr", "chi": "zh"}
TREATY_NAMES = {
    "CBD": "Convention on Biological Diversity",
    "CP": "Cartagena Protocol on Biosafety",
    "NP": "Nagoya Protocol on Access and Benefit-sharing",
}
BODY = {"CBD": "COP", "CP": "CP-MOP", "NP": "NP-MOP"}


def _q(tag: str) -> str:
    return f"{{{AKN_NS}}}{tag}"


# --- URIs ----------------------------------------------------------------------------------
def work_uri(document: dict[str, Any]) -> str:
    """The FRBR work URI: stored on import, else derived from treaty, date and number."""
    stored = document.get("akomaNtosoWork")
    if isinstance(stored, str) and stored:
        return stored
    treaty = str(document.get("treaty") or "CBD")
    number = str(document.get("number") or "").replace("/", "-")
    prefix = decisions.SYMBOL_PREFIX.get(treaty, "").lower()
    return f"/akn/{COUNTRY}/doc/decision/{document.get('date', '')}/{prefix}{number}"


def expression_uri(document: dict[str, Any], language: str) -> str:
    return f"{work_uri(document)}/{LANG3.get(language, language)}@"


# --- export --------------------------------------------------------------------------------
def _paragraphs(parent: etree._Element, text: str) -> None:
    for chunk in [c.strip() for c in re.split(r"\n\s*\n|\n", text or "")] or [""]:
        if chunk or len(parent) == 0:
            etree.SubElement(parent, _q("p")).text = chunk


def _frbr(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, _q(tag), {k: v for k, v in attrs.items()})


def export(record: Record, document: dict[str, Any], language: str, base: str = "") -> bytes:
    """One language (expression) of a decision as AKN 3.0 XML (UTF-8 bytes)."""
    work = work_uri(document)
    expr = expression_uri(document, language)
    date = str(document.get("date") or "")
    treaty = str(document.get("treaty") or "CBD")

    def text(value: Any) -> str:
        return (value or {}).get(language, "") if isinstance(value, dict) else ""

    root = etree.Element(_q("akomaNtoso"), nsmap={None: AKN_NS, "ch": CH_NS})
    doc = etree.SubElement(root, _q("doc"), name="decision")
    meta = etree.SubElement(doc, _q("meta"))
    ident = etree.SubElement(meta, _q("identification"), source="#clearinghouse")
    w = etree.SubElement(ident, _q("FRBRWork"))
    _frbr(w, "FRBRthis", value=f"{work}/!main")
    _frbr(w, "FRBRuri", value=work)
    _frbr(w, "FRBRalias", value=decisions.symbol(document), name="symbol")
    _frbr(w, "FRBRdate", date=date, name="adoption")
    _frbr(w, "FRBRauthor", href="#body")
    _frbr(w, "FRBRcountry", value=COUNTRY)
    _frbr(w, "FRBRnumber", value=str(document.get("number") or ""))
    _frbr(w, "FRBRname", value="decision")
    e = etree.SubElement(ident, _q("FRBRExpression"))
    _frbr(e, "FRBRthis", value=f"{expr}/!main")
    _frbr(e, "FRBRuri", value=expr)
    _frbr(e, "FRBRdate", date=date, name="adoption")
    _frbr(e, "FRBRauthor", href="#body")
    _frbr(e, "FRBRlanguage", language=LANG3.get(language, language))
    m = etree.SubElement(ident, _q("FRBRManifestation"))
    _frbr(m, "FRBRthis", value=f"{expr}/!main.xml")
    _frbr(m, "FRBRuri", value=f"{expr}.akn")
    published = record.published_at.date().isoformat() if record.published_at else date
    _frbr(m, "FRBRdate", date=published, name="generation")
    _frbr(m, "FRBRauthor", href="#clearinghouse")
    refs = etree.SubElement(meta, _q("references"), source="#clearinghouse")
    _frbr(
        refs,
        "TLCOrganization",
        eId="clearinghouse",
        href=f"/ontology/organization/{COUNTRY}/clearinghouse",
        showAs="Clearing-house",
    )
    _frbr(
        refs,
        "TLCOrganization",
        eId="body",
        href=f"/ontology/organization/{COUNTRY}/{BODY.get(treaty, 'COP').lower()}",
        showAs=f"{BODY.get(treaty, 'COP')} ({TREATY_NAMES.get(treaty, treaty)})",
    )
    meeting = str(document.get("meetingCode") or "")
    _frbr(
        refs,
        "TLCEvent",
        eId="meeting",
        href=f"/ontology/event/{COUNTRY}/{meeting.lower()}",
        showAs=str(document.get("meeting") or meeting),
    )
    prop = etree.SubElement(meta, _q("proprietary"), source="#clearinghouse")
    ch = etree.SubElement(
        prop,
        f"{{{CH_NS}}}decision",
        identifier=record.uid,
        treaty=treaty,
        status=str(document.get("status") or ""),
        meetingCode=meeting,
    )
    if document.get("meeting"):
        etree.SubElement(ch, f"{{{CH_NS}}}meeting").text = str(document["meeting"])
    if text(document.get("summary")):
        etree.SubElement(ch, f"{{{CH_NS}}}summary").text = text(document.get("summary"))
    for term in document.get("gbfTargets") or []:
        etree.SubElement(ch, f"{{{CH_NS}}}gbfTarget").text = str(term.get("identifier", ""))
    for link in document.get("links") or []:
        etree.SubElement(ch, f"{{{CH_NS}}}link", href=str(link.get("url", "")))
    if base:
        etree.SubElement(ch, f"{{{CH_NS}}}page", href=f"{base}/r/{record.uid}/")

    preface = etree.SubElement(doc, _q("preface"))
    p = etree.SubElement(preface, _q("p"), {"class": "title"})
    etree.SubElement(p, _q("docTitle")).text = text(document.get("title"))
    p = etree.SubElement(preface, _q("p"), {"class": "number"})
    etree.SubElement(p, _q("docNumber")).text = decisions.symbol(document)
    if text(document.get("preamble")):
        _paragraphs(etree.SubElement(doc, _q("preamble")), text(document.get("preamble")))
    body = etree.SubElement(doc, _q("mainBody"))
    _export_level(body, document.get("paragraphs"), "", language)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _export_level(parent: etree._Element, items: Any, parent_eid: str, language: str) -> None:
    for item in items if isinstance(items, list) else []:
        num = str(item.get("num", ""))
        eid = decisions.child_eid(parent_eid, num)
        el = etree.SubElement(parent, _q("subparagraph" if parent_eid else "paragraph"), eId=eid)
        etree.SubElement(el, _q("num")).text = f"({num})" if parent_eid else f"{num}."
        content = (item.get("text") or {}).get(language, "")
        children = item.get("subparagraphs") or []
        _paragraphs(etree.SubElement(el, _q("intro" if children else "content")), content)
        _export_level(el, children, eid, language)


# --- schema validation ---------------------------------------------------------------------
@functools.cache
def schema() -> etree.XMLSchema:
    """The AKN 3.0 schema (libxml2 through lxml), loaded once per process (about a second).

    libxml2 validates a decision in well under a millisecond and reports every error with its
    line; the tests check the exports again with xmlschema, an independent validator."""
    return etree.XMLSchema(etree.parse(str(XSD), _parser()))


@dataclass
class SchemaError:
    line: int | None
    message: str

    def __str__(self) -> str:
        where = _("line %(line)s") % {"line": self.line} if self.line else _("document")
        return f"{where}: {self.message}"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def check_schema(data: bytes) -> tuple[Any, list[SchemaError]]:
    """Parse and validate against AKN 3.0: (tree, []) or (None, every error with its line)."""
    if len(data) > MAX_BYTES:
        return None, [
            SchemaError(None, _("The file is larger than %(limit)s bytes.") % {"limit": MAX_BYTES})
        ]
    try:
        tree = etree.fromstring(data, _parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        return None, [
            SchemaError(exc.lineno, _("not well-formed XML: %(error)s") % {"error": exc.msg})
        ]
    validator = schema()
    valid = validator.validate(tree)
    errors = [SchemaError(e.line or None, e.message) for e in validator.error_log]
    if not valid and not errors:  # pragma: no cover - libxml2 always logs why
        errors.append(SchemaError(None, _("The document does not match the AKN 3.0 schema.")))
    return (tree if not errors else None), errors


# --- import --------------------------------------------------------------------------------
def _texts(el: etree._Element | None) -> str:
    if el is None:
        return ""
    ps = el.findall(f".//{_q('p')}")
    chunks = (
        [" ".join("".join(p.itertext()).split()) for p in ps] if ps else ["".join(el.itertext())]
    )
    return "\n".join(c for c in chunks if c).strip()


def _num(el: etree._Element) -> str:
    raw = "".join((el.findtext(_q("num")) or "").split())
    return raw.strip(".()").lower()


def _import_level(el: etree._Element, language: str) -> list[dict[str, Any]]:
    out = []
    for child in el:
        if child.tag not in (_q("paragraph"), _q("subparagraph")):
            continue
        content = child.find(_q("content"))
        text = _texts(content if content is not None else child.find(_q("intro")))
        item: dict[str, Any] = {"num": _num(child), "text": {language: text} if text else {}}
        subs = _import_level(child, language)
        if subs:
            item["subparagraphs"] = subs
        out.append(item)
    return out


@dataclass
class Parsed:
    work: str
    language: str
    fields: dict[str, Any]  # what the file states: replaces the decision's values
    defaults: dict[str, Any]  # what could be inferred: used only where the decision has none


def parse(tree: Any) -> Parsed:
    """The decision fields of a schema-valid AKN document (one language).

    Our own metadata (``<proprietary>``: treaty, status, meeting, summary, GBF targets,
    links) is authoritative when the file has it; a file from elsewhere only lets treaty,
    meeting code and status be inferred (from the work URI and the number), as defaults."""
    root = tree.getroot()
    ns = {"a": AKN_NS, "ch": CH_NS}

    def attr(xpath: str) -> str:
        found = root.xpath(xpath, namespaces=ns)
        return str(found[0]).strip() if found else ""

    lang3 = attr("//a:FRBRExpression/a:FRBRlanguage/@language")
    language = LANG2.get(lang3, lang3 if lang3 in UN_LANGUAGES else "")
    work = attr("//a:FRBRWork/a:FRBRuri/@value")
    number = attr("//a:FRBRWork/a:FRBRnumber/@value")
    slug = work.rstrip("/").rsplit("/", 1)[-1]
    treaty = {"cp": "CP", "np": "NP"}.get(slug.split("-")[0], "CBD")
    if not number:
        digits = re.findall(r"\d+", slug)
        number = "/".join(digits[-2:]) if len(digits) >= 2 else ""
    fields: dict[str, Any] = {
        "akomaNtosoWork": work,
        "number": number,
        "date": attr("//a:FRBRWork/a:FRBRdate/@date")[:10],
        "title": _texts(root.find(f".//{_q('docTitle')}")),
        "preamble": _texts(root.find(f".//{_q('preamble')}")),
        "paragraphs": _import_level(root.find(f".//{_q('mainBody')}"), language),
    }
    defaults: dict[str, Any] = {
        "treaty": treaty,
        "status": "active",
        "meetingCode": f"{BODY.get(treaty, 'COP')}-{number.split('/')[0]}" if "/" in number else "",
        "meeting": attr("//a:references/a:TLCEvent/@showAs"),
    }
    if root.xpath("//a:proprietary/ch:decision", namespaces=ns):
        fields |= {
            "treaty": attr("//a:proprietary/ch:decision/@treaty"),
            "status": attr("//a:proprietary/ch:decision/@status"),
            "meetingCode": attr("//a:proprietary/ch:decision/@meetingCode"),
            "meeting": attr("//a:proprietary/ch:decision/ch:meeting/text()"),
            "summary": attr("//a:proprietary/ch:decision/ch:summary/text()"),
            "gbfTargets": [
                {"identifier": str(t).strip()}
                for t in root.xpath(
                    "//a:proprietary/ch:decision/ch:gbfTarget/text()", namespaces=ns
                )
            ],
            "links": [
                {"url": str(u)}
                for u in root.xpath("//a:proprietary/ch:decision/ch:link/@href", namespaces=ns)
            ],
        }
    return Parsed(work, language, fields, defaults)


def merge(existing: dict[str, Any] | None, parsed: Parsed) -> dict[str, Any]:
    """The decision document with the file's language merged into ``existing``: what the file
    states wins (its paragraph structure included); texts of other languages are kept for
    paragraphs (eIds) that still exist; inferred values fill only what is missing."""
    doc = copy.deepcopy(existing) if existing else {"header": {"languages": []}}
    lang = parsed.language
    header = doc.setdefault("header", {})
    languages = list(header.get("languages") or [])
    if lang and lang not in languages:
        languages.append(lang)
    header["languages"] = languages
    for key, value in parsed.fields.items():
        if key in ("title", "preamble", "summary"):
            texts = dict(doc.get(key) or {})
            if value:
                texts[lang] = value
            else:
                texts.pop(lang, None)
            if texts:
                doc[key] = texts
            else:
                doc.pop(key, None)
        elif key == "paragraphs":
            old = decisions.index(doc.get("paragraphs"))
            for eid, _depth, para in decisions.walk(value):
                kept = {k: v for k, v in (old.get(eid, {}).get("text") or {}).items() if k != lang}
                para["text"] = {**kept, **para["text"]}
            doc[key] = value
        elif value in ("", []):
            doc.pop(key, None)
        else:
            doc[key] = value
    for key, value in parsed.defaults.items():
        if value and not doc.get(key):
            doc[key] = value
    return doc


@dataclass
class FileReport:
    name: str
    work: str = ""
    language: str = ""
    uid: str = ""
    created: bool = False
    schema_errors: list[SchemaError] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.schema_errors and not self.issues

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "work": self.work,
            "language": self.language,
            "uid": self.uid,
            "created": self.created,
            "errors": [{"line": e.line, "message": e.message} for e in self.schema_errors]
            + [i.as_cbd() for i in self.issues],
        }


@dataclass
class ImportResult:
    reports: list[FileReport]
    imported: bool

    def as_json(self) -> dict[str, Any]:
        return {"imported": self.imported, "files": [r.as_json() for r in self.reports]}


def _decisions_by_work(portal: Portal) -> dict[str, Record]:
    out: dict[str, Record] = {}
    records = Record.objects.filter(portal=portal, schema=decisions.SCHEMA, deleted_at__isnull=True)
    for record in records.select_related("published", "draft"):
        draft = getattr(record, "draft", None)
        doc = draft.document if draft else (record.published.document if record.published else {})
        out.setdefault(work_uri(doc), record)
    return out


def _current(record: Record) -> dict[str, Any]:
    draft = Draft.objects.filter(record=record).first()
    if draft is not None:
        return dict(draft.document)
    return dict(record.published.document) if record.published else {}


def import_files(
    portal: Portal, files: list[tuple[str, bytes]], user: Any = None, publish: bool = False
) -> ImportResult:
    """Validate every file, then create or update one decision per file, or nothing at all.

    Each decision is keyed by its FRBR work URI on ``portal``. New and changed decisions are
    saved as drafts, or published at once with ``publish`` (an import by the Secretariat)."""
    rtype = get_type(decisions.SCHEMA)
    reports: list[FileReport] = []
    plans: list[tuple[FileReport, Record | None, dict[str, Any]]] = []
    existing = _decisions_by_work(portal)
    pending: dict[str, dict[str, Any]] = {}  # work → document, when several files share one
    for name, data in files:
        report = FileReport(name)
        reports.append(report)
        tree, report.schema_errors = check_schema(data)
        if tree is None:
            continue
        parsed = parse(tree)
        report.work, report.language = parsed.work, parsed.language
        if not parsed.language:
            report.schema_errors.append(
                SchemaError(None, _("FRBRlanguage is not one of the six UN languages."))
            )
            continue
        record = existing.get(parsed.work)
        base = pending.get(parsed.work) or (_current(record) if record else None)
        doc = merge(base, parsed)
        doc = normalise(decisions.SCHEMA, doc, portal, record.uid if record else "")
        if record is not None and Draft.objects.filter(record=record, under_review=True).exists():
            report.schema_errors.append(
                SchemaError(None, _("The decision %(uid)s is under review.") % {"uid": record.uid})
            )
            continue
        report.issues = validate(rtype, doc, portal)
        pending[parsed.work] = doc
        plans.append((report, record, doc))
    if not files or not all(r.ok for r in reports):
        return ImportResult(reports, imported=False)
    with transaction.atomic():
        done: dict[str, Record] = {}
        for report, record, doc in plans:
            record = record or done.get(report.work)
            if record is None:
                uid = new_uid(portal.code)
                doc["header"]["identifier"] = uid
                record = insert_draft(
                    portal, user, uid, decisions.SCHEMA, doc, "draft.import", format="akn"
                )
                report.created = True
            else:
                doc["header"]["identifier"] = record.uid
                Draft.objects.update_or_create(
                    record=record, defaults={"document": doc, "updated_by": user}
                )
                AuditEntry.objects.create(
                    portal=portal,
                    user=user if user is not None and user.is_authenticated else None,
                    action="draft.import",
                    target=record.uid,
                    details={"format": "akn", "work": report.work},
                )
            done[report.work] = record
            report.uid = record.uid
        if publish:
            for record in {r.pk: r for r in done.values()}.values():
                _publish_now(record, user)
    return ImportResult(reports, imported=True)
