"""Shared helpers for the federation tests: a schema validator for OAI-PMH responses (local
copies of the schemas, nothing fetched), and fast builders of published records."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from clearinghouse.federation.provider import CBD_NS, OAI_DC_NS
from clearinghouse.portals.models import Portal
from clearinghouse.records.models import Record, Revision
from tests.factories import make_portal, valid_document

HERE = Path(__file__).resolve().parent
SCHEMAS = HERE / "schemas"
FIXTURES = HERE / "fixtures"
CBD_XSD = HERE.parents[1] / "src" / "clearinghouse" / "federation" / "schemas" / "cbd.xsd"
REMOTE = {
    "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd": SCHEMAS / "OAI-PMH.xsd",
    "http://www.openarchives.org/OAI/2.0/oai_dc.xsd": SCHEMAS / "oai_dc.xsd",
    "http://dublincore.org/schemas/xmls/simpledc20021212.xsd": SCHEMAS / "simpledc20021212.xsd",
    "http://www.w3.org/2001/03/xml.xsd": SCHEMAS / "xml.xsd",
    "http://www.w3.org/2001/xml.xsd": SCHEMAS / "xml.xsd",
}


def _local(uri: str) -> str:
    if uri in REMOTE:
        return str(REMOTE[uri])
    if uri.startswith(("http:", "https:")):
        raise AssertionError(f"the validator must not fetch {uri}")
    return uri


_validator: xmlschema.XMLSchema | None = None


def oai_schema() -> xmlschema.XMLSchema:
    global _validator
    if _validator is None:
        _validator = xmlschema.XMLSchema(
            str(SCHEMAS / "OAI-PMH.xsd"),
            uri_mapper=_local,
            locations=[(OAI_DC_NS, str(SCHEMAS / "oai_dc.xsd")), (CBD_NS, str(CBD_XSD))],
        )
    return _validator


def assert_valid(body: bytes) -> None:
    oai_schema().validate(body, use_location_hints=False)


_seq = itertools.count(1)
BASE_TIME = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.UTC)


def add_records(
    portal: Portal,
    count: int,
    schema: str = "resource",
    start: dt.datetime = BASE_TIME,
    step: dt.timedelta = dt.timedelta(seconds=1),
    deleted: bool = False,
    **changes: Any,
) -> list[Record]:
    """Published records with datestamps start, start+step, …, built in bulk."""
    doc = valid_document(schema, **changes)
    records = []
    for i in range(count):
        n = next(_seq)
        stamp = start + step * i
        records.append(
            Record(
                uid=f"{portal.code}-t{n:06d}",
                portal=portal,
                schema=schema,
                government=portal.country.lower(),
                created_at=stamp,
                published_at=stamp,
                updated_at=stamp,
                deleted_at=stamp if deleted else None,
                title=doc.get("title") or {},
            )
        )
    Record.objects.bulk_create(records)
    records = list(Record.objects.filter(uid__in=[r.uid for r in records]).order_by("id"))
    revisions = Revision.objects.bulk_create(
        [
            Revision(
                record=r,
                number=1,
                document={
                    **doc,
                    "header": {**doc["header"], "identifier": r.uid, "schema": schema},
                },
                published_at=r.published_at,
            )
            for r in records
        ]
    )
    for record, revision in zip(records, revisions, strict=True):
        record.published = revision
    Record.objects.bulk_update(records, ["published"])
    return records


@pytest.fixture
def local_portal(db: Any) -> Portal:
    """Benin's portal, served at the host name "localhost" (the live server's)."""
    return make_portal("bj", "BJ", hosts=["localhost", "bj.testserver"])
