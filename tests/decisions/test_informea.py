"""The InforMEA-style OData feed under /informea/."""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from typing import Any

import pytest

from clearinghouse.portals.models import Portal
from tests.factories import make_portal
from tests.federation.conftest import add_records
from tests.helpers import published, web


def _get(client: Any, path: str, **params: str) -> Any:
    return client.get(path, params)


def test_service_document(central: Any) -> None:
    response = web("cbd.testserver").get("/informea/")
    assert response.status_code == 200
    assert response.json() == {
        "d": {"EntitySets": ["Decisions", "Meetings", "Contacts", "NationalPlans"]}
    }


def test_decisions_entity(central: Any, laila: Any) -> None:
    record = published(central, laila, "decision")
    data = web("cbd.testserver").get("/informea/Decisions").json()["d"]
    assert len(data["results"]) == 1
    d = data["results"][0]
    assert d["id"] == record.uid
    assert d["treaty"] == "cbd" and d["number"] == "15/4" and d["status"] == "active"
    assert d["meetingId"] == "COP-15"
    assert {"language": "fr", "value": "Cadre mondial"} in d["title"]
    en = next(c["value"] for c in d["content"] if c["language"] == "en")
    assert "9. Requests the Executive Secretary:" in en and "(ii) online." in en
    assert d["keywords"] == ["GBF-TARGET-01"]
    assert any(f["url"].endswith(f"/decisions/{record.uid}.akn.xml?lang=fr") for f in d["files"])
    assert d["updated"].endswith("Z")


def test_incremental_filter_paging_and_order(central: Any) -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    add_records(central, 5, "event", start=start, step=dt.timedelta(days=1))
    client = web("cbd.testserver")
    page = client.get(
        "/informea/Meetings",
        {
            "$filter": "updated gt datetime'2025-01-02T00:00:00'",
            "$top": "2",
            "$inlinecount": "allpages",
        },
    ).json()["d"]
    assert page["__count"] == "3"
    assert [r["updated"] for r in page["results"]] == [
        "2025-01-03T00:00:00Z",
        "2025-01-04T00:00:00Z",
    ]
    assert "%24skip=2" in page["__next"]
    rest = client.get(page["__next"].split("testserver", 1)[1]).json()["d"]
    assert [r["updated"] for r in rest["results"]] == ["2025-01-05T00:00:00Z"]
    assert "__next" not in rest
    newest = client.get("/informea/Meetings", {"$orderby": "updated desc", "$top": "1"}).json()
    assert newest["d"]["results"][0]["updated"] == "2025-01-05T00:00:00Z"
    between = client.get(
        "/informea/Meetings",
        {
            "$filter": "updated ge datetime'2025-01-02' and "
            "updated lt datetime'2025-01-04T00:00:00Z'"
        },
    ).json()["d"]["results"]
    assert len(between) == 2


def test_contacts_and_national_plans(central: Any, benin: Any, jean: Any) -> None:
    published(benin, jean, "contact")
    published(benin, jean, "nbsap")
    client = web("bj.testserver")
    contact = client.get("/informea/Contacts").json()["d"]["results"][0]
    assert contact["country"] and contact["lastName"] and contact["email"]
    plan = client.get("/informea/NationalPlans").json()["d"]["results"][0]
    assert plan["country"] == "BJ" and plan["type"] == "nbsap" and plan["title"]
    # Each portal serves its own records.
    assert web("cbd.testserver").get("/informea/NationalPlans").json()["d"]["results"] == []


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"$top": "0"}, "$top must be a whole number from 1 to 1000"),
        ({"$top": "abc"}, "$top must be a whole number"),
        ({"$skip": "-1"}, "$skip must be a whole number"),
        ({"$filter": "title eq 'x'"}, "$filter: “title eq 'x'” is not understood"),
        ({"$filter": "updated gt datetime'2025-13-45T00:00:00'"}, "is not a valid date and time"),
        ({"$orderby": "title"}, "$orderby: “title” is not supported"),
        ({"$orderby": "updated sideways"}, "must be asc or desc"),
        ({"$format": "xml"}, "$format: only json is offered"),
        ({"$expand": "files"}, "$expand is not a supported query option"),
        ({"$inlinecount": "some"}, "$inlinecount must be allpages or none"),
    ],
)
def test_bad_parameters_are_clear_400s(central: Any, params: dict, needle: str) -> None:
    response = web("cbd.testserver").get("/informea/Decisions", params)
    assert response.status_code == 400
    assert needle in response.json()["error"]["message"]["value"]


def test_unknown_entity_set(central: Any) -> None:
    response = web("cbd.testserver").get("/informea/CountryReports")
    assert response.status_code == 404
    assert (
        "Decisions, Meetings, Contacts, NationalPlans"
        in response.json()["error"]["message"]["value"]
    )


def test_deleted_and_unpublished_records_are_not_served(central: Any) -> None:
    add_records(central, 2, "event", deleted=True)
    assert web("cbd.testserver").get("/informea/Meetings").json()["d"]["results"] == []


@pytest.mark.django_db(transaction=True)
def test_over_real_http(live_server: Any, vocab: Any) -> None:
    make_portal("central", "", hosts=["localhost"], kind="central", languages=["en"])
    add_records(Portal.objects.get(code="central"), 3, "event")
    url = (
        f"{live_server.url.replace('127.0.0.1', 'localhost')}/informea/Meetings?$top=2&$format=json"
    )
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.headers["Content-Type"].startswith("application/json")
        body = json.loads(response.read())
    assert len(body["d"]["results"]) == 2 and "__next" in body["d"]
