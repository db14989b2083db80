"""The cooperation dashboard: figures computed from a small, known data set."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from clearinghouse.cooperation import dashboard, grants, services
from clearinghouse.portals.models import Role
from clearinghouse.records import services as record_services
from clearinghouse.workflows import engine
from clearinghouse.workflows.models import Request, RequestEvent
from tests.cooperation.conftest import publish_call, publish_profile
from tests.factories import make_user, valid_document

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 24)


def _rows(rows: list[dashboard.Row]) -> dict[str, int]:
    return {row.key: row.count for row in rows}


def _request(portal: Any, user: Any, helpdesk: Any, **changes: Any) -> Request:
    record = record_services.create_draft(
        portal, user, "bbiRequest", valid_document("bbiRequest", **changes)
    )
    return engine.perform(services.submit(record, user), "validate", helpdesk)


def _matched_after(item: Request, helpdesk: Any, profile: Any, days: float) -> None:
    services.confirm_match(item, helpdesk, profile.uid)
    at = RequestEvent.objects.get(request=item, action="match").at
    Request.objects.filter(pk=item.pk).update(created_at=at - dt.timedelta(days=days))


def _proposal(call: Any, state: str, **proposal: Any) -> Request:
    return Request.objects.create(
        kind=grants.KIND,
        portal=call.portal,
        record=call,
        state=state,
        data={"proposal": {"title": "p", "summary": "s", "amount": 1000, **proposal}},
    )


@pytest.fixture
def data(
    central: Any,
    helpdesk: Any,
    peru: Any,
    carlos: Any,
    benin: Any,
    chile_institute: Any,
    chinese_institute: Any,
) -> None:
    spain = make_user(username="redunis")
    publish_profile(
        central,
        spain,
        country={"identifier": "es"},
        coverageRegions=None,
        assistanceTypes=[{"identifier": "AT-TRAINING"}, {"identifier": "AT-RESEARCH"}],
        gbfTargets=[{"identifier": "GBF-TARGET-03"}],
    )
    # Three requests: two from Peru (matched after 4 and 2 days), one from Benin (waiting).
    _matched_after(_request(peru, carlos, helpdesk), helpdesk, chile_institute, 4)
    second = _request(peru, carlos, helpdesk, title={"es": "Segunda solicitud"})
    _matched_after(second, helpdesk, chile_institute, 2)
    amina = make_user(benin, Role.AUTHORIZED_USER, username="amina")
    _request(
        benin,
        amina,
        helpdesk,
        header={"languages": ["fr"]},
        title={"fr": "Espèces envahissantes du lac Nokoué"},
        problem={"fr": "Jacinthe d'eau."},
        country={"identifier": "bj"},
        workingLanguages=[{"identifier": "LANG-FR"}],
        gbfTargets=[{"identifier": "GBF-TARGET-06"}, {"identifier": "GBF-TARGET-03"}],
    )
    # Two calls (one closed) and proposals in every stage; three funded projects.
    future = (timezone.now() + dt.timedelta(days=30)).date().isoformat()
    call = publish_call(central, helpdesk, applicationDeadline=future)
    publish_call(central, helpdesk, applicationDeadline=future, active=False)
    _proposal(call, grants.DRAFT, country="pe")  # not in the pipeline yet
    _proposal(call, grants.SUBMITTED, country="pe")
    _proposal(call, grants.WITHDRAWN, country="pe")
    _proposal(call, grants.AWARDED, country="cn", partners=["kh", "la"], endDate="2026-01-31")
    _proposal(
        call, grants.AWARDED, country="pe", partners=["cl", "cn"], endDate="2027-01-15"
    )  # finishing
    _proposal(call, grants.AWARDED, country="bj")  # no end date: running


def test_figures_of_a_small_data_set(data: None) -> None:
    figures = dashboard.figures("en", today=TODAY)

    providers = figures["providers"]
    assert providers["total"] == 3
    assert _rows(providers["by_country"]) == {"cl": 1, "cn": 1, "es": 1}
    assert _rows(providers["by_assistance"]) == {"AT-TRAINING": 3, "AT-RESEARCH": 1}
    assert _rows(providers["by_target"]) == {"GBF-TARGET-06": 2, "GBF-TARGET-03": 1}
    assert [row.key for row in providers["by_assistance"]] == ["AT-TRAINING", "AT-RESEARCH"]
    assert [row.share for row in providers["by_assistance"]] == [100, 33]
    assert {row.label for row in providers["by_country"]} >= {"Chile", "China"}

    requests = figures["requests"]
    assert requests["total"] == 3
    assert _rows(requests["by_target"]) == {"GBF-TARGET-06": 3, "GBF-TARGET-03": 1}
    assert _rows(requests["by_region"]) == {"m49-019": 2, "m49-002": 1}  # Americas, Africa
    assert requests["matched"] == 2
    assert requests["match_rate"] == 67
    assert requests["median_days_to_match"] == 3.0

    pipeline = figures["grants"]
    assert (pipeline["calls"], pipeline["open_calls"]) == (2, 1)
    assert pipeline["proposals"] == 5  # drafts are not counted
    assert _rows(pipeline["by_state"]) == {
        "submitted": 1,
        "under_review": 0,
        "ineligible": 0,
        "awarded": 3,
        "declined": 0,
        "withdrawn": 1,
    }
    assert pipeline["funded"] == 3
    assert _rows(pipeline["by_status"]) == {
        "completed": 1,
        "finishing": 1,
        "running": 1,
        "terminated": 0,
    }
    assert pipeline["countries"] == 6  # cn, kh, la, pe, cl, bj


def test_project_status_by_end_date() -> None:
    assert dashboard.project_status({"endDate": "2026-11-23"}, TODAY) == "completed"
    assert dashboard.project_status({"endDate": "2026-11-24"}, TODAY) == "finishing"
    assert dashboard.project_status({"endDate": "2027-02-22"}, TODAY) == "finishing"
    assert dashboard.project_status({"endDate": "2027-02-23"}, TODAY) == "running"
    assert dashboard.project_status({}, TODAY) == "running"


def test_the_page_is_public_and_has_no_script(data: None) -> None:
    page = Client().get("/es/cooperation/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script" not in html
    assert '<dd id="requests-total">3</dd>' in html
    assert '<dd id="match-rate">67 %</dd>' in html
    assert "Meta 6" in html  # concepts in the reader's language
    assert "<svg" in html and '<rect width="100"' in html
    assert 'id="funded-summary">3 ' in html


def test_the_page_without_data(central: Any) -> None:
    page = Client().get("/en/cooperation/dashboard/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<dd id="match-rate">—</dd>' in html
    assert '<dd id="median-days">—</dd>' in html


def test_proposal_period_and_partners_are_checked(central: Any, helpdesk: Any) -> None:
    future = (timezone.now() + dt.timedelta(days=30)).date().isoformat()
    call = publish_call(central, helpdesk, applicationDeadline=future)
    base = {"title": "t", "summary": "s", "amount": 10, "country": "PE"}
    item = grants.start_proposal(
        call, helpdesk, {**base, "endDate": "2027-06-30", "partners": "CL, es pe"}
    )
    assert item.data["proposal"]["partners"] == ["cl", "es"]  # the applicant's own removed
    assert item.data["proposal"]["endDate"] == "2027-06-30"
    with pytest.raises(services.CooperationError):
        grants.start_proposal(call, helpdesk, {**base, "partners": "Chile"})
    with pytest.raises(services.CooperationError):
        grants.start_proposal(
            call, helpdesk, {**base, "startDate": "2027-06-30", "endDate": "2027-01-01"}
        )
