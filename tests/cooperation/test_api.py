"""The cooperation API: submit, suggestions with explanations, confirm, actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from clearinghouse.api.auth import issue_token

pytestmark = pytest.mark.django_db


def bearer(user: Any, host: str = "testserver") -> Client:
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")


def test_api_journey(
    carlos_record: Any,
    carlos: Any,
    helpdesk: Any,
    chile_institute: Any,
    chinese_institute: Any,
) -> None:
    carlos_api = bearer(carlos, "pe.testserver")
    created = carlos_api.post(
        "/api/cooperation/requests",
        {"uid": carlos_record.uid, "note": "Urgente"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["state"] == "submitted"
    desk = bearer(helpdesk)
    # the requester cannot validate
    refused = carlos_api.post(
        f"/api/cooperation/requests/{pk}/actions/validate", {}, content_type="application/json"
    )
    assert refused.status_code == 403
    ok = desk.post(
        f"/api/cooperation/requests/{pk}/actions/validate", {}, content_type="application/json"
    )
    assert ok.json()["state"] == "validated"
    ranked = carlos_api.get(
        f"/api/cooperation/requests/{pk}/suggestions", HTTP_ACCEPT_LANGUAGE="es"
    ).json()
    assert [r["profile"] for r in ranked] == [chile_institute.uid]
    assert {c["name"] for c in ranked[0]["components"]} == {
        "targets",
        "subjects",
        "text",
        "track_record",
        "proximity",
        "balance",
    }
    assert all(c["explanation"] for c in ranked[0]["components"])
    fits = bearer(chile_institute.created_by).get(
        f"/api/cooperation/providers/{chile_institute.uid}/requests"
    )
    assert [f["request"] for f in fits.json()] == [pk]
    pinned = desk.post(
        f"/api/cooperation/requests/{pk}/overrides",
        {"profile": chinese_institute.uid, "mode": "pin"},
        content_type="application/json",
    )
    assert pinned.status_code == 200
    confirmed = desk.post(
        f"/api/cooperation/requests/{pk}/confirm",
        {"profile": chile_institute.uid},
        content_type="application/json",
    )
    assert confirmed.json()["state"] == "matched"
    assert confirmed.json()["match"]["profile"] == chile_institute.uid
    illegal = desk.post(
        f"/api/cooperation/requests/{pk}/actions/complete",
        {"comment": "too early"},
        content_type="application/json",
    )
    assert illegal.status_code == 409
    assert desk.get("/api/cooperation/indicators").json()["by_state"]["matched"] == 1
    assert carlos_api.get("/api/cooperation/indicators").status_code == 403
