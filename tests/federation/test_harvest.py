"""The harvester: real fixture responses (every error code, malformed ones, dropped
connections) and a complete round trip against this product's own /oai."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from clearinghouse.federation.harvest import Harvester
from clearinghouse.federation.models import HarvestedRecord, HarvestSource, JobStatus
from clearinghouse.portals.models import PortalKind
from clearinghouse.records.models import Record
from tests.factories import make_portal, valid_document
from tests.federation.conftest import FIXTURES
from tests.federation.fixture_server import FixtureServer, fixture_server

FAST = {"retries": 1, "backoff_s": 0.0}


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with fixture_server() as running:
        yield running


@pytest.fixture
def central(db: Any) -> Any:
    return make_portal("central", "", hosts=["central.testserver"], kind=PortalKind.CENTRAL)


def _source(url: str, portal: Any) -> HarvestSource:
    return HarvestSource.objects.create(name="remote", base_url=url, portal=portal)


ALL_FIXTURES = sorted(p.name for p in FIXTURES.glob("*.xml"))
EXPECTED_ERRORS = {
    "ListRecordsBroken.xml": "Malformed response: not well-formed XML",
    "badArgument.xml": "badArgument",
    "badResumptionToken.xml": "badResumptionToken",
    "cannotDisseminateFormat.xml": "cannotDisseminateFormat",
    "idDoesNotExist.xml": "idDoesNotExist",
    "noSetHierarchy.xml": "noSetHierarchy",
    "undefinedError.xml": "undefinedError",
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", ALL_FIXTURES)
def test_survives_every_fixture(server: FixtureServer, central: Any, name: str) -> None:
    """Each fixture as the answer to ListRecords: the job ends cleanly, with a clear status."""
    server.first = name
    job = Harvester(**FAST).harvest(_source(server.url, central))
    assert job.status in {JobStatus.DONE, JobStatus.FAILED}
    assert job.finished_at is not None
    if name in EXPECTED_ERRORS:
        assert job.status == JobStatus.FAILED
        assert EXPECTED_ERRORS[name] in job.error
    elif name == "noRecordsMatch.xml":
        assert job.status == JobStatus.DONE and job.pages == 0
    elif name.startswith("ListRecords"):
        assert job.status == JobStatus.DONE
    else:  # a response to another verb
        assert job.status == JobStatus.FAILED
        assert "neither ListRecords nor an error" in job.error
    assert not Record.objects.filter(portal=central).exists()  # none of them carries "cbd"


@pytest.mark.django_db
def test_quarantine_report_for_foreign_and_broken_records(
    server: FixtureServer, central: Any
) -> None:
    source = _source(server.url, central)
    job = Harvester(**FAST).harvest(source)
    assert job.status == JobStatus.DONE
    assert job.pages == 4  # ListRecords → 2 → 3 → 4, following the resumption tokens
    assert job.deleted == 1  # the same tombstone on every page, counted once
    problems = {(r["identifier"], r["problem"]) for r in job.report}
    assert (
        "oai:test.example.com:1585322",
        "metadata is not in the cbd format ({http://www.openarchives.org/OAI/2.0/oai_dc/}dc)",
    ) in problems
    assert ("", "header without identifier and datestamp") in problems
    quarantined = HarvestedRecord.objects.get(remote_identifier="oai:test.example.com:1585322")
    assert quarantined.quarantined and "<oai_dc:dc" in quarantined.raw
    assert source.jobs.count() == 1
    source.refresh_from_db()
    assert source.granularity == "YYYY-MM-DD"  # learnt from Identify
    assert source.next_from == "2013-02-27"  # the first responseDate, at that granularity


@pytest.mark.django_db
def test_resumes_from_the_last_token_after_a_dropped_connection(
    server: FixtureServer, central: Any
) -> None:
    source = _source(server.url, central)
    server.drops["ListRecords3.xml"] = 2  # more than the retries
    job = Harvester(**FAST).harvest(source)
    assert job.status == JobStatus.INTERRUPTED
    assert job.resumption_token == "ListRecords3.xml"
    assert "resume from the last resumption token" in job.error
    assert job.pages == 2
    server.requests.clear()
    resumed = Harvester(**FAST).harvest(source)
    assert resumed.pk == job.pk
    assert resumed.status == JobStatus.DONE and resumed.pages == 4
    assert server.requests[0] == {"verb": "ListRecords", "resumptionToken": "ListRecords3.xml"}


@pytest.mark.django_db
def test_retries_a_dropped_connection(server: FixtureServer, central: Any) -> None:
    server.drops["ListRecords2.xml"] = 1
    job = Harvester(**FAST).harvest(_source(server.url, central))
    assert job.status == JobStatus.DONE and job.pages == 4


@pytest.mark.django_db
def test_unreachable_source_is_interrupted(central: Any) -> None:
    job = Harvester(**FAST).harvest(_source("http://127.0.0.1:9/oai", central))
    assert job.status == JobStatus.INTERRUPTED
    assert "Connection lost" in job.error


def _cbd_page(*records: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "<responseDate>2026-01-01T00:00:00Z</responseDate>"
        '<request verb="ListRecords">http://x/oai</request>'
        "<ListRecords>" + "".join(records) + "</ListRecords></OAI-PMH>"
    ).encode()


def _cbd_record(identifier: str, body: str, schema: str = "resource") -> str:
    return (
        f"<record><header><identifier>{identifier}</identifier>"
        "<datestamp>2026-01-01T00:00:00Z</datestamp></header><metadata>"
        f'<cbd:document xmlns:cbd="urn:x-clearinghouse:cbd-document:1" identifier="x" '
        f'schema="{schema}" revision="1">{body}</cbd:document></metadata></record>'
    )


@pytest.mark.django_db
def test_quarantines_malformed_cbd_documents(server: FixtureServer, central: Any) -> None:
    good = json.dumps(valid_document("resource", header={"identifier": "bj-good"}))
    server.files["page.xml"] = _cbd_page(
        _cbd_record("oai:r:bj-good", good),
        _cbd_record("oai:r:bj-json", "{not json"),
        _cbd_record("oai:r:bj-list", "[1, 2]"),
        _cbd_record("oai:r:bj-type", json.dumps({"header": {"schema": "spaceship"}}), "x"),
    )
    server.first = "page.xml"
    job = Harvester(**FAST).harvest(_source(server.url, central))
    assert job.status == JobStatus.DONE
    assert job.created == 1 and job.quarantined == 3
    report = {r["identifier"]: r["problem"] for r in job.report}
    assert report["oai:r:bj-json"].startswith("the CBD document is not JSON")
    assert report["oai:r:bj-list"] == "the CBD document is not a JSON object"
    assert report["oai:r:bj-type"] == "unknown record type 'spaceship'"
    assert Record.objects.get(portal=central).uid == "bj-good"


@pytest.mark.django_db
def test_harvest_command_reports_quarantine(server: FixtureServer, central: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("harvest", add=server.url, portal="central", name="fixtures", stdout=out)
    text = out.getvalue()
    assert "done, 4 pages" in text
    assert "quarantined oai:test.example.com:1585322 2011-01-10T10:19:23Z: metadata is not" in text
    assert "quarantined (no identifier)" in text


@pytest.mark.django_db
def test_a_quarantined_update_keeps_the_last_good_copy(server: FixtureServer, central: Any) -> None:
    good = json.dumps(valid_document("resource", header={"identifier": "bj-good"}))
    server.files["page.xml"] = _cbd_page(_cbd_record("oai:r:bj-good", good))
    server.first = "page.xml"
    source = _source(server.url, central)
    assert Harvester(**FAST).harvest(source).created == 1
    server.files["page.xml"] = _cbd_page(_cbd_record("oai:r:bj-good", '{"title": '))
    job = Harvester(**FAST).harvest(source, full=True)
    assert (job.status, job.quarantined, job.updated) == (JobStatus.DONE, 1, 0)
    provenance = HarvestedRecord.objects.get(remote_identifier="oai:r:bj-good")
    assert provenance.quarantined and provenance.problem.startswith("the CBD document is not JSON")
    assert provenance.record is not None and provenance.record.is_public
    # Fixed at the source: the next harvest clears the quarantine.
    server.files["page.xml"] = _cbd_page(_cbd_record("oai:r:bj-good", good))
    job = Harvester(**FAST).harvest(source, full=True)
    assert (job.quarantined, job.unchanged) == (0, 1)
    assert not HarvestedRecord.objects.get(pk=provenance.pk).quarantined


def test_next_from_overlaps_the_last_harvest() -> None:
    from clearinghouse.federation.harvest import next_from

    assert next_from("2026-03-01T00:05:00Z", "YYYY-MM-DDThh:mm:ssZ") == "2026-02-28T23:55:00Z"
    assert next_from("2026-03-01T00:05:00Z", "YYYY-MM-DD") == "2026-02-28"
    assert next_from("yesterday", "YYYY-MM-DD") == ""
