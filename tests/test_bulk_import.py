"""Spreadsheet import (CSV and Excel) with a dry run, and export that imports again."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from clearinghouse.portals.models import Role
from clearinghouse.records.models import Draft, Record
from clearinghouse.records.types import RECORD_TYPES
from clearinghouse.workflows.models import Request
from tests.factories import make_user, valid_document
from tests.helpers import Api, draft, published, web

pytestmark = pytest.mark.django_db

HEADER = [
    "languages",
    "title:fr",
    "title:en",
    "resourceTypes",
    "authors",
    "organizations",
    "publicationDate",
    "resourceLinks",
    "summary:fr",
    "summary:en",
    "cbdSubjects",
    "gbfTargets",
]


def _row(n: int, **changes: str) -> list[str]:
    values = {
        "languages": "fr; en",
        "title:fr": f"Guide {n}",
        "title:en": f"Guide {n} (en)",
        "resourceTypes": "RT-GUIDANCE",
        "authors": "A. Author",
        "organizations": "Ministère",
        "publicationDate": "2025-01-31",
        "resourceLinks": "https://example.org/a.pdf; https://example.org/b.pdf",
        "summary:fr": "Un guide.",
        "summary:en": "A guide.",
        "cbdSubjects": "CBD-SUBJECT-RESTORATION",
        "gbfTargets": "GBF-TARGET-02; GBF-TARGET-03",
        **changes,
    }
    return [values[c] for c in HEADER]


def _csv(rows: list[list[str]], delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _xlsx(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(user: Any, name: str, content: bytes, commit: bool = False, **extra: str) -> Any:
    data: dict[str, Any] = {"file": SimpleUploadedFile(name, content), **extra}
    data["commit" if commit else "dry"] = "1"
    return web("bj.testserver", user).post("/en/editor/import/resource/", data)


BAD_ROWS = [
    _row(1),
    _row(2, **{"title:fr": "", "title:en": ""}),
    _row(3, publicationDate="31/01/2025", resourceTypes="RT-NOPE"),
]


def _problems(response: Any) -> list[tuple[int, str, str]]:
    report = response.context["report"]
    return sorted((r.row, i.property, i.code) for r in report.rows for i in r.issues)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_dry_run_reports_every_bad_row_and_saves_nothing(benin: Any, amina: Any, kind: str) -> None:
    content = _csv(BAD_ROWS) if kind == "csv" else _xlsx(BAD_ROWS)
    response = _upload(amina, f"guides.{kind}", content)
    assert response.status_code == 200
    assert _problems(response) == [
        (3, "title", "Error.Mandatory"),
        (4, "publicationDate", "Error.InvalidValue"),
        (4, "resourceTypes", "Error.UnexpectedTerm"),
    ]
    page = response.content.decode()
    assert "1 rows are correct; 2 rows have errors." in page
    assert "<td>3</td><td><code>title</code></td>" in page
    assert "(Error.UnexpectedTerm)" in page
    assert "RT-NOPE" in page
    assert not Record.objects.exists()
    assert not Request.objects.exists()


def test_import_with_errors_is_refused_entirely(benin: Any, amina: Any) -> None:
    response = _upload(amina, "guides.csv", _csv(BAD_ROWS), commit=True)
    assert response.status_code == 200
    assert response.context["report"].errors == 2
    assert not Record.objects.exists()


def test_authorized_user_import_becomes_one_batch_of_requests(
    benin: Any, amina: Any, jean: Any
) -> None:
    rows = [_row(n) for n in range(1, 6)]
    dry = _upload(amina, "guides.csv", _csv(rows))
    assert "5 rows are correct; 0 rows have errors." in dry.content.decode()
    assert not Record.objects.exists()

    response = _upload(amina, "guides.csv", _csv(rows), commit=True, note="Lot de mars")
    assert response.status_code == 302
    assert Record.objects.count() == 5
    requests = list(Request.objects.all())
    assert len(requests) == 5
    assert len({r.batch_id for r in requests}) == 1
    assert requests[0].batch_id
    assert {r.note for r in requests} == {"Lot de mars"}
    assert all(not r.is_public for r in Record.objects.all())
    assert all(d.under_review for d in Draft.objects.all())
    titles = sorted(d.document["title"]["fr"] for d in Draft.objects.all())
    assert titles == [f"Guide {n}" for n in range(1, 6)]
    draft_doc = Draft.objects.filter(document__title__fr="Guide 1").get().document
    assert draft_doc["resourceLinks"] == [
        {"url": "https://example.org/a.pdf"},
        {"url": "https://example.org/b.pdf"},
    ]
    assert draft_doc["gbfTargets"] == [
        {"identifier": "GBF-TARGET-02"},
        {"identifier": "GBF-TARGET-03"},
    ]

    # The publishing authority approves the whole batch at once.
    client = web("bj.testserver", jean)
    client.post(f"/en/editor/batches/{requests[0].batch_id}/decide/", {"action": "approve"})
    assert all(r.is_public for r in Record.objects.all())


def test_publishing_authority_import_is_published(benin: Any, jean: Any) -> None:
    response = _upload(jean, "guides.xlsx", _xlsx([_row(1), _row(2)]), commit=True)
    assert response.status_code == 302
    assert Record.objects.count() == 2
    assert all(r.is_public for r in Record.objects.all())
    assert not Request.objects.exists()


def test_excel_dates_and_numbers_are_read_as_written(benin: Any, jean: Any) -> None:
    import datetime as dt

    header = [
        "languages",
        "title:en",
        "contacts",
        "geographicScope",
        "status",
        "startDate",
        "endDate",
        "totalBudget",
    ]
    row = [
        "en",
        "Training",
        "Office",
        "GS-NATIONAL",
        "IS-ONGOING",
        dt.datetime(2024, 1, 1),
        dt.date(2026, 12, 31),
        250000,
    ]
    client = web("bj.testserver", jean)
    response = client.post(
        "/en/editor/import/capacityBuildingInitiative/",
        {"file": SimpleUploadedFile("cbi.xlsx", _xlsx([row], header)), "commit": "1"},
    )
    assert response.status_code == 302
    doc = Record.objects.get().published.document
    assert (doc["startDate"], doc["endDate"], doc["totalBudget"]) == (
        "2024-01-01",
        "2026-12-31",
        250000,
    )


def test_semicolon_separated_csv_is_read(benin: Any, amina: Any) -> None:
    response = _upload(amina, "guides.csv", _csv([_row(1), _row(2)], delimiter=";"))
    assert response.context["report"].valid == 2
    assert response.context["report"].errors == 0


def test_unknown_columns_are_reported(benin: Any, amina: Any) -> None:
    rows = [[*_row(1), "blue"]]
    buffer = io.StringIO()
    csv.writer(buffer).writerows([[*HEADER, "colour"], *rows])
    response = _upload(amina, "guides.csv", buffer.getvalue().encode())
    assert response.context["report"].unknown_columns == ["colour"]
    assert "Ignored unknown columns" in response.content.decode()


def test_non_utf8_csv_is_a_clear_error(benin: Any, amina: Any) -> None:
    content = _csv([_row(1, **{"organizations": "Ministère de l'Écologie"})])
    response = _upload(amina, "guides.csv", content.decode().encode("latin-1"), commit=True)
    assert response.status_code == 200
    assert "not UTF-8 encoded" in response.content.decode()
    assert "CSV UTF-8" in response.content.decode()
    assert not Record.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("guides.xlsx", b"this is not a spreadsheet", "cannot be opened"),
        ("guides.pdf", b"%PDF-1.4", "Upload a .csv or .xlsx file"),
    ],
)
def test_unreadable_file_is_a_clear_error(
    benin: Any, amina: Any, name: str, content: bytes, message: str
) -> None:
    response = _upload(amina, name, content, commit=True)
    assert message in response.content.decode()
    assert not Record.objects.exists()


# --- export and round trip ---------------------------------------------------------------
def _documents_by_title(schema: str) -> dict[str, dict[str, Any]]:
    out = {}
    for record in Record.objects.filter(schema=schema, published__isnull=False):
        doc = json.loads(json.dumps(record.published.document))
        doc["header"].pop("identifier")
        out[json.dumps(record.title, sort_keys=True)] = doc
    return out


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("schema", list(RECORD_TYPES))
def test_export_then_import_gives_the_same_documents(
    benin: Any, jean: Any, schema: str, fmt: str
) -> None:
    published(benin, jean, schema)
    client = web("bj.testserver", jean)
    exported = client.get(f"/en/records/{schema}/export.{fmt}")
    assert exported.status_code == 200
    assert exported["Content-Disposition"] == f'attachment; filename="{schema}.{fmt}"'
    before = _documents_by_title(schema)
    Record.objects.all().delete()

    response = client.post(
        f"/en/editor/import/{schema}/",
        {"file": SimpleUploadedFile(f"export.{fmt}", exported.content), "commit": "1"},
    )
    assert response.status_code == 302, _problems(response)
    assert _documents_by_title(schema) == before


def test_csv_export_opens_in_excel_as_utf8(benin: Any, jean: Any) -> None:
    published(benin, jean, "resource", authors="Amina Sów")
    body = web("bj.testserver").get("/fr/records/resource/export.csv").content
    assert body.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0]["authors"] == "Amina Sów"
    assert rows[0]["title:fr"] == "Guide de restauration des mangroves"


def test_xlsx_export_has_one_row_per_record(benin: Any, jean: Any) -> None:
    for n in range(3):
        published(benin, jean, "news", title={"en": f"News {n}"})
    response = web("bj.testserver").get("/en/records/news/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("identifier", "languages")
    assert sorted(r[rows[0].index("title:en")] for r in rows[1:]) == ["News 0", "News 1", "News 2"]


def test_json_export_round_trips_through_the_api(benin: Any, jean: Any) -> None:
    published(benin, jean, "event")
    exported = web("bj.testserver").get("/en/records/event/export.json")
    assert exported["Content-Type"] == "application/json"
    documents = json.loads(exported.content)
    assert len(documents) == 1
    assert documents[0]["title"] == valid_document("event")["title"]
    Record.objects.all().delete()
    api = Api("bj.testserver", jean)
    created = api.post("/drafts", {"schema_name": "event", "document": documents[0]})
    assert created.status_code == 201
    assert api.post(f"/drafts/{created.json()['uid']}/publish").status_code == 200


def test_export_lists_only_this_portals_public_records(
    benin: Any, peru: Any, amina: Any, jean: Any
) -> None:
    published(benin, jean, "news", title={"en": "Benin news"})
    draft(benin, amina, "news", title={"en": "Draft news"})
    published(peru, make_user(peru, Role.PUBLISHING_AUTHORITY), "news", title={"en": "Peru"})
    documents = json.loads(web("bj.testserver").get("/en/records/news/export.json").content)
    assert [d["title"]["en"] for d in documents] == ["Benin news"]


def test_contributor_import_is_refused_clearly_and_saves_nothing(benin: Any) -> None:
    contributor = make_user(benin, Role.CONTRIBUTOR)
    response = _upload(contributor, "guides.csv", _csv([_row(1), _row(2)]), commit=True)
    assert response.status_code == 200
    assert "You cannot request publication on this portal." in response.content.decode()
    assert not Record.objects.exists()
    assert not Request.objects.exists()


def test_unknown_export_format_is_404(benin: Any) -> None:
    assert web("bj.testserver").get("/en/records/resource/export.pdf").status_code == 404
