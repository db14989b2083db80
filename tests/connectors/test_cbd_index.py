"""Import from the CBD's Solr index: a constructed fixture in the index's format (see
fixtures/cbd_index/README.md), paged by start/rows over real HTTP from a loopback server."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from clearinghouse.federation.connectors.cbd_index import CbdIndexConnector, new_source
from clearinghouse.federation.connectors.imports import run_import
from clearinghouse.federation.connectors.models import ImportedRecord, ImportJob
from clearinghouse.federation.models import JobStatus
from clearinghouse.portals.models import AuditEntry, PortalKind
from clearinghouse.records.models import Record, Revision
from tests.connectors.server import FIXTURES, LoopbackServer
from tests.factories import make_portal

pytestmark = pytest.mark.django_db
PATH = "/api/v2013/index"
CREATED = {
    "52000000CBD0050000000101": "resource",
    "52000000CBD0060000000202": "organization",
    "52000000CBD0070000000303": "capacityBuildingInitiative",
    "52000000CBD0080000000404": "event",
    "52000000CBD0130000000505": "nationalTarget7",
    "52000000CBD0140000000606": "nbsap",
}


def serve_index(server: LoopbackServer) -> list[dict[str, Any]]:
    """Serve select.json page by page as Solr does; returns the documents (tests edit them)."""
    whole = json.loads((FIXTURES / "cbd_index" / "select.json").read_text(encoding="utf-8"))
    docs: list[dict[str, Any]] = whole["response"]["docs"]

    def select(params: dict[str, str]) -> tuple[int, bytes]:
        start, rows = int(params.get("start", 0)), int(params.get("rows", 10))
        body = {
            "responseHeader": {"status": 0, "QTime": 2, "params": params},
            "response": {"numFound": len(docs), "start": start, "docs": docs[start : start + rows]},
        }
        return 200, json.dumps(body).encode()

    server.handlers[PATH] = select
    return docs


@pytest.fixture
def central(db: Any) -> Any:
    return make_portal("central", kind=PortalKind.CENTRAL, hosts=["central.testserver"])


def _import(server: LoopbackServer, portal: Any, rows: int = 4, **kw: Any) -> ImportJob:
    source = new_source(portal, "realm_ss:chm", server.root + PATH)
    return run_import(source, CbdIndexConnector(rows=rows, backoff_s=0), **kw)


def test_import_maps_records_pages_and_reports(server: LoopbackServer, central: Any) -> None:
    serve_index(server)
    job = _import(server, central)
    assert job.status == JobStatus.DONE, job.error
    assert (job.pages, job.seen, job.created, job.skipped, job.quarantined) == (4, 15, 6, 3, 6)
    assert job.skipped_types == {"absPermit": 1, "biosafetyLaw": 1, "contact": 1}
    assert [p["start"] for _, p in server.requests] == ["0", "4", "8", "12"]
    assert {p["rows"] for _, p in server.requests} == {"4"}
    assert server.requests[0][1]["q"] == "realm_ss:chm"

    imported = {
        ir.remote_identifier: ir
        for ir in ImportedRecord.objects.filter(quarantined=False).select_related("record")
    }
    assert {k: ir.record.schema for k, ir in imported.items() if ir.record} == CREATED
    resource = imported["52000000CBD0050000000101"]
    assert (resource.realm, resource.url) == (
        "CHM",
        "https://www.cbd.int/doc/publications/mangrove-guidelines-en.pdf",
    )
    assert json.loads(resource.raw)["aichiTargets_ss"] == ["AICHI-TARGET-14", "AICHI-TARGET-15"]
    record = resource.record
    assert record is not None and record.is_public and record.portal == central
    assert record.uid.startswith("central-")
    assert record.published is not None
    doc = record.published.document
    assert doc["header"] == {
        "languages": ["en", "fr"],
        "schema": "resource",
        "identifier": record.uid,
    }
    assert doc["title"]["fr"].startswith("Lignes directrices")
    assert doc["summary"]["en"].startswith("Practical guidance")
    assert doc["resourceLinks"] == [{"url": resource.url}]
    # Known subjects only: CBD-SUBJECT-UNKNOWN-AREA is not in the local vocabulary.
    assert doc["cbdSubjects"] == [
        {"identifier": "CBD-SUBJECT-MAR"},
        {"identifier": "CBD-SUBJECT-RESTORATION"},
    ]
    nbsap = imported["52000000CBD0140000000606"].record
    assert nbsap is not None and nbsap.government == "bj"
    event = imported["52000000CBD0080000000404"].record
    assert event is not None and event.published is not None
    assert set(event.published.document["title"]) == {"en", "fr", "ar"}
    assert event.published.document["startDate"] == "2024-09-10"
    organization = imported["52000000CBD0060000000202"].record
    assert organization is not None and organization.published is not None
    assert organization.published.document["websites"] == [{"url": "https://wabn.example.org/"}]
    assert organization.title["en"] == "West African Biodiversity Network"

    audit = AuditEntry.objects.filter(action="record.import", target=record.uid).get()
    assert audit.details["remote_identifier"] == "52000000CBD0050000000101"
    assert audit.details["realm"] == "CHM"

    problems = {entry["identifier"]: entry["problem"] for entry in job.report}
    assert problems == {
        "": "no identifier_s",
        "52000000CBD0050000001111": "title_EN_t is not text",
        "52000000CBD0130000001212": "a nationalTarget7 record needs government_s",
        "52000000CBD0080000001313": "updatedDate_dt is not a date-time: 'last Tuesday'",
        "52000000CBD0050000001414": "Error.InvalidValue resourceLinks[0]: Enter a valid web "
        "address starting with http:// or https://: ftp://files.example.org/report.pdf",
        "52000000CBD0080000001515": "Error.InvalidValue endDate: The end date must not be "
        "before the start date.",
    }
    assert ImportedRecord.objects.filter(quarantined=True).count() == 5  # one had no key


def test_reimport_is_idempotent_and_updates_what_changed(
    server: LoopbackServer, central: Any
) -> None:
    docs = serve_index(server)
    _import(server, central)
    counts = (Record.objects.count(), Revision.objects.count(), ImportedRecord.objects.count())
    again = _import(server, central, rows=100)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    assert (Record.objects.count(), Revision.objects.count(), ImportedRecord.objects.count()) == (
        counts
    )

    docs[0]["title_EN_t"] = "Guidelines for mangrove restoration (second edition)"
    third = _import(server, central, rows=100)
    assert (third.created, third.updated, third.unchanged) == (0, 1, 5)
    record = ImportedRecord.objects.get(remote_identifier=docs[0]["identifier_s"]).record
    assert record is not None and record.published is not None
    assert record.published.number == 2
    assert record.title["en"] == "Guidelines for mangrove restoration (second edition)"


def test_a_quarantined_update_keeps_the_last_good_copy(
    server: LoopbackServer, central: Any
) -> None:
    docs = serve_index(server)
    _import(server, central, rows=100)
    docs[0]["title_FR_t"] = ["une", "liste"]
    job = _import(server, central, rows=100)
    assert {"identifier": docs[0]["identifier_s"], "problem": "title_FR_t is not text"} in (
        job.report
    )
    ir = ImportedRecord.objects.get(remote_identifier=docs[0]["identifier_s"])
    assert ir.quarantined and ir.problem == "title_FR_t is not text"
    assert ir.record is not None and ir.record.is_public
    assert ir.record.title["fr"].startswith("Lignes directrices")


def test_an_interrupted_import_resumes_at_its_page(server: LoopbackServer, central: Any) -> None:
    serve_index(server)

    def cut_after_two_pages(job: ImportJob) -> None:
        if job.pages == 2:
            server.faults[PATH] = [503, 503, 503]

    job = _import(server, central, progress=cut_after_two_pages)
    assert job.status == JobStatus.INTERRUPTED
    assert "answered HTTP 503" in job.error and "Run the import again to resume" in job.error
    assert (job.pages, job.cursor, job.seen) == (2, 8, 8)
    # Pages 1 and 2 are committed: their 6 importable documents, 2 of other types.
    assert (job.created, job.skipped, job.quarantined) == (6, 2, 0)
    assert Record.objects.count() == 6
    server.requests.clear()
    resumed = _import(server, central)
    assert resumed.pk == job.pk and resumed.status == JobStatus.DONE
    assert [p["start"] for _, p in server.requests] == ["8", "12"]
    assert (resumed.pages, resumed.seen, resumed.created, resumed.quarantined) == (4, 15, 6, 6)
    assert Record.objects.count() == 6 and ImportedRecord.objects.count() == 11


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (b"<html>maintenance</html>", "did not answer JSON"),
        (b'{"error": "bad query"}', "no \u201cresponse\u201d object (not a Solr answer)"),
        (b'{"response": {"numFound": "many", "start": 0, "docs": []}}', "numFound"),
        (b'{"response": {"numFound": 3, "start": 5, "docs": []}}', "not the offset asked for"),
        (
            b'{"response": {"numFound": 3, "start": 0, "docs": {}}}',
            "\u201cdocs\u201d is not a list",
        ),
    ],
)
def test_an_answer_that_is_not_a_solr_page_fails_the_job(
    server: LoopbackServer, central: Any, answer: bytes, message: str
) -> None:
    server.handlers[PATH] = lambda params: (200, answer)
    job = _import(server, central)
    assert job.status == JobStatus.FAILED
    assert message in job.error
    assert Record.objects.count() == 0


def test_a_client_error_is_not_retried(server: LoopbackServer, central: Any) -> None:
    server.handlers[PATH] = lambda params: (400, b'{"error": "undefined field foo_s"}')
    job = _import(server, central)
    assert job.status == JobStatus.FAILED
    assert "answered HTTP 400" in job.error
    assert len(server.requests) == 1


def test_the_record_page_of_an_imported_record(
    server: LoopbackServer, central: Any, client: Any
) -> None:
    serve_index(server)
    _import(server, central, rows=100)
    record = ImportedRecord.objects.get(remote_identifier="52000000CBD0070000000303").record
    assert record is not None
    page = client.get(f"/es/r/{record.uid}/", HTTP_HOST="central.testserver")
    assert page.status_code == 200
    assert "Formación en planificación espacial para la biodiversidad" in page.content.decode()


def test_command_imports_with_progress_and_report(server: LoopbackServer, central: Any) -> None:
    serve_index(server)
    out, err = StringIO(), StringIO()
    call_command(
        "import_cbd_index",
        "--portal",
        "central",
        "--base-url",
        server.root + PATH,
        "--rows",
        "5",
        stdout=out,
        stderr=err,
    )
    text = out.getvalue()
    assert "Done: 15 read, 6 created, 0 updated, 0 unchanged, 3 skipped, 6 quarantined" in text
    assert "absPermit 1, biosafetyLaw 1, contact 1" in text
    assert "quarantined 52000000CBD0130000001212: a nationalTarget7 record needs government_s" in (
        text
    )
    assert "[##########--------------------] 5/15 documents, page 1" in err.getvalue()
    assert "15/15 documents, page 3" in err.getvalue()
    assert server.requests[0][1]["q"] == "realm_ss:chm"  # the central portal: no government


def test_command_on_a_national_portal_asks_for_its_government(
    server: LoopbackServer, benin: Any
) -> None:
    serve_index(server)
    call_command(
        "import_cbd_index", "--portal", "bj", "--base-url", server.root + PATH, stdout=StringIO()
    )
    assert server.requests[0][1]["q"] == "realm_ss:chm AND government_s:bj"


def test_command_exits_non_zero_with_the_error(server: LoopbackServer, central: Any) -> None:
    server.handlers[PATH] = lambda params: (404, b"{}")
    with pytest.raises(CommandError, match="answered HTTP 404"):
        call_command(
            "import_cbd_index",
            "--portal",
            "central",
            "--base-url",
            server.root + PATH,
            stdout=StringIO(),
            stderr=StringIO(),
        )
    with pytest.raises(CommandError, match="--portal needs the code of an existing portal"):
        call_command("import_cbd_index", "--portal", "nowhere", stdout=StringIO())


def test_imported_records_are_found_by_search(
    server: LoopbackServer, central: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    serve_index(server)
    with django_capture_on_commit_callbacks(execute=True):
        _import(server, central, rows=100)
    resp = client.get(
        "/api/search", {"q": "mangrove", "mode": "lexical"}, HTTP_HOST="central.testserver"
    )
    assert resp.status_code == 200
    uids = {r["uid"] for r in resp.json()["results"]}
    record = ImportedRecord.objects.get(remote_identifier="52000000CBD0050000000101").record
    assert record is not None and uids == {record.uid}


def test_a_national_portal_refuses_another_governments_records(
    server: LoopbackServer, benin: Any
) -> None:
    docs = serve_index(server)
    docs[5]["government_s"] = "tg"  # the NBSAP, now Togo's
    job = _import(server, benin, rows=100)
    assert {
        "identifier": "52000000CBD0140000000606",
        "problem": "Error.InvalidValue government: The government must be the portal's "
        "country (bj).",
    } in job.report
    assert job.created == 5
    assert not Record.objects.filter(government="tg").exists()
