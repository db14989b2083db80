"""Akoma Ntoso 3.0: export validates against the OASIS schema, import reports schema errors
with lines and stores nothing on error, round trip keeps the paragraphs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xmlschema
from django.core.management import call_command
from django.core.management.base import CommandError
from lxml import etree

from clearinghouse.federation import akn
from clearinghouse.records import decisions
from clearinghouse.records.models import Record
from tests.helpers import Api, published, web

OFFICIAL_XSD = Path("/work/shared/standards/akn/akomantoso30.xsd")
SHIPPED_XSD = Path(akn.__file__).resolve().parent / "schemas" / "akn" / "akomantoso30.xsd"
NS = {"a": akn.AKN_NS}


@pytest.fixture(scope="module")
def official() -> xmlschema.XMLSchema:
    path = OFFICIAL_XSD if OFFICIAL_XSD.exists() else SHIPPED_XSD
    return xmlschema.XMLSchema(str(path))


def test_shipped_schema_is_the_official_one() -> None:
    if not OFFICIAL_XSD.exists():
        pytest.skip("reference copy not available")
    assert SHIPPED_XSD.read_bytes() == OFFICIAL_XSD.read_bytes()


def _export(client: Any, uid: str, lang: str = "") -> Any:
    return client.get(f"/decisions/{uid}.akn.xml" + (f"?lang={lang}" if lang else ""))


def test_export_validates_and_follows_the_naming_convention(
    central: Any, laila: Any, official: xmlschema.XMLSchema
) -> None:
    record = published(central, laila, "decision")
    response = _export(web("cbd.testserver"), record.uid)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/akn+xml")
    official.validate(response.content)
    root = etree.fromstring(response.content)
    work = "/akn/un-cbd/doc/decision/2022-12-19/15-4"
    assert root.xpath("//a:FRBRWork/a:FRBRuri/@value", namespaces=NS) == [work]
    assert root.xpath("//a:FRBRExpression/a:FRBRuri/@value", namespaces=NS) == [f"{work}/eng@"]
    assert root.xpath("//a:FRBRManifestation/a:FRBRthis/@value", namespaces=NS) == [
        f"{work}/eng@/!main.xml"
    ]
    assert root.xpath("//a:doc/@name", namespaces=NS) == ["decision"]
    eids = root.xpath("//a:mainBody//@eId", namespaces=NS)
    assert eids == [
        "para_1",
        "para_9",
        "para_9__subpara_a",
        "para_9__subpara_b",
        "para_9__subpara_b__subpara_i",
        "para_9__subpara_b__subpara_ii",
    ]
    sub = root.xpath("//a:subparagraph[@eId='para_9__subpara_b']", namespaces=NS)[0]
    assert sub.findtext("a:num", namespaces=NS) == "(b)"
    # French expression
    fr = _export(web("cbd.testserver"), record.uid, "fr")
    official.validate(fr.content)
    assert b"/fra@" in fr.content and "Prie la Secrétaire".encode() in fr.content
    assert _export(web("cbd.testserver"), record.uid, "zh").status_code == 404


def test_export_refuses_other_records(central: Any, laila: Any, benin: Any, jean: Any) -> None:
    resource = published(benin, jean, "resource")
    assert _export(web("bj.testserver"), resource.uid).status_code == 404
    assert _export(web("bj.testserver"), "bj-000000000000").status_code == 404


def test_round_trip_keeps_paragraphs(central: Any, laila: Any, tmp_path: Path) -> None:
    record = published(central, laila, "decision")
    before = record.published.document
    files = []
    for lang in ("en", "fr"):
        path = tmp_path / f"d-{lang}.xml"
        path.write_bytes(_export(web("cbd.testserver"), record.uid, lang).content)
        files.append(str(path))
    Record.objects.all().delete()
    call_command("import_akn", *files, "--portal", "central", "--publish")
    imported = Record.objects.get(schema="decision")
    after = imported.published.document
    assert after["paragraphs"] == before["paragraphs"]
    for key in ("title", "treaty", "number", "date", "status", "meetingCode", "preamble"):
        assert after[key] == before[key], key
    assert after["header"]["languages"] == ["en", "fr"]
    assert after["akomaNtosoWork"] == "/akn/un-cbd/doc/decision/2022-12-19/15-4"


def test_import_updates_the_decision_with_the_same_work_uri(
    central: Any, laila: Any, tmp_path: Path
) -> None:
    record = published(central, laila, "decision")
    xml = _export(web("cbd.testserver"), record.uid, "en").content
    changed = xml.replace(b"To report progress;", b"To report progress every two years;")
    path = tmp_path / "d.xml"
    path.write_bytes(changed)
    call_command("import_akn", str(path), "--portal", "central")
    assert Record.objects.filter(schema="decision").count() == 1
    draft = Record.objects.get(pk=record.pk).draft.document
    para = decisions.index(draft["paragraphs"])["para_9__subpara_b"]
    # The English text changed; the French one is kept.
    assert para["text"] == {"en": "To report progress every two years;", "fr": "De rendre compte ;"}


BROKEN = b"""<?xml version="1.0" encoding="UTF-8"?>
<akomaNtoso xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0">
  <doc name="decision">
    <meta>
      <identification source="#x">
        <FRBRWork><FRBRthis value="/akn/un-cbd/doc/decision/2024-10-30/16-1/!main"/></FRBRWork>
      </identification>
    </meta>
    <mainBody>
      <paragraph eId="para_1"><num>1.</num><content><p>a</p></content></paragraph>
      <paragraph eId="para_1"><num>1.</num><content><p>b</p></content></paragraph>
    </mainBody>
  </doc>
</akomaNtoso>
"""


def test_schema_errors_are_reported_with_lines_and_nothing_is_stored(
    central: Any, laila: Any, tmp_path: Path, capsys: Any
) -> None:
    record = published(central, laila, "decision")
    good = tmp_path / "good.xml"
    good.write_bytes(_export(web("cbd.testserver"), record.uid).content)
    Record.objects.all().delete()
    bad = tmp_path / "bad.xml"
    bad.write_bytes(BROKEN)
    with pytest.raises(CommandError, match="1 of 2 files have errors: nothing was imported"):
        call_command("import_akn", str(good), str(bad), "--portal", "central")
    out = capsys.readouterr().out
    assert f"{bad}: line 6:" in out  # FRBRWork lacks its FRBRuri, FRBRdate, …
    assert f"{bad}: line 11:" in out
    assert "FRBRuri" in out
    assert "Duplicate key-sequence" in out  # two paragraphs with eId para_1 (line 11)
    assert not Record.objects.exists()
    _tree, errors = akn.check_schema(b"<akomaNtoso><doc>")
    assert errors[0].line == 1 and "not well-formed" in errors[0].message


def test_record_errors_are_reported(central: Any, laila: Any) -> None:
    record = published(central, laila, "decision")
    xml = _export(web("cbd.testserver"), record.uid).content
    xml = xml.replace(b'status="active"', b'status="abrogated"')
    Record.objects.all().delete()
    result = akn.import_files(central, [("x.xml", xml)])
    assert not result.imported
    assert [(i.property, i.params.get("value")) for i in result.reports[0].issues] == [
        ("status", "abrogated")
    ]
    assert not Record.objects.exists()


def test_api_import(central: Any, laila: Any, benin: Any, amina: Any) -> None:
    record = published(central, laila, "decision")
    xml = _export(web("cbd.testserver"), record.uid).content
    Record.objects.all().delete()
    api = Api("cbd.testserver", laila)
    response = api.client.post(
        "/api/akn/import?publish=true", xml, content_type="application/xml", **api.headers
    )
    assert response.status_code == 201, response.content
    uid = response.json()["files"][0]["uid"]
    assert Record.objects.get(uid=uid).published is not None
    again = api.client.post("/api/akn/import", xml, content_type="application/xml", **api.headers)
    assert again.status_code == 200 and again.json()["files"][0]["uid"] == uid
    bad = api.client.post("/api/akn/import", BROKEN, content_type="application/xml", **api.headers)
    assert bad.status_code == 400
    assert bad.json()["files"][0]["errors"][0]["line"] == 6
    other = Api("bj.testserver", amina)
    refused = other.client.post(
        "/api/akn/import?publish=true", xml, content_type="application/xml", **other.headers
    )
    assert refused.status_code == 403


def _foreign(xml: bytes) -> bytes:
    """The same document as another system would write it: no <proprietary> metadata."""
    root = etree.fromstring(xml)
    for el in root.xpath("//a:proprietary", namespaces=NS):
        el.getparent().remove(el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_foreign_file_creates_with_inferred_metadata_and_updates_without_loss(
    central: Any, laila: Any
) -> None:
    record = published(central, laila, "decision", status="superseded")
    xml = _foreign(_export(web("cbd.testserver"), record.uid, "en").content)
    # Updating: what the file does not say (status, GBF targets) is kept.
    result = akn.import_files(central, [("x.xml", xml)])
    assert result.imported and result.reports[0].uid == record.uid
    draft = Record.objects.get(pk=record.pk).draft.document
    assert draft["status"] == "superseded"
    assert draft["gbfTargets"] == [{"identifier": "GBF-TARGET-01"}]
    # Creating: treaty, meeting code and status are inferred.
    Record.objects.all().delete()
    result = akn.import_files(central, [("x.xml", xml.replace(b"15-4", b"cp-10-3"))])
    assert result.imported, result.as_json()
    doc = Record.objects.get(schema="decision").draft.document
    assert (doc["treaty"], doc["number"], doc["meetingCode"], doc["status"]) == (
        "CP",
        "15/4",
        "CP-MOP-15",  # the meeting of the Parties to the Protocol, from the number
        "active",
    )
