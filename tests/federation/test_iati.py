"""IATI activity XML 2.03: every export validates against the official schema (xmlschema), the
mapping of capacity-building initiatives and funded small grants, the endpoint's filters and
errors, and the import (all or nothing, errors with lines, update by iati-identifier,
round trip)."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from django.core.management import CommandError, call_command
from lxml import etree

from clearinghouse.federation import iati
from clearinghouse.portals.models import AuditEntry, Role
from clearinghouse.records import services
from clearinghouse.records.models import Draft, Record
from clearinghouse.vocabularies.models import ConceptScheme
from tests.factories import make_user, valid_document

pytestmark = pytest.mark.django_db

HOST = "bj.testserver"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_schema: xmlschema.XMLSchema | None = None


def iati_schema() -> xmlschema.XMLSchema:
    global _schema
    if _schema is None:

        def local_only(uri: str) -> str:
            if uri.startswith(("http:", "https:")):
                raise AssertionError(f"the validator must not fetch {uri}")
            return uri

        _schema = xmlschema.XMLSchema(str(iati.ACTIVITIES_XSD), uri_mapper=local_only)
    return _schema


def valid_iati(body: bytes) -> Any:
    """Validate with xmlschema against the official 2.03 schema; the parsed tree."""
    iati_schema().validate(body)
    return etree.fromstring(body)


FULL = {
    "header": {"languages": ["fr", "en"]},
    "title": {"fr": "Formation des gestionnaires d'aires protégées", "en": "Protected areas"},
    "projectNumber": "GEF-5521",
    "contacts": "Bureau du projet, Cotonou",
    "geographicScope": {"identifier": "GS-REGIONAL"},
    "countryRegions": [{"identifier": "bj"}, {"identifier": "tg"}, {"identifier": "ne"}],
    "status": {"identifier": "IS-ONGOING"},
    "startDate": "2024-03-01",
    "endDate": "2026-08-31",
    "implementingAgencies": "Centre national de gestion des réserves de faune",
    "executingAgencies": "UNDP",
    "collaboratingAgencies": "IUCN; WWF",
    "description": {"fr": "Former 300 gestionnaires.", "en": "Train 300 managers."},
    "targetGroups": "Gestionnaires d'aires protégées",
    "cbdSubjects": [{"identifier": "CBD-SUBJECT-RESTORATION"}],
    "gbfTargets": [{"identifier": "GBF-TARGET-03"}, {"identifier": "GBF-TARGET-20"}],
    "fundingSourceTypes": "Multilateral",
    "coreFundingSources": "Global Environment Facility",
    "coFinancingSources": "Government of Benin",
    "totalBudget": 1234567.89,
    "resultsAndBestPractices": {"fr": "Trois sites pilotes."},
    "links": [{"url": "https://example.org/projet", "name": "Site du projet"}],
}


def publish_cbi(portal: Any, **changes: Any) -> Record:
    user = make_user(portal, Role.AUTHORIZED_USER)
    record = services.create_draft(
        portal, user, "capacityBuildingInitiative", valid_document("capacityBuildingInitiative")
    )
    if changes:
        doc = {**valid_document("capacityBuildingInitiative"), **changes}
        doc = {k: v for k, v in doc.items() if v is not None}
        Draft.objects.filter(record=record).update(
            document=services.normalise(record.schema, doc, portal, record.uid)
        )
    services._publish_now(record, user)
    record.refresh_from_db()
    return record


def full_record(portal: Any) -> Record:
    return publish_cbi(portal, **FULL)


def activities_of(client: Any, query: str = "", host: str = HOST) -> Any:
    return client.get(f"/iati/activities.xml{query}", HTTP_HOST=host)


# --- export -----------------------------------------------------------------------------------
def test_initiative_as_iati_activity(client: Any, benin: Any) -> None:
    record = full_record(benin)
    response = activities_of(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = valid_iati(response.content)
    assert root.get("version") == "2.03"
    [act] = root.findall("iati-activity")
    assert act.findtext("iati-identifier") == f"XI-CLEARINGHOUSE-BJ-{record.uid}"
    assert act.get(XML_LANG) == "fr" and act.get("default-currency") == "USD"
    org = act.find("reporting-org")
    assert (org.get("ref"), org.get("type")) == ("XI-CLEARINGHOUSE-BJ", "10")
    titles = {n.get(XML_LANG): n.text for n in act.find("title")}
    assert titles == FULL["title"]
    general = next(d for d in act.findall("description") if d.get("type") == "1")
    assert {n.get(XML_LANG): n.text for n in general} == FULL["description"]
    roles = {(p.get("role"), p.findtext("narrative")) for p in act.findall("participating-org")}
    assert ("1", "Global Environment Facility") in roles
    assert ("4", "Centre national de gestion des réserves de faune") in roles
    assert act.find("activity-status").get("code") == "2"
    dates = {d.get("type"): d.get("iso-date") for d in act.findall("activity-date")}
    assert dates == {"2": "2024-03-01", "3": "2026-08-31"}  # ongoing: actual start
    assert act.find("activity-scope").get("code") == "2"
    countries = {c.get("code"): Decimal(c.get("percentage")) for c in act.iter("recipient-country")}
    assert countries == {"BJ": Decimal("33.33"), "TG": Decimal("33.33"), "NE": Decimal("33.34")}
    sector = act.find("sector")
    assert (sector.get("vocabulary"), sector.get("code")) == ("1", "41030")
    gbf = ConceptScheme.objects.get(identifier="gbf-targets").uri
    tags = [t for t in act.findall("tag") if t.get("vocabulary-uri") == gbf]
    assert [t.get("code") for t in tags] == ["GBF-TARGET-03", "GBF-TARGET-20"]
    assert tags[0].get("vocabulary") == "99"
    assert {n.get(XML_LANG) for n in tags[0]} >= {"en", "fr", "es"}  # the GBF's languages
    budgets = act.findall("budget")
    assert len(budgets) == 3  # at most a year each
    total = sum(Decimal(b.findtext("value")) for b in budgets)
    assert total == Decimal("1234567.89")
    for budget in budgets:
        start = dt.date.fromisoformat(budget.find("period-start").get("iso-date"))
        end = dt.date.fromisoformat(budget.find("period-end").get("iso-date"))
        assert start <= end < start.replace(year=start.year + 1)
    assert budgets[-1].find("period-end").get("iso-date") == "2026-08-31"
    assert act.find("other-identifier").get("ref") == "GEF-5521"
    assert act.find("document-link").get("url") == "https://example.org/projet"


def test_minimal_initiative_still_valid(client: Any, benin: Any) -> None:
    """IATI requires a description and a participating organisation; the record has neither."""
    publish_cbi(benin, status={"identifier": "IS-PROPOSED"})
    act = valid_iati(activities_of(client).content).find("iati-activity")
    assert act.find("description").findtext("narrative") == "Protected area managers training"
    assert act.find("participating-org").get("ref") == "XI-CLEARINGHOUSE-BJ"
    dates = {d.get("type") for d in act.findall("activity-date")}
    assert dates == {"1", "3"}  # proposed: planned dates
    assert act.find("activity-status").get("code") == "1"
    # no countries given: the government's country is the recipient
    country = act.find("recipient-country")
    assert (country.get("code"), country.get("percentage")) == ("BJ", "100")


def test_configured_organisation_identifier(client: Any, benin: Any, settings: Any) -> None:
    settings.CLEARINGHOUSE_IATI_ORGANISATIONS = {"bj": "XM-DAC-BJ-1"}
    record = publish_cbi(benin)
    act = valid_iati(activities_of(client).content).find("iati-activity")
    assert act.findtext("iati-identifier") == f"XM-DAC-BJ-1-{record.uid}"


def test_filters_and_errors(client: Any, benin: Any) -> None:
    full = full_record(benin)
    plain = publish_cbi(benin, countryRegions=[{"identifier": "ml"}])
    Record.objects.filter(pk=full.pk).update(updated_at=dt.datetime(2025, 1, 1, tzinfo=dt.UTC))

    def idents(query: str) -> list[str]:
        response = activities_of(client, query)
        assert response.status_code == 200, response.content
        return [a.findtext("iati-identifier")[-15:] for a in valid_iati(response.content)]

    assert sorted(idents("")) == sorted([full.uid, plain.uid])
    assert idents("?country=TG") == [full.uid]
    assert sorted(idents("?country=bj")) == sorted([full.uid, plain.uid])  # the government
    assert idents("?modified_since=2025-06-01") == [plain.uid]
    empty = activities_of(client, "?country=tg&modified_since=2025-06-01")
    assert empty.status_code == 404 and b"No project matches" in empty.content
    bad = activities_of(client, "?country=Benin")
    assert bad.status_code == 400 and b"country=Benin" in bad.content
    assert activities_of(client, "?modified_since=yesterday").status_code == 400


def test_per_record(client: Any, benin: Any, peru: Any) -> None:
    record = full_record(benin)
    response = client.get(f"/iati/activities/{record.uid}.xml", HTTP_HOST=HOST)
    assert response.status_code == 200
    assert len(valid_iati(response.content)) == 1
    other = publish_cbi(peru)
    assert client.get(f"/iati/activities/{other.uid}.xml", HTTP_HOST=HOST).status_code == 404
    services.delete_record(record, None)
    assert client.get(f"/iati/activities/{record.uid}.xml", HTTP_HOST=HOST).status_code == 410
    resource = services.create_draft(
        benin, make_user(benin, Role.AUTHORIZED_USER), "resource", valid_document("resource")
    )
    assert client.get(f"/iati/activities/{resource.uid}.xml", HTTP_HOST=HOST).status_code == 404


def test_funded_small_grant(client: Any, db: Any) -> None:
    from clearinghouse.cooperation import grants
    from clearinghouse.workflows import engine
    from tests.cooperation.conftest import publish_call
    from tests.factories import make_portal

    central = make_portal("central", "", hosts=["testserver"], kind="central")
    helpdesk = make_user(central, Role.SECRETARIAT, username="laila")
    deadline = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    call = publish_call(central, helpdesk, applicationDeadline=deadline)
    grantee = make_user(username="grantee")
    data = {
        "title": "Alerta temprana de especies invasoras",
        "summary": "Early warning of invasive species in the Andes.",
        "amount": 18000,
        "country": "pe",
        "organization": "Instituto Andino",
        "partners": "bo",
        "startDate": "2027-01-01",
        "endDate": "2027-12-31",
    }
    proposal = grants.submit_proposal(grants.start_proposal(call, grantee, data), grantee)
    proposal = grants.screen(proposal, helpdesk)
    reviewer = make_user(username="rev1")
    grants.assign_reviewers(proposal, helpdesk, ["rev1"])
    grants.review(proposal, reviewer, 4)
    proposal = engine.perform(proposal, "award", helpdesk, "Good")
    proposal = grants.start_project(proposal, grantee, "2027-01-15")

    response = client.get(f"/iati/grants/{proposal.pk}.xml", HTTP_HOST="testserver")
    assert response.status_code == 200
    act = valid_iati(response.content).find("iati-activity")
    assert act.findtext("iati-identifier") == f"XI-CLEARINGHOUSE-CENTRAL-{call.uid}-P{proposal.pk}"
    assert act.find("reporting-org").get("type") == "40"
    assert act.find("title").findtext("narrative") == data["title"]
    assert act.find("activity-status").get("code") == "2"  # running
    dates = {d.get("type"): d.get("iso-date") for d in act.findall("activity-date")}
    assert dates == {"1": "2027-01-01", "2": "2027-01-15", "3": "2027-12-31"}
    assert [c.get("code") for c in act.findall("recipient-country")] == ["PE", "BO"]
    [txn] = act.findall("transaction")
    assert txn.find("transaction-type").get("code") == "2"  # commitment
    assert Decimal(txn.findtext("value")) == 18000
    assert txn.find("receiver-org").findtext("narrative") == "Instituto Andino"
    roles = {p.get("role"): p.findtext("narrative") for p in act.findall("participating-org")}
    assert roles == {"1": "CBD Secretariat", "4": "Instituto Andino"}
    # also in the portal's list, and filtered by country (partners count)
    listed = valid_iati(activities_of(client, "?country=bo", host="testserver").content)
    assert [a.findtext("iati-identifier") for a in listed] == [act.findtext("iati-identifier")]
    assert activities_of(client, "?country=bj", host="testserver").status_code == 404
    # a proposal that was not awarded is not a project
    other = grants.start_proposal(call, make_user(username="x"), {**data, "title": "Other"})
    assert client.get(f"/iati/grants/{other.pk}.xml", HTTP_HOST="testserver").status_code == 404


# --- import -----------------------------------------------------------------------------------
def run_import(path: Path, portal: str = "bj") -> str:
    out = io.StringIO()
    try:
        call_command("import_iati", str(path), portal=portal, stdout=out)
    except CommandError as exc:
        raise CommandError(f"{exc}\n{out.getvalue()}") from exc
    return out.getvalue()


def failed_import(path: Path, portal: str = "bj") -> str:
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_iati", str(path), portal=portal, stdout=out)
    return out.getvalue()


def test_round_trip_same_portal(client: Any, benin: Any, tmp_path: Path) -> None:
    """Export → import updates the very records, with documents equal to the published ones."""
    originals = [full_record(benin), publish_cbi(benin), publish_cbi(benin, totalBudget=None)]
    body = activities_of(client).content
    path = tmp_path / "activities.xml"
    path.write_bytes(body)
    count = Record.objects.count()
    output = run_import(path)
    assert "3 activities imported as drafts (0 new, 3 updated)." in output
    assert Record.objects.count() == count
    for record in originals:
        assert record.published is not None
        assert Draft.objects.get(record=record).document == record.published.document
    assert AuditEntry.objects.filter(action="draft.import").count() == 3


def test_import_into_another_portal_keyed_by_identifier(
    client: Any, benin: Any, peru: Any, tmp_path: Path
) -> None:
    original = full_record(benin)
    path = tmp_path / "activities.xml"
    path.write_bytes(activities_of(client).content)
    assert "1 new, 0 updated" in run_import(path, "pe")
    [copy] = Record.objects.filter(portal=peru, schema="capacityBuildingInitiative")
    doc = Draft.objects.get(record=copy).document
    ident = f"XI-CLEARINGHOUSE-BJ-{original.uid}"
    assert doc["projectNumber"] == ident
    assert original.published is not None
    expected = {**original.published.document, "projectNumber": ident}
    expected["header"] = {**expected["header"], "identifier": copy.uid}
    expected["government"] = {"identifier": "pe"}
    assert doc == expected
    # the same file again updates the copy instead of creating another
    text = path.read_text("utf-8").replace("Train 300 managers.", "Train 400 managers.")
    path.write_text(text, "utf-8")
    assert "0 new, 1 updated" in run_import(path, "pe")
    assert Record.objects.filter(portal=peru).count() == 1
    assert Draft.objects.get(record=copy).document["description"]["en"] == "Train 400 managers."


ACTIVITY = """  <iati-activity xml:lang="en" default-currency="USD">
    <iati-identifier>XM-DAC-7-{n}</iati-identifier>
    <reporting-org ref="XM-DAC-7" type="10"><narrative>Netherlands</narrative></reporting-org>
    <title><narrative>Wetlands {n}</narrative>
      <narrative xml:lang="FR-be">Zones humides {n}</narrative></title>
    <description type="1"><narrative>Restoring wetlands.</narrative></description>
    <participating-org role="1" ref="XM-DAC-7">
      <narrative>Netherlands</narrative></participating-org>
    <participating-org role="4"><narrative>Wetlands International</narrative></participating-org>
    <activity-status code="{status}"/>
    <activity-date type="1" iso-date="2025-01-01"/>
    <activity-date type="3" iso-date="{end}"/>
    <recipient-country code="BJ" percentage="100"/>
    <sector vocabulary="1" code="41030" percentage="100"/>
    <budget type="1"><period-start iso-date="2025-01-01"/><period-end iso-date="2025-12-31"/>
      <value currency="USD" value-date="2025-01-01">1000</value></budget>
    <budget type="1"><period-start iso-date="2026-01-01"/><period-end iso-date="2026-12-31"/>
      <value currency="USD" value-date="2026-01-01">500.50</value></budget>
  </iati-activity>
"""


def foreign_file(path: Path, *activities: str) -> Path:
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">\n'
        + "".join(activities)
        + "</iati-activities>\n",
        "utf-8",
    )
    return path


def test_import_foreign_activities(benin: Any, tmp_path: Path) -> None:
    path = foreign_file(
        tmp_path / "nl.xml",
        ACTIVITY.format(n=1, status=2, end="2026-12-31"),
        ACTIVITY.format(n=2, status=4, end="2026-06-30"),
    )
    output = run_import(path)
    assert "XM-DAC-7-1: created draft bj-" in output and "2 new, 0 updated" in output
    docs = {
        d.document["projectNumber"]: d.document for d in Draft.objects.filter(record__portal=benin)
    }
    first = docs["XM-DAC-7-1"]
    assert first["title"] == {"en": "Wetlands 1", "fr": "Zones humides 1"}
    assert first["header"]["languages"] == ["en", "fr"]
    assert first["status"] == {"identifier": "IS-ONGOING"}
    assert (first["startDate"], first["endDate"]) == ("2025-01-01", "2026-12-31")
    assert first["countryRegions"] == [{"identifier": "bj"}]
    assert first["geographicScope"] == {"identifier": "GS-NATIONAL"}
    assert first["coreFundingSources"] == "Netherlands"
    assert first["implementingAgencies"] == "Wetlands International"
    assert first["contacts"] == "Netherlands"  # no contact-info: the reporting organisation
    assert first["totalBudget"] == 1500.5
    assert docs["XM-DAC-7-2"]["status"] == {"identifier": "IS-COMPLETED"}


def test_schema_errors_with_lines_nothing_stored(benin: Any, tmp_path: Path) -> None:
    bad = ACTIVITY.format(n=2, status=2, end="2026-12-31")
    bad = bad.replace('<activity-date type="1" iso-date="2025-01-01"/>', "").replace(
        'iso-date="2026-12-31"', 'iso-date="31/12/2026"'
    )
    path = foreign_file(tmp_path / "bad.xml", ACTIVITY.format(n=1, status=2, end="2026-12-31"), bad)
    output = failed_import(path)
    lines = path.read_text("utf-8").splitlines()
    wrong = next(i for i, line in enumerate(lines, 1) if "31/12/2026" in line)
    assert f"bad.xml:line {wrong}: Not valid IATI 2.03:" in output
    assert "iso-date" in output and "31/12/2026" in output
    assert not Draft.objects.exists()


def test_record_rule_errors_with_lines_nothing_stored(benin: Any, tmp_path: Path) -> None:
    good = ACTIVITY.format(n=1, status=2, end="2026-12-31")
    early = ACTIVITY.format(n=2, status=2, end="2024-01-01")  # ends before it starts
    unknown = ACTIVITY.format(n=3, status=2, end="2026-12-31").replace('code="BJ"', 'code="XX"')
    path = foreign_file(tmp_path / "rules.xml", good, early, unknown)
    output = failed_import(path)
    lines = path.read_text("utf-8").splitlines()
    second = next(i for i, line in enumerate(lines, 1) if "XM-DAC-7-2<" in line) - 1
    assert f"line {second} (XM-DAC-7-2): Error.InvalidValue endDate:" in output
    assert "(XM-DAC-7-3): Error.UnexpectedTerm countryRegions" in output
    assert "“xx” is not a term" in output
    assert not Record.objects.filter(portal=benin).exists()


def test_not_xml_and_duplicates(benin: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text('<iati-activities version="2.03">\n<iati-activity>\n</iati-activities>')
    assert "line 3: Not well-formed XML" in failed_import(broken)
    twice = foreign_file(
        tmp_path / "twice.xml",
        ACTIVITY.format(n=1, status=2, end="2026-12-31"),
        ACTIVITY.format(n=1, status=2, end="2026-12-31"),
    )
    assert "The iati-identifier XM-DAC-7-1 already occurs at line 3." in failed_import(twice)
    old = tmp_path / "old.xml"
    old.write_text('<iati-activities version="1.05"><iati-activity/></iati-activities>')
    assert "IATI version 1.05 is not supported" in failed_import(old)
    with pytest.raises(CommandError, match="No such file"):
        run_import(tmp_path / "missing.xml")
    assert not Record.objects.exists()


def test_import_refuses_a_record_under_review(client: Any, benin: Any, tmp_path: Path) -> None:
    record = full_record(benin)
    path = tmp_path / "a.xml"
    path.write_bytes(activities_of(client).content)
    services.edit_published(record, make_user(benin, Role.AUTHORIZED_USER))
    Draft.objects.filter(record=record).update(under_review=True, document={"x": 1})
    assert "pending publication request" in failed_import(path)
    assert Draft.objects.get(record=record).document == {"x": 1}


def test_import_refuses_a_draft_someone_is_editing(client: Any, benin: Any, tmp_path: Path) -> None:
    record = full_record(benin)
    path = tmp_path / "a.xml"
    body = activities_of(client).content.replace(b"Train 300 managers.", b"Train 999.")
    path.write_bytes(body)
    editor = make_user(benin, Role.AUTHORIZED_USER, username="fatou")
    services.edit_published(record, editor)
    services.lock_draft(record, editor)
    output = failed_import(path)
    assert f"Record {record.uid} is being edited by fatou until" in output
    assert record.published is not None
    assert Draft.objects.get(record=record).document == record.published.document


SSOT = Path(__file__).parent / "fixtures" / "iati-ssot"


def _ssot(path: Path) -> bytes:
    return path.read_bytes().replace(b'version="xx"', b'version="2.03"')


@pytest.mark.parametrize("path", sorted((SSOT / "pass").glob("*.xml")), ids=lambda p: p.name)
def test_official_pass_files_are_accepted(path: Path) -> None:
    """The IATI Standard's own test files: what must validate does (both validators)."""
    _tree, problems = iati.parse(_ssot(path))
    assert problems == []
    iati_schema().validate(_ssot(path))


@pytest.mark.parametrize("path", sorted((SSOT / "fail").glob("*.xml")), ids=lambda p: p.name)
def test_official_fail_files_are_refused_with_lines(path: Path) -> None:
    _tree, problems = iati.parse(_ssot(path))
    assert problems and all(p.line > 0 for p in problems)
    assert not iati_schema().is_valid(_ssot(path))
