"""CBD record JSON: export one published document unchanged, import one or many as drafts.

The export is the published revision's document exactly as stored: the envelope (``header``
with ``identifier``, ``schema``, ``languages``; ``government``) and the record type's fields.
The import validates every document with the record validator first; when any document has an
issue, nothing is imported and every issue of every document is reported (CBD error codes).
Otherwise all documents become drafts in one transaction."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from clearinghouse.portals.models import Portal
from clearinghouse.records import errors as E
from clearinghouse.records.errors import Issue
from clearinghouse.records.models import Record, new_uid
from clearinghouse.records.services import insert_draft, normalise
from clearinghouse.records.types import RECORD_TYPES
from clearinghouse.records.validation import validate

MAX_DOCUMENTS = 5000


def export(record: Record) -> dict[str, Any]:
    """The published CBD document of ``record`` (a copy)."""
    if record.published is None:
        raise LookupError(f"{record.uid} is not published")
    return copy.deepcopy(record.published.document)


def documents_of(payload: Any) -> list[Any]:
    """One document, a list of them, or ``{"documents": [...]}``."""
    if isinstance(payload, dict) and isinstance(payload.get("documents"), list):
        return list(payload["documents"])
    if isinstance(payload, list):
        return payload
    return [payload]


@dataclass
class DocumentReport:
    index: int
    identifier: str
    schema: str
    issues: list[Issue] = field(default_factory=list)
    uid: str = ""  # the local record, once imported

    def as_cbd(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "identifier": self.identifier}
        out["schema"] = self.schema
        if self.uid:
            out["uid"] = self.uid
        out["errors"] = [i.as_cbd() for i in self.issues]
        return out


@dataclass
class ImportResult:
    reports: list[DocumentReport]
    imported: bool

    @property
    def failed(self) -> list[DocumentReport]:
        return [r for r in self.reports if r.issues]

    def as_cbd(self) -> dict[str, Any]:
        return {
            "imported": self.imported,
            "count": len(self.reports),
            "documents": [r.as_cbd() for r in self.reports],
        }


def _schema_of(document: Any) -> tuple[str, list[Issue]]:
    header = document.get("header") if isinstance(document, dict) else None
    schema = header.get("schema") if isinstance(header, dict) else None
    if not isinstance(schema, str) or not schema:
        return "", [Issue(E.MANDATORY, "header.schema", E.MSG_REQUIRED)]
    if schema not in RECORD_TYPES:
        return schema, [
            Issue(
                E.INVALID_VALUE,
                "header.schema",
                E.MSG_TERM,
                {"value": schema, "vocabulary": "record types"},
            )
        ]
    return schema, []


def import_documents(portal: Portal, payload: Any, user: Any = None) -> ImportResult:
    """Validate every document, then create one draft per document, or none at all."""
    documents = documents_of(payload)
    if len(documents) > MAX_DOCUMENTS:
        raise ValueError(f"At most {MAX_DOCUMENTS} documents per import ({len(documents)} given).")
    reports: list[DocumentReport] = []
    prepared: list[tuple[DocumentReport, dict[str, Any]]] = []
    wanted: list[str] = []
    for index, document in enumerate(documents):
        header = document.get("header") if isinstance(document, dict) else None
        ident = header.get("identifier") if isinstance(header, dict) else None
        ident = ident if isinstance(ident, str) else ""
        if not isinstance(document, dict):
            report = DocumentReport(index, "", "")
            report.issues.append(Issue(E.INVALID_TYPE, "", E.MSG_TYPE_OBJECT))
            reports.append(report)
            continue
        schema, issues = _schema_of(document)
        report = DocumentReport(index, ident, schema, issues)
        reports.append(report)
        if issues:
            continue
        doc = normalise(schema, document, portal, ident)
        report.issues = validate(RECORD_TYPES[schema], doc, portal)
        prepared.append((report, doc))
        if ident:
            wanted.append(ident)
    if not documents or any(r.issues for r in reports):
        return ImportResult(reports, imported=False)

    taken = set(Record.objects.filter(uid__in=wanted).values_list("uid", flat=True))
    with transaction.atomic():
        for report, doc in prepared:
            # Keep the document's identifier when it is free here (as the harvester does).
            uid = report.identifier
            if not uid or uid in taken or len(uid) > 80:
                uid = new_uid(portal.code)
            taken.add(uid)
            doc["header"]["identifier"] = uid
            insert_draft(
                portal,
                user,
                uid,
                report.schema,
                doc,
                "draft.import",
                identifier=report.identifier,
            )
            report.uid = uid
    return ImportResult(reports, imported=True)
