"""Funded projects: the lifecycle after the award, progress and final reports, the dashboard."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from clearinghouse.cooperation import dashboard, grants
from clearinghouse.cooperation.services import CooperationError
from clearinghouse.workflows import engine
from clearinghouse.workflows.models import Request, RequestEvent
from tests.cooperation.conftest import publish_call
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 24)
PROPOSAL = {
    "title": "Alerta temprana de especies invasoras",
    "summary": "Early warning of invasive species in the Andes.",
    "amount": 18000,
    "country": "pe",
    "organizationType": "OT-ACADEMIC",
}


@pytest.fixture
def call(central: Any, helpdesk: Any) -> Any:
    future = (timezone.now() + dt.timedelta(days=10)).date().isoformat()
    return publish_call(central, helpdesk, applicationDeadline=future)


@pytest.fixture
def grantee(central: Any) -> Any:
    return make_user(username="grantee")


@pytest.fixture
def awarded(call: Any, grantee: Any, helpdesk: Any) -> Request:
    """A proposal taken through submission, screening and one review to the award."""
    proposal = grants.submit_proposal(grants.start_proposal(call, grantee, PROPOSAL), grantee)
    proposal = grants.screen(proposal, helpdesk)
    reviewer = make_user(username="rev1")
    grants.assign_reviewers(proposal, helpdesk, ["rev1"])
    grants.review(proposal, reviewer, 4)
    proposal = engine.perform(proposal, "award", helpdesk, "Good")
    assert proposal.state == grants.AWARDED
    return proposal


def _final(item: Request, user: Any) -> Request:
    return grants.final_report(item, user, "We mapped 12 sites.", "An early-warning network.")


# --- transitions -------------------------------------------------------------------------------
def test_grantee_starts_with_the_actual_date(awarded: Request, grantee: Any) -> None:
    item = grants.start_project(awarded, grantee, "2026-12-01")
    assert item.state == grants.RUNNING
    assert grants.project(item)["startedOn"] == "2026-12-01"
    assert item.decided_at is not None and item.comment == "Good"  # the award stays the decision
    assert RequestEvent.objects.filter(request=item, action="start", comment="2026-12-01").exists()


def test_helpdesk_may_start_but_others_may_not(awarded: Request, helpdesk: Any) -> None:
    with pytest.raises(engine.NotAllowed):
        grants.start_project(awarded, make_user(username="stranger"), "2026-12-01")
    with pytest.raises(CooperationError, match="YYYY-MM-DD"):
        grants.start_project(awarded, helpdesk, "1 December")
    assert grants.start_project(awarded, helpdesk, "2026-12-01").state == grants.RUNNING


def test_start_is_refused_before_the_award(call: Any, grantee: Any) -> None:
    proposal = grants.submit_proposal(grants.start_proposal(call, grantee, PROPOSAL), grantee)
    with pytest.raises(engine.IllegalTransition, match="Cannot start a request that is submitted"):
        grants.start_project(proposal, grantee, "2026-12-01")


def test_full_lifecycle_with_finishing(
    awarded: Request, grantee: Any, helpdesk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    item = grants.start_project(awarded, grantee, "2026-12-01")
    with pytest.raises(engine.IllegalTransition):
        engine.perform(item, "start", grantee)  # already running
    item = engine.perform(item, "finish", grantee)
    assert item.state == grants.FINISHING
    with pytest.raises(engine.IllegalTransition):
        engine.perform(item, "finish", grantee)  # already finishing
    with pytest.raises(engine.IllegalTransition, match="final report"):
        grants.accept_report(item, helpdesk)  # no final report yet
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        item = _final(item, grantee)
    assert [m.to for m in mail.outbox] == [["laila@example.org"]]
    assert "Final report" in mail.outbox[0].subject
    with pytest.raises(engine.NotAllowed):
        grants.accept_report(item, grantee)  # only the helpdesk accepts
    item = grants.accept_report(item, helpdesk, "Thank you")
    assert item.state == grants.COMPLETED
    for action in ("start", "finish", "terminate", "accept_report", "award"):
        with pytest.raises(engine.IllegalTransition):
            engine.perform(item, action, helpdesk, "x")
    with pytest.raises(engine.IllegalTransition):
        _final(item, grantee)


def test_complete_straight_from_running(awarded: Request, grantee: Any, helpdesk: Any) -> None:
    item = _final(grants.start_project(awarded, grantee, "2026-12-01"), grantee)
    assert grants.accept_report(item, helpdesk).state == grants.COMPLETED


def test_the_final_report_is_not_sent_by_email_before_the_commit(
    awarded: Request, grantee: Any
) -> None:
    item = grants.start_project(awarded, grantee, "2026-12-01")
    mail.outbox.clear()
    _final(item, grantee)  # the test transaction never commits
    assert mail.outbox == []


def test_terminate_needs_the_helpdesk_and_a_comment(
    awarded: Request, grantee: Any, helpdesk: Any
) -> None:
    item = grants.start_project(awarded, grantee, "2026-12-01")
    with pytest.raises(engine.NotAllowed):
        engine.perform(item, "terminate", grantee, "I give up")
    with pytest.raises(engine.NotAllowed, match="comment"):
        engine.perform(item, "terminate", helpdesk, "")
    item = engine.perform(item, "terminate", helpdesk, "No activity for a year")
    assert item.state == grants.TERMINATED
    for action in ("start", "finish", "terminate", "accept_report"):
        with pytest.raises(engine.IllegalTransition):
            engine.perform(item, action, helpdesk, "x")
    with pytest.raises(engine.IllegalTransition):
        grants.progress_report(item, grantee, "2027-01-01", "late", 10)


def test_an_awarded_project_may_be_terminated_before_it_starts(
    awarded: Request, helpdesk: Any
) -> None:
    assert engine.perform(awarded, "terminate", helpdesk, "Declined the grant").state == (
        grants.TERMINATED
    )


def test_project_actions_are_refused_on_declined_proposals(call: Any, grantee: Any) -> None:
    item = Request.objects.create(
        kind=grants.KIND, portal=call.portal, record=call, state=grants.DECLINED, data={}
    )
    for action in ("start", "finish", "accept_report", "terminate"):
        with pytest.raises(engine.IllegalTransition):
            engine.perform(item, action, None, "x")


def test_finish_and_accept_only_from_their_states(awarded: Request, helpdesk: Any) -> None:
    with pytest.raises(engine.IllegalTransition, match="Cannot finish a request that is awarded"):
        engine.perform(awarded, "finish", helpdesk)
    with pytest.raises(engine.IllegalTransition):
        grants.accept_report(awarded, helpdesk)


# --- reports -----------------------------------------------------------------------------------
def test_progress_reports(awarded: Request, grantee: Any, helpdesk: Any) -> None:
    with pytest.raises(engine.IllegalTransition, match="running projects"):
        grants.progress_report(awarded, grantee, "2026-12-01", "Not started", 0)
    item = grants.start_project(awarded, grantee, "2026-12-01")
    with pytest.raises(engine.NotAllowed):
        grants.progress_report(item, helpdesk, "2027-01-01", "x", 10)
    for bad in (-1, 101, "lots", None):
        with pytest.raises(CooperationError, match="spent"):
            grants.progress_report(item, grantee, "2027-01-01", "Sites chosen", bad)
    with pytest.raises(CooperationError, match="YYYY-MM-DD"):
        grants.progress_report(item, grantee, "", "Sites chosen", 10)
    with pytest.raises(CooperationError):
        grants.progress_report(item, grantee, "2027-01-01", "  ", 10)
    grants.progress_report(item, grantee, "2027-01-01", "Sites chosen", 10)
    item = engine.perform(item, "finish", grantee)
    grants.progress_report(item, grantee, "2027-06-01", "Traps installed", "55.5")
    reports = grants.project(item)["reports"]
    assert [(r["date"], r["spent"]) for r in reports] == [("2027-01-01", 10), ("2027-06-01", 55.5)]
    assert RequestEvent.objects.filter(request=item, action="progress_report").count() == 2
    assert item.state == grants.FINISHING  # reports change no state


def test_final_report_is_checked(awarded: Request, grantee: Any, helpdesk: Any) -> None:
    item = grants.start_project(awarded, grantee, "2026-12-01")
    with pytest.raises(CooperationError):
        grants.final_report(item, grantee, "", "results")
    with pytest.raises(CooperationError, match="link"):
        grants.final_report(item, grantee, "s", "r", "javascript:alert(1)")
    with pytest.raises(engine.NotAllowed):
        grants.final_report(item, helpdesk, "s", "r")
    item = grants.final_report(item, grantee, "s", "r", "https://example.org/report.pdf")
    assert grants.project(item)["final_report"]["link"] == "https://example.org/report.pdf"
    assert item.state == grants.RUNNING  # waits for the helpdesk


# --- pages and API ------------------------------------------------------------------------------
def test_pages_for_grantee_and_helpdesk(awarded: Request, grantee: Any, helpdesk: Any) -> None:
    client = Client(HTTP_HOST="testserver")
    assert client.login(username="grantee", password=PASSWORD)
    page = f"/en/cooperation/proposals/{awarded.pk}/"
    html = client.get(page).content.decode()
    assert 'value="start"' in html and "<script" not in html
    client.post(f"{page}do/", {"op": "start", "started_on": "2026-12-01"})
    progress = {"op": "progress", "date": "2027-01-01", "text": "Sites", "spent": 10}
    client.post(f"{page}do/", progress)
    client.post(f"{page}do/", {"op": "final_report", "summary": "Done", "results": "Network"})
    awarded.refresh_from_db()
    assert awarded.state == grants.RUNNING
    html = client.get(page).content.decode()
    assert "Sites" in html and "2027-01-01" in html and "Network" in html
    assert 'value="accept_report"' not in html  # not for the grantee
    desk = Client(HTTP_HOST="testserver")
    assert desk.login(username="laila", password=PASSWORD)
    listing = desk.get("/en/cooperation/grants/").content.decode()
    assert listing.index("Final reports to accept") < listing.rindex(PROPOSAL["title"])
    html = desk.get(page).content.decode()
    assert 'value="accept_report"' in html and 'value="terminate"' in html
    followed = desk.post(f"{page}do/", {"op": "terminate", "comment": ""}, follow=True)
    assert "comment" in followed.content.decode()
    desk.post(f"{page}do/", {"op": "accept_report", "comment": "Thanks"})
    awarded.refresh_from_db()
    assert awarded.state == grants.COMPLETED


def test_api(awarded: Request, grantee: Any, helpdesk: Any) -> None:
    from clearinghouse.api.auth import issue_token

    def bearer(user: Any) -> Client:
        return Client(HTTP_HOST="testserver", HTTP_AUTHORIZATION=f"Bearer {issue_token(user)}")

    me, desk = bearer(grantee), bearer(helpdesk)
    base = f"/api/cooperation/grants/proposals/{awarded.pk}"

    def post(client: Client, op: str, **body: Any) -> Any:
        return client.post(f"{base}/{op}", body, content_type="application/json")

    assert post(me, "finish").status_code == 409  # not running yet
    started = post(me, "start", date="2026-12-01").json()
    assert started["state"] == "running" and started["project"]["startedOn"] == "2026-12-01"
    report = post(me, "progress", date="2027-01-01", text="Sites chosen", spent=10).json()
    assert report["project"]["reports"][0]["spent"] == 10
    assert post(desk, "accept_report").status_code == 409  # no final report
    assert post(me, "final_report", summary="Done", results="Network").status_code == 200
    assert post(me, "accept_report").status_code == 403
    done = post(desk, "accept_report", comment="Thanks").json()
    assert done["state"] == "completed" and done["project"]["final_report"]["summary"] == "Done"
    assert post(desk, "terminate", comment="x").status_code == 409


# --- dashboard ----------------------------------------------------------------------------------
def _project(call: Any, state: str, **proposal: Any) -> Request:
    return Request.objects.create(
        kind=grants.KIND,
        portal=call.portal,
        record=call,
        state=state,
        data={"proposal": {"title": "p", "summary": "s", "amount": 1000, **proposal}},
    )


def test_dashboard_uses_tracked_states_first(call: Any) -> None:
    # tracked states win over the end date
    _project(call, grants.RUNNING, country="pe", endDate="2020-01-01")
    _project(call, grants.FINISHING, country="cl")
    _project(call, grants.COMPLETED, country="cn", partners=["kh"], endDate="2030-01-01")
    _project(call, grants.TERMINATED, country="bj")
    # not tracked yet (awarded): the end-date rule
    _project(call, grants.AWARDED, country="pe", endDate="2026-01-31")  # completed
    _project(call, grants.AWARDED, country="es")  # running
    _project(call, grants.DECLINED, country="fr")  # not funded
    pipeline = dashboard.figures(today=TODAY)["grants"]
    assert pipeline["funded"] == 6
    assert {r.key: r.count for r in pipeline["by_status"]} == {
        "completed": 2,
        "finishing": 1,
        "running": 2,
        "terminated": 1,
    }
    by_state = {r.key: r.count for r in pipeline["by_state"]}
    assert by_state["awarded"] == 6 and by_state["declined"] == 1
    assert "running" not in by_state
    assert pipeline["countries"] == 6  # pe, cl, cn, kh, bj, es


def test_project_status_prefers_the_state() -> None:
    assert dashboard.project_status({"endDate": "2020-01-01"}, TODAY, "running") == "running"
    assert dashboard.project_status({"endDate": "2020-01-01"}, TODAY, "awarded") == "completed"
    assert dashboard.project_status({}, TODAY, "terminated") == "terminated"
