"""Bulk import from CSV/Excel (with a dry run) and export of record lists to CSV/Excel/JSON.

Column names are the record type's field names; per-language text uses ``field:lang``
columns and lists are separated by ``;``. Export and import use the same columns, so an
exported sheet can be edited and imported again."""

from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clearinghouse.portals import permissions
from clearinghouse.portals.models import Portal
from clearinghouse.records import services
from clearinghouse.records.errors import Issue
from clearinghouse.records.i18n import UN_LANGUAGES
from clearinghouse.records.types import RecordType
from clearinghouse.records.validation import validate

MAX_ROWS = 5000


class ImportFileError(Exception):
    """The file itself cannot be read (not the rows in it)."""


@dataclass
class RowReport:
    row: int  # the line number a person sees in the spreadsheet (header = 1)
    document: dict[str, Any]
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues


@dataclass
class ImportReport:
    rows: list[RowReport]
    unknown_columns: list[str]
    created: list[str] = field(default_factory=list)
    batch_id: str = ""

    @property
    def errors(self) -> int:
        return sum(1 for r in self.rows if not r.ok)

    @property
    def valid(self) -> int:
        return sum(1 for r in self.rows if r.ok)


def columns(rtype: RecordType, languages: list[str]) -> list[str]:
    cols = ["identifier", "languages"]
    for fld in rtype.fields:
        cols += fld.csv_columns(languages)
    return cols


def read_table(filename: str, content: bytes) -> list[dict[str, str]]:
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    if name.endswith((".csv", ".txt")):
        return _read_csv(content)
    raise ImportFileError(_("Upload a .csv or .xlsx file (got “%(name)s”).") % {"name": filename})


def _read_csv(content: bytes) -> list[dict[str, str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The CSV file is not UTF-8 encoded. Save it as “CSV UTF-8”.")
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    return [{(k or "").strip(): (v or "") for k, v in row.items()} for row in reader]


def _read_xlsx(content: bytes) -> list[dict[str, str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(
            _("The Excel file cannot be opened; is it a valid .xlsx file?")
        ) from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h or "").strip() for h in next(rows, [])]
    out = []
    for values in rows:
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        out.append({header[i]: _cell(v) for i, v in enumerate(values) if i < len(header)})
    return out


def _cell(value: Any) -> str:
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def dry_run(portal: Portal, rtype: RecordType, table: list[dict[str, str]]) -> ImportReport:
    """Check every row; save nothing."""
    if len(table) > MAX_ROWS:
        raise ImportFileError(_("At most %(n)s rows can be imported at once.") % {"n": MAX_ROWS})
    known = set(columns(rtype, list(UN_LANGUAGES)))
    unknown = sorted({c for row in table for c in row if c and c not in known})
    reports = []
    for i, row in enumerate(table, start=2):
        langs = [
            x.strip()
            for x in (row.get("languages") or "").replace(",", ";").split(";")
            if x.strip()
        ] or [portal.default_language]
        doc: dict[str, Any] = {"header": {"schema": rtype.schema, "languages": langs}}
        for fld in rtype.fields:
            value = fld.from_cells(row, langs)
            if not fld.is_empty(value):
                doc[fld.name] = value
        doc = services.normalise(rtype.schema, doc, portal)
        reports.append(RowReport(i, doc, validate(rtype, doc, portal)))
    return ImportReport(reports, unknown)


def commit(
    portal: Portal, user: Any, rtype: RecordType, report: ImportReport, note: str = ""
) -> ImportReport:
    """Save every row as a draft, then publish (publishers) or request publication as one
    batch. All rows or none: a report with errors is refused."""
    if report.errors:
        raise ImportFileError(
            _("%(n)s rows have errors; fix them and run the import again.") % {"n": report.errors}
        )
    from clearinghouse.workflows.publication import request_publication

    publisher = permissions.can_publish(user, portal, reference=portal.is_central)
    report.batch_id = f"import-{uuid.uuid4().hex[:10]}"
    with transaction.atomic():
        for row in report.rows:
            record = services.create_draft(portal, user, rtype.schema, row.document)
            if not rtype.workflow:
                pass  # saved and published by create_draft
            elif publisher:
                services.publish(record, user)
            else:
                request_publication(record, user, note=note, batch_id=report.batch_id)
            report.created.append(record.uid)
    return report


def export_rows(
    rtype: RecordType, documents: list[dict[str, Any]]
) -> tuple[list[str], list[list[str]]]:
    languages = [
        lang
        for lang in UN_LANGUAGES
        if any(lang in (d.get("header") or {}).get("languages", []) for d in documents)
    ]
    cols = columns(rtype, languages or ["en"])
    rows = []
    for doc in documents:
        cells: dict[str, str] = {
            "identifier": (doc.get("header") or {}).get("identifier", ""),
            "languages": "; ".join((doc.get("header") or {}).get("languages", [])),
        }
        for fld in rtype.fields:
            cells.update(fld.to_cells(doc.get(fld.name), languages or ["en"]))
        rows.append([cells.get(c, "") for c in cols])
    return cols, rows


def to_csv(cols: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(cols)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def to_xlsx(cols: list[str], rows: list[list[str]], title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append(cols)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_json(documents: list[dict[str, Any]]) -> bytes:
    return json.dumps(documents, ensure_ascii=False, indent=1).encode("utf-8")
