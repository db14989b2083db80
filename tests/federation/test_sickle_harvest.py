"""A third-party harvester (Sickle) harvests a portal through a real HTTP server."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sickle import Sickle
from sickle.oaiexceptions import BadArgument, IdDoesNotExist, NoRecordsMatch

from clearinghouse.records.models import Record
from tests.factories import make_portal
from tests.federation.conftest import BASE_TIME, add_records

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def harvested(live_server: Any, settings: Any) -> tuple[Sickle, Any]:
    settings.CLEARINGHOUSE_OAI_PAGE_SIZE = 3
    portal = make_portal("bj", "BJ", hosts=["localhost"])
    # The portal is chosen by host name: harvest through "localhost", not 127.0.0.1.
    port = live_server.url.rsplit(":", 1)[1]
    return Sickle(f"http://localhost:{port}/oai", timeout=10), portal


def _uids(records: list[Record]) -> list[str]:
    return [f"oai:localhost:{r.uid}" for r in records]


@pytest.mark.parametrize("count", [10, 9])  # 9: an exact multiple of the page size
def test_complete_harvest_across_pages(harvested: tuple[Sickle, Any], count: int) -> None:
    sickle, portal = harvested
    records = add_records(portal, count)
    seen = [r.header.identifier for r in sickle.ListRecords(metadataPrefix="oai_dc")]
    assert seen == _uids(records)
    seen = [h.identifier for h in sickle.ListIdentifiers(metadataPrefix="cbd")]
    assert seen == _uids(records)
    native = list(sickle.ListRecords(metadataPrefix="cbd"))
    assert len(native) == count
    assert "Mangrove restoration guide" in str(native[0].raw)


def test_incremental_harvest_with_from(harvested: tuple[Sickle, Any]) -> None:
    sickle, portal = harvested
    add_records(portal, 4)
    later = add_records(portal, 4, start=BASE_TIME + dt.timedelta(days=2))
    since = (BASE_TIME + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    seen = [
        r.header.identifier for r in sickle.ListRecords(metadataPrefix="oai_dc", **{"from": since})
    ]
    assert seen == _uids(later)
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListRecords(metadataPrefix="oai_dc", **{"from": "2030-01-01"}))


def test_deleted_records_are_harvested_as_deleted(harvested: tuple[Sickle, Any]) -> None:
    sickle, portal = harvested
    add_records(portal, 2)
    gone = add_records(portal, 2, start=BASE_TIME + dt.timedelta(hours=1), deleted=True)
    records = list(sickle.ListRecords(metadataPrefix="cbd"))
    assert [r.header.deleted for r in records] == [False, False, True, True]
    assert [r.header.identifier for r in records if r.deleted] == _uids(gone)
    live = list(sickle.ListRecords(metadataPrefix="cbd", ignore_deleted=True))
    assert len(live) == 2


def test_identify_and_errors(harvested: tuple[Sickle, Any]) -> None:
    sickle, portal = harvested
    add_records(portal, 1)
    identify = sickle.Identify()
    assert identify.deletedRecord == "persistent"
    assert [f.metadataPrefix for f in sickle.ListMetadataFormats()] == ["oai_dc", "cbd"]
    assert "schema:resource" in [s.setSpec for s in sickle.ListSets()]
    with pytest.raises(IdDoesNotExist):
        sickle.GetRecord(identifier="oai:localhost:missing", metadataPrefix="cbd")
    with pytest.raises(BadArgument):
        sickle.GetRecord(identifier="oai:localhost:missing")
