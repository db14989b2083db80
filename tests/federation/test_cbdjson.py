"""CBD record JSON: export of the published document, import as drafts (command and API),
all or nothing with every error reported, and the round trip."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from clearinghouse.federation import cbdjson
from clearinghouse.portals.models import AuditEntry
from clearinghouse.records.models import Draft, Record
from tests.factories import VALID, valid_document
from tests.federation.conftest import add_records
from tests.helpers import Api

pytestmark = pytest.mark.django_db

HOST = "bj.testserver"


def export(client: Any, uid: str, host: str = HOST) -> Any:
    return client.get(f"/cbd/records/{uid}.json", HTTP_HOST=host)


def test_export_is_the_published_document(client: Any, local_portal: Any) -> None:
    record = add_records(local_portal, 1)[0]
    response = export(client, record.uid)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    document = response.json()
    assert document == record.published.document
    assert document["header"] == {
        "identifier": record.uid,
        "schema": "resource",
        "languages": ["fr", "en"],
    }
    assert document["title"]["en"] == "Mangrove restoration guide"


def test_export_errors(client: Any, local_portal: Any, peru: Any) -> None:
    deleted = add_records(local_portal, 1, deleted=True)[0]
    other = add_records(peru, 1)[0]
    assert export(client, deleted.uid).status_code == 410
    assert export(client, other.uid).status_code == 404  # another portal's record
    assert export(client, "bj-nothing").status_code == 404


def test_round_trip(client: Any, local_portal: Any, tmp_path: Path) -> None:
    """Export → import gives equal documents; a free identifier is kept."""
    bj = {"identifier": "bj"}  # as the publication services set it on Benin's portal
    originals = [
        add_records(local_portal, 1, schema=schema, government=bj)[0] for schema in sorted(VALID)
    ]
    exported = [export(client, r.uid).json() for r in originals]
    Record.objects.filter(pk__in=[r.pk for r in originals]).delete()
    path = tmp_path / "records.json"
    path.write_text(json.dumps(exported), "utf-8")
    out = io.StringIO()
    call_command("import_cbd", str(path), "--portal", "bj", stdout=out)
    assert f"{len(exported)} documents imported as drafts." in out.getvalue()
    for document in exported:
        draft = Draft.objects.select_related("record").get(
            record__uid=document["header"]["identifier"]
        )
        assert draft.document == document
        assert draft.record.schema == document["header"]["schema"]
        assert draft.record.published is None  # a draft, even for contacts
    assert AuditEntry.objects.filter(action="draft.import").count() == len(exported)


def test_import_of_a_taken_identifier_gets_a_new_one(local_portal: Any) -> None:
    record = add_records(local_portal, 1, government={"identifier": "bj"})[0]
    document = record.published.document
    result = cbdjson.import_documents(local_portal, document)
    assert result.imported
    uid = result.reports[0].uid
    assert uid != record.uid and uid.startswith("bj-")
    copy = Draft.objects.get(record__uid=uid).document
    assert copy["header"]["identifier"] == uid
    assert {k: v for k, v in copy.items() if k != "header"} == {
        k: v for k, v in document.items() if k != "header"
    }


def test_invalid_documents_import_nothing_and_every_error_is_reported(local_portal: Any) -> None:
    good = {**valid_document("resource"), "header": {"schema": "resource", "languages": ["en"]}}
    good["title"] = {"en": "Fine"}
    good["summary"] = {"en": "Fine."}
    bad = {
        **valid_document("event"),
        "header": {"schema": "event", "languages": ["en"], "identifier": "bj-bad"},
        "endDate": "2020-01-01",
        "gbfTargets": [{"identifier": "GBF-TARGET-99"}],
        "colour": "red",
    }
    bad.pop("title")
    payload = {"documents": [good, bad, {"header": {"schema": "nope"}}, {"title": "x"}, 42]}
    before = Record.objects.count()
    result = cbdjson.import_documents(local_portal, payload)
    assert not result.imported
    assert Record.objects.count() == before
    codes = [{(i.code, i.property) for i in r.issues} for r in result.reports]
    assert codes[0] == set()
    assert codes[1] == {
        ("Error.Mandatory", "title"),
        ("Error.InvalidValue", "endDate"),
        ("Error.UnexpectedTerm", "gbfTargets"),
        ("Error.InvalidProperty", "colour"),
    }
    assert codes[2] == {("Error.InvalidValue", "header.schema")}
    assert codes[3] == {("Error.Mandatory", "header.schema")}
    assert codes[4] == {("Error.InvalidType", "")}
    report = result.as_cbd()
    assert report["documents"][1]["identifier"] == "bj-bad"
    assert report["documents"][1]["errors"][0]["message"]


def test_command_reports_errors_and_fails(local_portal: Any, tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    document = valid_document("resource", authors=None)
    document["header"] = {"schema": "resource", "languages": ["fr", "en"]}
    path.write_text(json.dumps(document), "utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_cbd", str(path), "--portal", "bj", stdout=out)
    assert "#0 (no identifier) [resource]: Error.Mandatory authors" in out.getvalue()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", "utf-8")
    with pytest.raises(CommandError, match="cannot read JSON"):
        call_command("import_cbd", str(bad), "--portal", "bj")
    with pytest.raises(CommandError, match="No portal"):
        call_command("import_cbd", str(path), "--portal", "zz")


def test_api_import(benin: Any, amina: Any) -> None:
    document = valid_document("resource")
    document["header"] = {"schema": "resource", "languages": ["fr", "en"]}
    api = Api(user=amina)
    response = api.post("/import/cbd", {"documents": [document, document]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["imported"] and body["count"] == 2
    uids = [d["uid"] for d in body["documents"]]
    assert Draft.objects.filter(record__uid__in=uids).count() == 2

    broken = {**document, "authors": ""}
    response = api.post("/import/cbd", {"documents": [document, broken]})
    assert response.status_code == 400
    assert response.json()["documents"][1]["errors"][0]["code"] == "Error.Mandatory"
    assert Draft.objects.count() == 2

    assert Api().post("/import/cbd", {"documents": [document]}).status_code == 401
