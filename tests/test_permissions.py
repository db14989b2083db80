"""Who may see and do what: portals are sealed from each other, and each role has limits."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.portals.models import PortalKind, Role
from clearinghouse.records import services
from clearinghouse.records.models import Draft, Record
from clearinghouse.workflows import engine
from clearinghouse.workflows.models import Request
from clearinghouse.workflows.publication import request_publication
from tests.factories import make_portal, make_user, valid_document
from tests.helpers import Api, draft, published, web

pytestmark = pytest.mark.django_db


@pytest.fixture
def pedro(peru: Any) -> Any:
    """Publishing authority of Peru: powerful at home, nobody in Benin."""
    return make_user(peru, Role.PUBLISHING_AUTHORITY, Role.MANAGER, username="pedro")


@pytest.fixture
def central(db: Any) -> Any:
    return make_portal(
        "chm", "", hosts=["chm.testserver"], kind=PortalKind.CENTRAL, languages=["en", "fr"]
    )


# --- one portal's drafts are invisible to another portal's users -------------------------
def test_other_portal_user_cannot_see_drafts_on_the_web(benin: Any, amina: Any, pedro: Any) -> None:
    record = draft(benin, amina)
    for host in ("bj.testserver", "pe.testserver"):
        client = web(host, pedro)
        assert client.get(f"/en/editor/drafts/{record.uid}/").status_code == 404
        assert "Mangrove" not in client.get("/en/editor/").content.decode()
    # Not published, so not public either.
    assert web("bj.testserver", pedro).get(f"/en/r/{record.uid}/").status_code == 404


def test_other_portal_user_cannot_see_drafts_through_the_api(
    benin: Any, amina: Any, pedro: Any
) -> None:
    record = draft(benin, amina)
    for host in ("bj.testserver", "pe.testserver"):
        api = Api(host, pedro)
        assert api.get(f"/drafts/{record.uid}").status_code == 404
        assert api.get("/drafts").json() == []
    assert Api("bj.testserver", amina).get(f"/drafts/{record.uid}").status_code == 200


def test_other_portal_user_cannot_change_drafts(benin: Any, amina: Any, pedro: Any) -> None:
    record = draft(benin, amina)
    api = Api("bj.testserver", pedro)
    changed = valid_document("resource", authors="Intruder")
    assert api.put(f"/drafts/{record.uid}", {"document": changed}).status_code == 404
    assert api.delete(f"/drafts/{record.uid}").status_code == 404
    assert api.post(f"/drafts/{record.uid}/publish").status_code == 404
    assert api.post(f"/drafts/{record.uid}/request-publication").status_code == 404
    # Creating on Benin's portal is refused too.
    body = {"schema_name": "resource", "document": valid_document("resource")}
    assert api.post("/drafts", body).status_code == 403
    with pytest.raises(services.Forbidden):
        services.update_draft(record, pedro, changed)
    with pytest.raises(services.Forbidden):
        services.publish(record, pedro)
    response = web("bj.testserver", pedro).post(
        f"/en/editor/drafts/{record.uid}/", {"action": "publish", "authors": "Intruder"}
    )
    assert response.status_code == 404
    assert Draft.objects.get(record=record).document["authors"] == "A. Author"
    assert not Record.objects.get(pk=record.pk).is_public


def test_other_portal_user_cannot_decide_requests(benin: Any, amina: Any, pedro: Any) -> None:
    req = request_publication(draft(benin, amina), amina)
    for host in ("bj.testserver", "pe.testserver"):
        response = Api(host, pedro).post(f"/requests/{req.pk}/approve", {"comment": "ok"})
        assert response.status_code == 404
        assert Api(host, pedro).get("/requests").json() == []
        client = web(host, pedro)
        assert client.get(f"/en/editor/requests/{req.pk}/").status_code == 404
        client.post(f"/en/editor/requests/{req.pk}/decide/", {"action": "approve"})
    with pytest.raises(engine.NotAllowed):
        engine.perform(req, "approve", pedro)
    assert Request.objects.get(pk=req.pk).state == "pending"
    assert web("bj.testserver", pedro).get("/en/editor/reviews/").status_code == 404


def test_roles_on_one_portal_do_not_apply_on_another(
    benin: Any, peru: Any, amina: Any, jean: Any
) -> None:
    # Jean publishes in Benin; on Peru's host he has no rights at all.
    record = draft(peru, make_user(peru, Role.AUTHORIZED_USER))
    assert Api("pe.testserver", jean).get(f"/drafts/{record.uid}").status_code == 404
    assert web("pe.testserver", jean).get("/en/editor/new/resource/").status_code == 404


# --- readers and contributors -----------------------------------------------------------
def test_reader_cannot_draft(benin: Any) -> None:
    reader = make_user(benin, Role.READER)
    with pytest.raises(services.Forbidden):
        services.create_draft(benin, reader, "resource", valid_document("resource"))
    body = {"schema_name": "resource", "document": valid_document("resource")}
    assert Api("bj.testserver", reader).post("/drafts", body).status_code == 403
    client = web("bj.testserver", reader)
    assert client.get("/en/editor/new/resource/").status_code == 404
    assert client.get("/en/editor/import/resource/").status_code == 404
    assert not Record.objects.exists()


def test_reader_does_not_see_drafts(benin: Any, amina: Any) -> None:
    reader = make_user(benin, Role.READER)
    record = draft(benin, amina)
    api = Api("bj.testserver", reader)
    assert api.get("/drafts").json() == []
    assert api.get(f"/drafts/{record.uid}").status_code == 404


def test_contributor_drafts_but_cannot_request_or_publish(benin: Any, jean: Any) -> None:
    contributor = make_user(benin, Role.CONTRIBUTOR)
    record = draft(benin, contributor)
    with pytest.raises(services.Forbidden):
        request_publication(record, contributor)
    with pytest.raises(services.Forbidden):
        services.publish(record, contributor)
    api = Api("bj.testserver", contributor)
    assert api.get(f"/drafts/{record.uid}").status_code == 200
    assert api.post(f"/drafts/{record.uid}/request-publication").status_code == 403
    assert api.post(f"/drafts/{record.uid}/publish").status_code == 403
    assert not Request.objects.exists()
    # The publishing authority can take it from there.
    services.publish(record, jean)
    assert Record.objects.get(pk=record.pk).is_public


def test_authorized_user_requests_but_cannot_publish(benin: Any, amina: Any) -> None:
    record = draft(benin, amina)
    api = Api("bj.testserver", amina)
    response = api.post(f"/drafts/{record.uid}/publish")
    assert response.status_code == 403
    assert "request publication" in response.json()["detail"]
    assert api.post(f"/drafts/{record.uid}/request-publication").status_code == 201
    page = web("bj.testserver", amina).get(f"/en/editor/drafts/{record.uid}/")
    assert 'value="publish"' not in page.content.decode()


def test_authorized_user_has_no_review_queue(benin: Any, amina: Any, jean: Any) -> None:
    assert web("bj.testserver", amina).get("/en/editor/reviews/").status_code == 404
    assert web("bj.testserver", jean).get("/en/editor/reviews/").status_code == 200


# --- reference records on the central portal -------------------------------------------
def test_secretariat_approves_reference_records_on_the_central_portal(central: Any) -> None:
    author = make_user(central, Role.AUTHORIZED_USER)
    authority = make_user(central, Role.PUBLISHING_AUTHORITY)
    secretariat = make_user(central, Role.SECRETARIAT)
    record = draft(central, author, "resource")
    req = request_publication(record, author)
    # A publishing authority cannot approve a reference record (not owned by a country).
    with pytest.raises(engine.NotAllowed):
        engine.perform(req, "approve", authority)
    with pytest.raises(services.Forbidden):
        services.publish(record, authority)
    response = Api("chm.testserver", secretariat).post(f"/requests/{req.pk}/approve")
    assert response.status_code == 200
    assert response.json()["state"] == "approved"
    assert Record.objects.get(pk=record.pk).is_public


def test_secretariat_has_no_say_on_national_portals(benin: Any, amina: Any) -> None:
    secretariat = make_user(benin, Role.SECRETARIAT)
    req = request_publication(draft(benin, amina), amina)
    with pytest.raises(engine.NotAllowed):
        engine.perform(req, "approve", secretariat)


def test_reference_record_on_central_is_not_owned_by_a_country(central: Any) -> None:
    secretariat = make_user(central, Role.SECRETARIAT, Role.AUTHORIZED_USER)
    record = published(central, secretariat, "resource")
    assert record.government == ""
    assert "government" not in record.published.document


# --- anonymous visitors ---------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [
        "/en/editor/",
        "/en/editor/new/resource/",
        "/en/editor/reviews/",
        "/en/editor/import/resource/",
        "/fr/editor/",
    ],
)
def test_anonymous_cannot_reach_the_editor(benin: Any, path: str) -> None:
    response = web("bj.testserver").get(path)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_anonymous_cannot_see_drafts_through_the_editor(benin: Any, amina: Any) -> None:
    record = draft(benin, amina)
    response = web("bj.testserver").get(f"/en/editor/drafts/{record.uid}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_anonymous_api_writes_are_refused(benin: Any, amina: Any) -> None:
    record = draft(benin, amina)
    api = Api("bj.testserver")
    body = {"schema_name": "resource", "document": valid_document("resource")}
    assert api.post("/drafts", body).status_code == 401
    assert api.get("/drafts").status_code == 401
    assert api.get(f"/drafts/{record.uid}").status_code == 401
    assert api.post(f"/drafts/{record.uid}/publish").status_code == 401
    assert Record.objects.count() == 1
