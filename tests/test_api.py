"""The JSON API, through HTTP on a portal's host name: tokens, drafts, workflow, errors."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.api.auth import issue_token
from clearinghouse.portals.models import Role
from clearinghouse.records.models import ApiToken, Draft, Record
from clearinghouse.workflows.models import Request
from tests.factories import make_user, valid_document
from tests.helpers import Api, draft, published

pytestmark = pytest.mark.django_db


def _new(api: Api, schema: str = "resource", **changes: Any) -> Any:
    return api.post(
        "/drafts", {"schema_name": schema, "document": valid_document(schema, **changes)}
    )


# --- tokens -----------------------------------------------------------------------------
def test_token_authenticates_its_user(benin: Any, amina: Any) -> None:
    token = issue_token(amina, "laptop")
    assert token.startswith("ch_")
    stored = ApiToken.objects.get(user=amina)
    assert token not in stored.key_hash  # only a hash is kept
    api = Api("bj.testserver")
    api.headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    response = _new(api)
    assert response.status_code == 201
    assert Record.objects.get(uid=response.json()["uid"]).created_by == amina
    stored.refresh_from_db()
    assert stored.last_used_at is not None


@pytest.mark.parametrize("header", ["Bearer ch_not-a-real-token", "Bearer ", "Basic abc", ""])
def test_bad_or_missing_token_is_401(benin: Any, header: str) -> None:
    api = Api("bj.testserver")
    if header:
        api.headers["HTTP_AUTHORIZATION"] = header
    assert _new(api).status_code == 401
    assert not Record.objects.exists()


def test_token_of_deactivated_user_is_refused(benin: Any, amina: Any) -> None:
    api = Api("bj.testserver", amina)
    amina.is_active = False
    amina.save()
    assert _new(api).status_code == 401


def test_create_api_token_command_prints_a_working_token(benin: Any, amina: Any) -> None:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("create_api_token", "amina", stdout=out)
    api = Api("bj.testserver")
    api.headers["HTTP_AUTHORIZATION"] = f"Bearer {out.getvalue().strip()}"
    assert _new(api).status_code == 201


# --- drafts -------------------------------------------------------------------------------
def test_draft_crud(benin: Any, amina: Any) -> None:
    api = Api("bj.testserver", amina)
    created = _new(api)
    assert created.status_code == 201
    body = created.json()
    uid = body["uid"]
    assert uid.startswith("bj-")
    assert body["schema_name"] == "resource"
    assert body["under_review"] is False
    assert body["document"]["header"] == {
        "languages": ["fr", "en"],
        "schema": "resource",
        "identifier": uid,
    }
    assert body["document"]["government"] == {"identifier": "bj"}

    assert api.get(f"/drafts/{uid}").json()["document"]["authors"] == "A. Author"
    assert [d["uid"] for d in api.get("/drafts").json()] == [uid]

    changed = valid_document("resource", authors="B. Author")
    updated = api.put(f"/drafts/{uid}", {"document": changed})
    assert updated.status_code == 200
    assert updated.json()["document"]["authors"] == "B. Author"
    assert api.get(f"/drafts/{uid}").json()["document"]["authors"] == "B. Author"
    # Saving through the API does not leave an edit lock behind.
    assert Draft.objects.get(record__uid=uid).locked_by is None

    assert api.delete(f"/drafts/{uid}").status_code == 204
    assert api.get(f"/drafts/{uid}").status_code == 404
    assert not Record.objects.filter(uid=uid).exists()


def test_lenient_draft_may_be_incomplete(benin: Any, amina: Any) -> None:
    api = Api("bj.testserver", amina)
    response = api.post(
        "/drafts",
        {"schema_name": "event", "document": {"title": {"fr": "Atelier"}}, "strict": False},
    )
    assert response.status_code == 201
    uid = response.json()["uid"]
    # ... but it cannot be sent for publication until complete.
    refused = api.post(f"/drafts/{uid}/request-publication")
    assert refused.status_code == 400
    assert {e["property"] for e in refused.json()["errors"]} >= {"eventType", "startDate"}
    assert not Request.objects.exists()


def test_contact_is_published_on_save(benin: Any, amina: Any) -> None:
    api = Api("bj.testserver", amina)
    response = _new(api, "contact")
    assert response.status_code == 201
    uid = response.json()["uid"]
    assert Api("bj.testserver").get(f"/records/{uid}").json()["document"]["lastName"] == "Sow"


# --- errors in the CBD format ---------------------------------------------------------
def test_invalid_document_is_400_in_cbd_format(benin: Any, amina: Any) -> None:
    api = Api("bj.testserver", amina)
    response = _new(api, title=None, publicationDate="31/01/2025", colour="red")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"identifier", "errors"}
    assert isinstance(body["identifier"], str)
    assert {(e["code"], e["property"]) for e in body["errors"]} == {
        ("Error.Mandatory", "title"),
        ("Error.InvalidValue", "publicationDate"),
        ("Error.InvalidProperty", "colour"),
    }
    for error in body["errors"]:
        assert {"code", "property", "message"} <= set(error)
        assert error["message"]
    assert not Record.objects.exists()


def test_invalid_update_is_400_and_keeps_the_draft(benin: Any, amina: Any) -> None:
    record = draft(benin, amina)
    api = Api("bj.testserver", amina)
    response = api.put(
        f"/drafts/{record.uid}",
        {"document": valid_document("resource", resourceTypes=[{"identifier": "X"}])},
    )
    assert response.status_code == 400
    assert response.json()["identifier"] == record.uid
    assert response.json()["errors"][0]["code"] == "Error.UnexpectedTerm"
    assert Draft.objects.get(record=record).document["resourceTypes"] == [
        {"identifier": "RT-GUIDANCE"}
    ]


def test_unknown_record_type_is_400(benin: Any, amina: Any) -> None:
    response = Api("bj.testserver", amina).post(
        "/drafts", {"schema_name": "recipe", "document": {}}
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["code"], error["property"]) == ("Error.InvalidValue", "schema_name")
    assert "'recipe'" in error["message"]
    assert "nationalTarget7" in error["message"]
    listing = Api("bj.testserver").get("/records", type="recipe")
    assert listing.status_code == 400
    assert listing.json()["errors"][0]["property"] == "type"
    validation = Api("bj.testserver").post("/validate", {"schema_name": "recipe", "document": {}})
    assert validation.json()["errors"][0]["property"] == "schema_name"


def test_validate_endpoint_saves_nothing(benin: Any) -> None:
    api = Api("bj.testserver")
    ok = api.post("/validate", {"schema_name": "news", "document": valid_document("news")})
    assert ok.status_code == 200
    assert ok.json() == {"identifier": "", "errors": []}
    bad = api.post(
        "/validate", {"schema_name": "news", "document": valid_document("news", date="x")}
    )
    assert [(e["code"], e["property"]) for e in bad.json()["errors"]] == [
        ("Error.InvalidValue", "date")
    ]
    assert not Record.objects.exists()


def test_missing_draft_is_404(benin: Any, amina: Any) -> None:
    assert Api("bj.testserver", amina).get("/drafts/bj-000000000000").status_code == 404


# --- publishing and requests ----------------------------------------------------------
def test_publishing_authority_publishes_directly(benin: Any, jean: Any) -> None:
    api = Api("bj.testserver", jean)
    uid = _new(api).json()["uid"]
    response = api.post(f"/drafts/{uid}/publish")
    assert response.status_code == 200
    body = response.json()
    assert body["revision"] == 1
    assert body["title"]["en"] == "Mangrove restoration guide"
    public = Api("bj.testserver").get(f"/records/{uid}")
    assert public.status_code == 200
    assert public.json()["document"]["authors"] == "A. Author"
    # Nothing left to publish.
    assert api.post(f"/drafts/{uid}/publish").status_code == 409


def test_request_publication_then_approve(benin: Any, amina: Any, jean: Any) -> None:
    api = Api("bj.testserver", amina)
    uid = _new(api).json()["uid"]
    response = api.post(f"/drafts/{uid}/request-publication", {"note": "Nouveau", "batch_id": "b"})
    assert response.status_code == 201
    req = response.json()
    assert req["state"] == "pending"
    assert req["record"] == uid
    assert req["note"] == "Nouveau"
    assert req["actions"] == ["cancel"]
    assert api.get(f"/drafts/{uid}").json()["under_review"] is True
    # A second request for the same draft conflicts.
    assert api.post(f"/drafts/{uid}/request-publication").status_code == 409

    reviewer = Api("bj.testserver", jean)
    queue = reviewer.get("/requests", state="pending").json()
    assert [(r["id"], r["actions"]) for r in queue] == [(req["id"], ["approve", "reject"])]
    decided = reviewer.post(f"/requests/{req['id']}/approve", {"comment": "Merci"})
    assert decided.status_code == 200
    assert decided.json()["state"] == "approved"
    assert decided.json()["actions"] == []
    assert Api("bj.testserver").get(f"/records/{uid}").json()["revision"] == 1


def test_reject_needs_a_comment(benin: Any, amina: Any, jean: Any) -> None:
    api = Api("bj.testserver", amina)
    uid = _new(api).json()["uid"]
    req_id = api.post(f"/drafts/{uid}/request-publication").json()["id"]
    reviewer = Api("bj.testserver", jean)
    assert reviewer.post(f"/requests/{req_id}/reject").status_code == 403
    response = reviewer.post(f"/requests/{req_id}/reject", {"comment": "Résumé trop court"})
    assert response.status_code == 200
    assert response.json()["state"] == "rejected"
    assert response.json()["comment"] == "Résumé trop court"
    assert api.get(f"/drafts/{uid}").json()["under_review"] is False
    assert Api("bj.testserver").get(f"/records/{uid}").status_code == 404


def test_requester_approving_own_request_is_403(benin: Any, amina: Any) -> None:
    api = Api("bj.testserver", amina)
    uid = _new(api).json()["uid"]
    req_id = api.post(f"/drafts/{uid}/request-publication").json()["id"]
    response = api.post(f"/requests/{req_id}/approve")
    assert response.status_code == 403
    assert "not allowed" in response.json()["detail"]
    assert api.post(f"/requests/{req_id}/cancel").json()["state"] == "cancelled"


def test_deciding_a_closed_request_is_409(benin: Any, amina: Any, jean: Any) -> None:
    api = Api("bj.testserver", amina)
    uid = _new(api).json()["uid"]
    req_id = api.post(f"/drafts/{uid}/request-publication").json()["id"]
    reviewer = Api("bj.testserver", jean)
    assert reviewer.post(f"/requests/{req_id}/approve").status_code == 200
    response = reviewer.post(f"/requests/{req_id}/approve")
    assert response.status_code == 409
    assert "approved" in response.json()["detail"]
    assert reviewer.post(f"/requests/{req_id}/reject", {"comment": "x"}).status_code == 409


@pytest.mark.parametrize("action", ["expire", "publish", "delete"])
def test_actions_outside_the_api_are_refused(
    benin: Any, amina: Any, jean: Any, action: str
) -> None:
    api = Api("bj.testserver", amina)
    uid = _new(api).json()["uid"]
    req_id = api.post(f"/drafts/{uid}/request-publication").json()["id"]
    response = Api("bj.testserver", jean).post(f"/requests/{req_id}/{action}")
    assert response.status_code in (404, 422)
    assert Request.objects.get(pk=req_id).state == "pending"


def test_unknown_request_is_404(benin: Any, jean: Any) -> None:
    assert Api("bj.testserver", jean).post("/requests/999999/approve").status_code == 404


def test_request_deletion_through_the_api(benin: Any, amina: Any, jean: Any) -> None:
    record = published(benin, jean)
    response = Api("bj.testserver", amina).post(
        f"/records/{record.uid}/request-deletion", {"note": "obsolete"}
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "delete"
    Api("bj.testserver", jean).post(f"/requests/{response.json()['id']}/approve")
    assert Api("bj.testserver").get(f"/records/{record.uid}").status_code == 410


# --- published records ------------------------------------------------------------------
def test_list_and_get_published_records(benin: Any, peru: Any, amina: Any, jean: Any) -> None:
    news = published(benin, jean, "news")
    resource = published(benin, jean, "resource")
    draft(benin, amina, "event")  # not published: not listed
    published(peru, make_user(peru, Role.PUBLISHING_AUTHORITY), "news")  # another portal

    api = Api("bj.testserver")
    listing = api.get("/records").json()
    assert listing["count"] == 2
    assert {r["uid"] for r in listing["results"]} == {news.uid, resource.uid}
    assert api.get("/records", type="news").json()["results"][0]["uid"] == news.uid
    paged = api.get("/records", page=2, page_size=1).json()
    assert paged["pages"] == 2
    assert paged["page"] == 2
    assert len(paged["results"]) == 1

    record = api.get(f"/records/{news.uid}").json()
    assert record["schema_name"] == "news"
    assert record["document"]["body"] == {"en": "The national portal is live."}
    assert record["government"] == "bj"

    # The same identifier does not exist on Peru's portal.
    assert Api("pe.testserver").get(f"/records/{news.uid}").status_code == 404


def test_unpublished_record_is_404(benin: Any, amina: Any) -> None:
    record = draft(benin, amina)
    response = Api("bj.testserver").get(f"/records/{record.uid}")
    assert response.status_code == 404
    assert Api("bj.testserver").get("/records/bj-nothing").status_code == 404


def test_record_types_are_described(benin: Any) -> None:
    api = Api("bj.testserver")
    types = api.get("/types").json()
    assert {t["schema_name"] for t in types} >= {"resource", "nbsap", "contact"}
    nbsap = api.get("/types/nbsap").json()
    assert nbsap["national"] is True
    assert "jurisdiction" in nbsap["definition"]["required"]
    assert api.get("/types/recipe").status_code == 400


# --- OpenAPI --------------------------------------------------------------------------------
def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_openapi_document_is_valid_and_lists_the_paths(benin: Any) -> None:
    response = Api("bj.testserver").get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"]
    assert spec["info"]["version"]
    paths = spec["paths"]
    for path in [
        "/api/records",
        "/api/records/{uid}",
        "/api/drafts",
        "/api/drafts/{uid}",
        "/api/drafts/{uid}/publish",
        "/api/drafts/{uid}/request-publication",
        "/api/requests",
        "/api/requests/{pk}/{action}",
        "/api/types",
        "/api/validate",
    ]:
        assert path in paths, path
    methods = {"get", "put", "post", "delete", "patch"}
    for path, item in paths.items():
        for method, operation in item.items():
            assert method in methods | {"parameters"}, (path, method)
            if method in methods:
                assert operation["responses"], (path, method)
                assert operation.get("operationId")
    for ref in _refs(spec):
        assert ref.startswith("#/")
        node: Any = spec
        for part in ref[2:].split("/"):
            node = node[part]
    # Write calls declare bearer authentication.
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    assert paths["/api/drafts"]["post"]["security"]


def test_interactive_docs_are_served(benin: Any) -> None:
    response = Api("bj.testserver").client.get("/api/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
