"""PANORAMA solutions → case studies: a constructed fixture (fixtures/panorama/README.md) served
page by page over real HTTP from a loopback server."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from clearinghouse.federation.connectors.imports import run_import
from clearinghouse.federation.connectors.models import ImportedRecord, ImportJob
from clearinghouse.federation.connectors.panorama import PanoramaConnector, new_source
from clearinghouse.federation.models import JobStatus
from clearinghouse.records import errors as E
from clearinghouse.records.models import Record
from clearinghouse.records.types import CASE_STUDY
from clearinghouse.records.validation import validate
from tests.connectors.server import FIXTURES, LoopbackServer

pytestmark = pytest.mark.django_db
PATH = "/api/v1/solutions"


def serve_solutions(server: LoopbackServer) -> None:
    def solutions(params: dict[str, str]) -> tuple[int, bytes]:
        path = (
            FIXTURES
            / "panorama"
            / f"solutions_{params.get('country_iso_2[]')}_page{params.get('page')}.json"
        )
        if not path.is_file():
            return 200, json.dumps({"count": 0, "next": None, "results": []}).encode()
        return 200, path.read_bytes()

    server.handlers[PATH] = solutions


def _import(server: LoopbackServer, portal: Any, **kw: Any) -> ImportJob:
    source = new_source(portal, "", server.root + PATH)
    return run_import(source, PanoramaConnector(backoff_s=0), **kw)


def _record(remote_id: str) -> Record:
    record = ImportedRecord.objects.get(remote_identifier=remote_id).record
    assert record is not None
    return record


def test_solutions_become_case_studies(server: LoopbackServer, benin: Any) -> None:
    serve_solutions(server)
    job = _import(server, benin)
    assert job.status == JobStatus.DONE, job.error
    assert (job.pages, job.total, job.seen, job.created, job.quarantined) == (3, 5, 5, 3, 2)
    assert [(p["country_iso_2[]"], p["page"]) for _, p in server.requests] == [
        ("BJ", "1"),
        ("BJ", "2"),
        ("BJ", "3"),
    ]
    assert {e["identifier"]: e["problem"] for e in job.report} == {
        "5014": "the solution has 1 building block; a PANORAMA solution has at least 2",
        "5016": "Error.Mandatory summary: This field is required.",
    }

    mangroves = _record("5012")
    assert mangroves.schema == "caseStudy" and mangroves.portal == benin and mangroves.is_public
    assert mangroves.published is not None
    doc = mangroves.published.document
    assert doc["header"]["languages"] == ["en"]
    assert doc["title"] == {"en": "Community-managed mangroves in the Mono delta"}
    assert doc["impacts"] == {"en": "120 ha restored; fish catches up by a third."}
    assert doc["beneficiaries"] == {"en": "Fishing communities of 14 villages."}
    assert doc["countryRegions"] == [{"identifier": "bj"}, {"identifier": "tg"}]
    assert doc["links"] == [
        {"url": "https://panorama.solutions/en/solution/community-managed-mangroves-mono-delta"}
    ]
    assert doc["buildingBlocks"][0] == {
        "title": {"en": "Local conventions"},
        "description": {"en": "Village rules for cutting and fishing, agreed by all users."},
        "enablingFactors": {"en": "Support of the traditional chiefs."},
        "lessonsLearned": {"en": "Rules hold only when everyone helped write them."},
    }
    assert validate(CASE_STUDY, doc, benin) == []  # a complete, valid case study

    provenance = ImportedRecord.objects.get(remote_identifier="5012")
    assert provenance.url.endswith("community-managed-mangroves-mono-delta")
    raw = json.loads(provenance.raw)
    assert raw["image"].endswith("mono-delta.jpg")
    assert raw["classifications"]["theme"] == ["Ecosystem restoration", "Local actors"]

    sacred = _record("5013").published
    assert sacred is not None
    assert sacred.document["header"]["languages"] == ["fr"]
    assert sacred.document["title"] == {"fr": "Forêts sacrées du sud du Bénin"}
    blocks = sacred.document["buildingBlocks"]
    assert len(blocks) == 3 and set(blocks[2]) == {"title", "description"}


def test_reimport_changes_nothing(server: LoopbackServer, benin: Any) -> None:
    serve_solutions(server)
    _import(server, benin)
    again = _import(server, benin)
    assert (again.created, again.updated, again.unchanged, again.quarantined) == (0, 0, 3, 2)
    assert Record.objects.filter(schema="caseStudy").count() == 3


def test_a_dropped_connection_interrupts_and_the_next_run_resumes(
    server: LoopbackServer, benin: Any
) -> None:
    serve_solutions(server)

    def cut(job: ImportJob) -> None:
        if job.pages == 1:
            server.faults[PATH] = ["drop", "drop", "drop"]

    job = _import(server, benin, progress=cut)
    assert job.status == JobStatus.INTERRUPTED
    assert "Could not read" in job.error
    assert (job.pages, job.cursor, job.created) == (1, 2, 2)
    server.requests.clear()
    resumed = _import(server, benin)
    assert resumed.pk == job.pk and resumed.status == JobStatus.DONE
    assert [p["page"] for _, p in server.requests] == ["2", "3"]
    assert (resumed.created, resumed.quarantined) == (3, 2)
    assert Record.objects.filter(schema="caseStudy").count() == 3


def test_restart_reads_every_page_again(server: LoopbackServer, benin: Any) -> None:
    serve_solutions(server)
    first = _import(server, benin, progress=lambda j: server.faults.setdefault(PATH, [400]))
    assert first.status == JobStatus.FAILED and "answered HTTP 400" in first.error
    server.requests.clear()
    second = _import(server, benin, restart=True)
    assert second.pk != first.pk and second.status == JobStatus.DONE
    assert [p["page"] for _, p in server.requests] == ["1", "2", "3"]


def test_a_page_that_is_not_a_solutions_page_fails(server: LoopbackServer, benin: Any) -> None:
    server.handlers[PATH] = lambda params: (200, b'{"count": 2, "results": {"id": 1}}')
    job = _import(server, benin)
    assert job.status == JobStatus.FAILED
    assert "\u201cresults\u201d is not a list" in job.error


def test_building_blocks_keep_enabling_factors_through_the_editor_form() -> None:
    field = CASE_STUDY.field("buildingBlocks")
    assert field is not None
    blocks = [
        {
            "title": {"en": "Tree tenure", "fr": "Droits sur les arbres"},
            "description": {"en": "Farmers own the trees they plant."},
            "enablingFactors": {"en": "Village land commissions."},
            "lessonsLearned": {"fr": "La sécurité foncière d'abord."},
        },
        {"title": {"en": "Cooperative"}, "description": {"en": "Sells shea butter."}},
    ]
    initial = field.to_initial(blocks, ["en", "fr"])
    assert field.from_form(initial, ["en", "fr"]) == blocks


def test_building_block_parts_are_validated(benin: Any) -> None:
    doc = {
        "header": {"languages": ["en"]},
        "title": {"en": "T"},
        "summary": {"en": "S"},
        "buildingBlocks": [
            {"title": {"en": "A"}, "description": {"en": "B"}, "lessonsLearned": "plain text"},
            {"title": {"en": "C"}, "description": {"en": "D"}, "tips": {"en": "?"}},
        ],
    }
    issues = {(i.code, i.property) for i in validate(CASE_STUDY, doc, benin)}
    assert issues == {
        (E.INVALID_TYPE, "buildingBlocks[0].lessonsLearned"),
        (E.INVALID_PROPERTY, "buildingBlocks[1].tips"),
    }


def test_command(server: LoopbackServer, benin: Any) -> None:
    serve_solutions(server)
    out, err = StringIO(), StringIO()
    call_command(
        "import_panorama",
        "--portal",
        "bj",
        "--base-url",
        server.root + PATH,
        stdout=out,
        stderr=err,
    )
    assert "Done: 5 read, 3 created" in out.getvalue()
    assert "quarantined 5014: the solution has 1 building block" in out.getvalue()
    assert "5/5 documents, page 3" in err.getvalue()
    with pytest.raises(CommandError, match="--country needs an ISO alpha-2 code"):
        call_command("import_panorama", "--portal", "bj", "--country", "Benin")
