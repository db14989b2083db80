"""Small grants: deadline, screening, reviewers, decisions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from clearinghouse.cooperation import grants
from clearinghouse.cooperation.services import CooperationError
from clearinghouse.workflows import engine
from tests.cooperation.conftest import publish_call
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PROPOSAL = {
    "title": "外来入侵植物早期预警",
    "summary": "Early warning of invasive plants along the Belt and Road corridors.",
    "amount": 18000,
    "country": "cn",
    "organizationType": "OT-ACADEMIC",
}


def _future(days: int) -> str:
    return (timezone.now() + dt.timedelta(days=days)).date().isoformat()


@pytest.fixture
def call(central: Any, helpdesk: Any) -> Any:
    return publish_call(
        central,
        helpdesk,
        applicationDeadline=_future(10),
        maxAmount=20000,
        eligibleRegions=[{"identifier": "m49-142"}, {"identifier": "m49-002"}],
        eligibleOrganizationTypes=[{"identifier": "OT-ACADEMIC"}, {"identifier": "OT-NGO"}],
    )


@pytest.fixture
def chen(central: Any) -> Any:
    return make_user(username="drchen")


def test_late_submission_is_refused_and_the_draft_kept(call: Any, chen: Any) -> None:
    proposal = grants.start_proposal(call, chen, PROPOSAL)
    assert proposal.state == grants.DRAFT
    doc = call.published.document
    doc["applicationDeadline"] = (timezone.now() - dt.timedelta(days=1)).date().isoformat()
    call.published.save()
    with pytest.raises(grants.DeadlinePassed, match="Your draft is kept"):
        grants.submit_proposal(proposal, chen)
    proposal.refresh_from_db()
    assert proposal.state == grants.DRAFT and proposal.data["proposal"]["amount"] == 18000
    with pytest.raises(grants.DeadlinePassed):
        grants.start_proposal(call, chen, PROPOSAL)


def test_on_time_submission_screening_reviews_award(
    call: Any, chen: Any, helpdesk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    proposal = grants.start_proposal(call, chen, PROPOSAL)
    proposal = grants.update_proposal(proposal, chen, {**PROPOSAL, "amount": 19000})
    proposal = grants.submit_proposal(proposal, chen)
    assert proposal.state == grants.SUBMITTED
    with pytest.raises(engine.IllegalTransition):
        grants.update_proposal(proposal, chen, PROPOSAL)
    proposal = grants.screen(proposal, helpdesk)
    assert proposal.state == grants.UNDER_REVIEW and proposal.data["screening"]["eligible"]
    r1, r2 = make_user(username="rev1"), make_user(username="rev2")
    with pytest.raises(CooperationError):
        grants.assign_reviewers(proposal, helpdesk, ["drchen"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        grants.assign_reviewers(proposal, helpdesk, ["rev1", "rev2"])
    assert set(mail.outbox[0].to) == {"rev1@example.org", "rev2@example.org"}
    grants.review(proposal, r1, 4, "Solid")
    with pytest.raises(engine.NotAllowed):
        engine.perform(proposal, "award", helpdesk)  # one review is missing
    with pytest.raises(engine.NotAllowed):
        grants.review(proposal, chen, 5)
    grants.review(proposal, r2, 5)
    assert grants.average_score(proposal) == 4.5
    proposal = engine.perform(proposal, "award", helpdesk)
    assert proposal.state == grants.AWARDED


def test_screening_out_gives_reasons(call: Any, helpdesk: Any) -> None:
    applicant = make_user(username="far")
    proposal = grants.start_proposal(
        call,
        applicant,
        {**PROPOSAL, "country": "pe", "organizationType": "OT-PRIVATE", "amount": 50000},
    )
    grants.submit_proposal(proposal, applicant)
    proposal = grants.screen(proposal, helpdesk)
    assert proposal.state == grants.INELIGIBLE
    assert len(proposal.data["screening"]["reasons"]) == 3


def test_only_the_helpdesk_screens_and_decides(call: Any, chen: Any) -> None:
    proposal = grants.submit_proposal(grants.start_proposal(call, chen, PROPOSAL), chen)
    with pytest.raises(engine.NotAllowed):
        grants.screen(proposal, chen)
    assert engine.perform(proposal, "withdraw", chen).state == grants.WITHDRAWN


def test_dr_chen_in_the_browser(call: Any, chen: Any, helpdesk: Any) -> None:
    from django.test import Client

    from tests.factories import PASSWORD

    client = Client(HTTP_HOST="testserver")
    assert client.login(username="drchen", password=PASSWORD)
    listing = client.get("/en/cooperation/grants/")
    assert listing.status_code == 200 and f"/grants/{call.uid}/apply/" in listing.content.decode()
    response = client.post(f"/en/cooperation/grants/{call.uid}/apply/", PROPOSAL)
    assert response.status_code == 302
    proposal = grants.Request.objects.get(kind=grants.KIND)
    page = f"/en/cooperation/proposals/{proposal.pk}/"
    assert PROPOSAL["title"] in client.get(page).content.decode()
    # the deadline passes: the late attempt is refused clearly, the draft stays
    doc = call.published.document
    doc["applicationDeadline"] = (timezone.now() - dt.timedelta(days=1)).date().isoformat()
    call.published.save()
    followed = client.post(f"{page}do/", {"op": "submit"}, follow=True)
    proposal.refresh_from_db()
    assert proposal.state == grants.DRAFT
    assert "Your draft is kept" in followed.content.decode()
    assert PROPOSAL["title"] in followed.content.decode()


def test_grants_api(call: Any, chen: Any, helpdesk: Any) -> None:
    from django.test import Client

    from clearinghouse.api.auth import issue_token

    def bearer(user: Any) -> Client:
        return Client(HTTP_HOST="testserver", HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")

    chen_api, desk = bearer(chen), bearer(helpdesk)
    calls = Client(HTTP_HOST="testserver").get("/api/cooperation/grants/calls").json()
    assert [c["uid"] for c in calls] == [call.uid] and calls[0]["open"]
    created = chen_api.post(
        f"/api/cooperation/grants/calls/{call.uid}/proposals",
        PROPOSAL,
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    base = f"/api/cooperation/grants/proposals/{pk}"
    assert chen_api.post(f"{base}/submit", {}, content_type="application/json").json()["state"] == (
        "submitted"
    )
    screened = desk.post(f"{base}/screen", {}, content_type="application/json").json()
    assert screened["state"] == "under_review"
    make_user(username="rev1")
    bad = desk.post(f"{base}/reviewers", {"names": []}, content_type="application/json")
    assert bad.status_code == 400
    ok = desk.post(f"{base}/reviewers", {"usernames": ["rev1"]}, content_type="application/json")
    assert ok.json()["reviewers"] == 1
    late = chen_api.post(f"{base}/submit", {}, content_type="application/json")
    assert late.status_code == 409  # already submitted


def test_late_submission_over_the_api(call: Any, chen: Any) -> None:
    from django.test import Client

    from clearinghouse.api.auth import issue_token

    proposal = grants.start_proposal(call, chen, PROPOSAL)
    call.published.document["applicationDeadline"] = "2020-01-01"
    call.published.save()
    client = Client(HTTP_HOST="testserver", HTTP_AUTHORIZATION=f"Bearer {issue_token(chen)}")
    response = client.post(
        f"/api/cooperation/grants/proposals/{proposal.pk}/submit",
        {},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "2020-01-01 23:59" in response.json()["detail"]
    proposal.refresh_from_db()
    assert proposal.state == grants.DRAFT
