"""OAI-PMH sets defined by stored queries (``query:<slug>``): the ``oai_set`` command, the
provider's ListSets, ListIdentifiers/ListRecords filtering, headers and resumption, and a
third-party harvester (Sickle)."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from sickle import Sickle
from sickle.oaiexceptions import NoRecordsMatch

from clearinghouse.federation.models import StoredSet
from clearinghouse.records.models import Record
from tests.factories import make_portal
from tests.federation.conftest import BASE_TIME, add_records
from tests.federation.test_provider import HOST, NS, error_code, ids, oai

# The criteria are checked against the loaded vocabularies, which a transactional test (the
# live server's) empties.
pytestmark = pytest.mark.usefixtures("vocab")
HOUR = dt.timedelta(hours=1)


def _oai_ids(records: list[Record], host: str = HOST) -> list[str]:
    return [f"oai:{host}:{r.uid}" for r in records]


def _populate(portal: Any) -> dict[str, list[Record]]:
    """Resources tagged GBF-TARGET-02 (the default document) and others that differ in one
    criterion: another target, another type, another country (a record of Peru's)."""
    peru = make_portal("pe", "PE")
    return {
        "wanted": add_records(portal, 3),
        "other_target": add_records(
            portal, 2, start=BASE_TIME + HOUR, gbfTargets=[{"identifier": "GBF-TARGET-07"}]
        ),
        "event": add_records(portal, 2, schema="event", start=BASE_TIME + 2 * HOUR),
        "wanted_later": add_records(portal, 2, start=BASE_TIME + 3 * HOUR),
        "peru": add_records(peru, 2, start=BASE_TIME + 4 * HOUR),
    }


def _add(portal: str = "bj", spec: str = "bj-t2", *extra: str) -> str:
    out = StringIO()
    call_command(
        "oai_set",
        "add",
        "--portal",
        portal,
        "--spec",
        spec,
        "--name",
        "Benin resources on target 2",
        *extra,
        stdout=out,
    )
    return out.getvalue()


CRITERIA = ("--type", "resource", "--country", "BJ", "--target", "GBF-TARGET-02")


@pytest.mark.django_db
class TestProvider:
    def test_set_selects_exactly_its_records(self, client: Any, local_portal: Any) -> None:
        records = _populate(local_portal)
        assert "query:bj-t2" in _add("bj", "bj-t2", *CRITERIA)
        stored = StoredSet.objects.get()
        assert stored.countries == ["bj"] and stored.targets == ["GBF-TARGET-02"]
        wanted = _oai_ids(records["wanted"] + records["wanted_later"])
        root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="query:bj-t2")
        assert ids(root) == wanted
        root = oai(client, verb="ListRecords", metadataPrefix="cbd", set="query:bj-t2")
        assert ids(root) == wanted
        # Headers name the stored sets a record is in, in every list and in GetRecord.
        for header in root.iterfind(".//o:header", NS):
            assert "query:bj-t2" in [e.text for e in header.iterfind("o:setSpec", NS)]
        root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="schema:event")
        for header in root.iterfind(".//o:header", NS):
            assert "query:bj-t2" not in [e.text for e in header.iterfind("o:setSpec", NS)]
        identifier = _oai_ids(records["wanted"])[0]
        root = oai(client, verb="GetRecord", identifier=identifier, metadataPrefix="oai_dc")
        specs = [e.text for e in root.iterfind(".//o:header/o:setSpec", NS)]
        assert specs == ["schema:resource", "country:bj", "target:GBF-TARGET-02", "query:bj-t2"]

    def test_or_within_a_kind(self, client: Any, local_portal: Any) -> None:
        records = _populate(local_portal)
        _add("bj", "t2-or-t7", "--target", "GBF-TARGET-02", "--target", "gbf-target-07")
        _add("bj", "events", "--type", "event", "--type", "decision")
        root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="query:t2-or-t7")
        expected = records["wanted"] + records["other_target"] + records["wanted_later"]
        assert ids(root) == _oai_ids(expected)
        root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="query:events")
        assert ids(root) == _oai_ids(records["event"])
        # The parent: the records of any stored set.
        root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="query")
        assert ids(root) == _oai_ids(
            records["wanted"] + records["other_target"] + records["event"] + records["wanted_later"]
        )

    def test_list_sets(self, client: Any, local_portal: Any) -> None:
        add_records(local_portal, 1)
        root = oai(client, verb="ListSets")
        assert "query" not in [e.text for e in root.iterfind(".//o:setSpec", NS)]
        _add("bj", "bj-t2", *CRITERIA)
        peru = make_portal("pe", "PE")
        _add(peru.code, "peru-only", "--country", "PE")
        root = oai(client, verb="ListSets")
        found = {
            s.findtext("o:setSpec", namespaces=NS): s.findtext("o:setName", namespaces=NS)
            for s in root.iterfind(".//o:set", NS)
        }
        assert found["query"] == "Stored queries"
        assert found["query:bj-t2"] == "Benin resources on target 2"
        assert "query:peru-only" not in found  # another portal's set

    def test_unknown_sets_match_no_records(self, client: Any, local_portal: Any) -> None:
        add_records(local_portal, 2)
        make_portal("pe", "PE")
        _add("pe", "peru-only", "--country", "PE")
        for spec in ("query:nosuchset", "query:peru-only", "query", "query:a:b"):
            root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set=spec)
            assert error_code(root) == "noRecordsMatch"
        # A set whose records are all elsewhere: no records match either.
        _add("bj", "nothing", "--country", "PE")
        root = oai(client, verb="ListRecords", metadataPrefix="oai_dc", set="query:nothing")
        assert error_code(root) == "noRecordsMatch"

    def test_resumption_keeps_the_set(self, client: Any, local_portal: Any, settings: Any) -> None:
        settings.CLEARINGHOUSE_OAI_PAGE_SIZE = 2
        records = _populate(local_portal)
        more = add_records(local_portal, 3, start=BASE_TIME + 5 * HOUR, step=dt.timedelta(0))
        _add("bj", "bj-t2", *CRITERIA)
        seen: list[str] = []
        cursors = []
        root = oai(client, verb="ListRecords", metadataPrefix="oai_dc", set="query:bj-t2")
        while True:
            seen += ids(root)
            token = root.find(".//o:resumptionToken", NS)
            assert token is not None
            assert token.get("completeListSize") == "8"
            cursors.append(token.get("cursor"))
            if not token.text:
                break
            root = oai(client, verb="ListRecords", resumptionToken=token.text)
        assert seen == _oai_ids(records["wanted"] + records["wanted_later"] + more)
        assert cursors == ["0", "2", "4", "6"]


@pytest.mark.django_db
class TestCommand:
    def test_list_and_remove(self, local_portal: Any) -> None:
        _add("bj", "bj-t2", *CRITERIA)
        out = StringIO()
        call_command("oai_set", "list", "--portal", "bj", stdout=out)
        line = out.getvalue().strip()
        assert line.startswith("bj\tquery:bj-t2\tBenin resources on target 2\t")
        assert "countries: BJ" in line and "targets: GBF-TARGET-02" in line
        call_command("oai_set", "remove", "--portal", "bj", "--spec", "bj-t2", stdout=StringIO())
        assert not StoredSet.objects.exists()
        with pytest.raises(CommandError, match=r"--spec: .*has no set 'query:bj-t2'"):
            call_command("oai_set", "remove", "--portal", "bj", "--spec", "bj-t2")

    @pytest.mark.parametrize(
        ("arguments", "message"),
        [
            (("--type", "resource", "--type", "poem"), r"--type: Unknown record type\(s\): poem"),
            (("--country", "XX"), r"--country: Unknown country code\(s\): xx"),
            (("--country", "BEN"), r"--country: Unknown country code\(s\): ben"),
            (("--target", "GBF-TARGET-99"), r"--target: Unknown GBF target\(s\): GBF-TARGET-99"),
            ((), r"--type/--country/--target: Give at least one criterion"),
        ],
    )
    def test_bad_criteria(
        self, local_portal: Any, arguments: tuple[str, ...], message: str
    ) -> None:
        with pytest.raises(CommandError, match=message):
            _add("bj", "bad", *arguments)
        assert not StoredSet.objects.exists()

    @pytest.mark.parametrize("spec", ["Bad Slug", "a:b", "UPPER", "", "é"])
    def test_bad_slug(self, local_portal: Any, spec: str) -> None:
        with pytest.raises(CommandError, match=r"--spec: .* is not a slug"):
            _add("bj", spec, *CRITERIA)

    def test_duplicate_spec_and_unknown_portal(self, local_portal: Any) -> None:
        _add("bj", "bj-t2", *CRITERIA)
        with pytest.raises(CommandError, match=r"--spec: the portal bj already has a set"):
            _add("bj", "bj-t2", "--type", "event")
        assert StoredSet.objects.count() == 1
        with pytest.raises(CommandError, match=r"--portal: there is no portal 'zz'"):
            _add("zz", "bj-t2", *CRITERIA)


@pytest.mark.django_db(transaction=True)
def test_sickle_harvests_a_stored_set(live_server: Any, settings: Any) -> None:
    settings.CLEARINGHOUSE_OAI_PAGE_SIZE = 2
    portal = make_portal("bj", "BJ", hosts=["localhost"])
    records = _populate(portal)
    _add("bj", "bj-t2", *CRITERIA)
    port = live_server.url.rsplit(":", 1)[1]
    sickle = Sickle(f"http://localhost:{port}/oai", timeout=10)
    assert "query:bj-t2" in [s.setSpec for s in sickle.ListSets()]
    harvested = list(sickle.ListRecords(metadataPrefix="oai_dc", set="query:bj-t2"))
    expected = _oai_ids(records["wanted"] + records["wanted_later"], host="localhost")
    assert [r.header.identifier for r in harvested] == expected
    assert all("query:bj-t2" in r.header.setSpecs for r in harvested)
    headers = list(sickle.ListIdentifiers(metadataPrefix="cbd", set="query:bj-t2"))
    assert [h.identifier for h in headers] == expected
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListRecords(metadataPrefix="oai_dc", set="query:nosuchset"))
