"""Small grants: reviewer pool and conflicts, scoring rubric, ranking and selection."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from clearinghouse.cooperation import grants
from clearinghouse.cooperation.models import ReviewerProfile
from clearinghouse.cooperation.services import CooperationError
from clearinghouse.workflows import engine
from tests.cooperation.conftest import publish_call
from tests.factories import make_user

pytestmark = pytest.mark.django_db

BASE = {
    "summary": "Early warning of invasive plants.",
    "organizationType": "OT-ACADEMIC",
}


@pytest.fixture
def call(central: Any, helpdesk: Any) -> Any:
    deadline = (timezone.now() + dt.timedelta(days=10)).date().isoformat()
    return publish_call(
        central, helpdesk, applicationDeadline=deadline, budget=50000, maxAmount=100000
    )


def reviewer(username: str, country: str, organization: str, **extra: Any) -> Any:
    user = make_user(username=username)
    ReviewerProfile.objects.create(user=user, country=country, organization=organization, **extra)
    return user


def proposal(call: Any, helpdesk: Any, n: int, **fields: Any) -> Any:
    applicant = make_user(username=f"applicant{n}")
    data = {"title": f"Proposal {n}", "amount": 10000, "country": "pe", **BASE, **fields}
    item = grants.submit_proposal(grants.start_proposal(call, applicant, data), applicant)
    return grants.screen(item, helpdesk)


def test_reviewer_country_is_an_iso_code() -> None:
    profile = ReviewerProfile(user=make_user(username="x"), country="PE", organization="A")
    with pytest.raises(ValidationError):
        profile.full_clean()


def test_manual_assignment_refuses_conflicts(call: Any, helpdesk: Any) -> None:
    item = proposal(call, helpdesk, 1, organization="Universidad X", partners="bo, ec")
    reviewer("peruvian", "pe", "Elsewhere")
    reviewer("bolivian", "bo", "Elsewhere")
    reviewer("colleague", "fr", "  universidad x ")
    reviewer("fine", "fr", "Other")
    with pytest.raises(CooperationError, match=r"peruvian is from the applicant's country \(pe\)"):
        grants.assign_reviewers(item, helpdesk, ["peruvian"])
    with pytest.raises(CooperationError, match=r"bolivian is from a partner country"):
        grants.assign_reviewers(item, helpdesk, ["bolivian", "fine"])
    with pytest.raises(CooperationError, match=r"colleague works for the applicant's organiz"):
        grants.assign_reviewers(item, helpdesk, ["colleague"])
    with pytest.raises(CooperationError, match="their own proposal"):
        grants.assign_reviewers(item, helpdesk, ["applicant1"])
    item.refresh_from_db()
    assert item.data["reviewers"] == []
    grants.assign_reviewers(item, helpdesk, ["fine"])
    assert len(item.data["reviewers"]) == 1


def test_auto_assignment_avoids_conflicts_and_balances_load(
    call: Any, helpdesk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    p1 = proposal(call, helpdesk, 1, country="pe", organization="IIAP")
    p2 = proposal(call, helpdesk, 2, country="cl", partners=["ar"])
    p3 = proposal(call, helpdesk, 3, country="fr")
    reviewer("ana", "pe", "UNALM")
    reviewer("bea", "cl", "IEB")
    reviewer("carl", "ar", "CONICET")
    reviewer("dora", "fr", "IIAP")
    reviewer("emil", "de", "UFZ")
    reviewer("sleepy", "de", "UFZ", active=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        added = grants.auto_assign(call, helpdesk, k=2)
    assert added == {
        p1.pk: ["bea", "carl"],  # not ana (Peru), not dora (same organization)
        p2.pk: ["ana", "dora"],  # not bea (Chile), not carl (partner Argentina)
        p3.pk: ["emil", "ana"],  # the least loaded first, ties by name; not dora (France)
    }
    load = grants.reviewer_load()
    names = {str(u.pk): u.username for u in grants.get_user_model().objects.all()}
    assert sorted(load.values()) == [1, 1, 1, 1, 2]
    assert "sleepy" not in {names[pk] for pk in load}
    assert len(mail.outbox) == 3
    # Running it again adds nobody: every proposal has its reviewers.
    assert grants.auto_assign(call, helpdesk, k=2) == {}


def test_auto_assignment_names_the_proposal_it_cannot_staff(call: Any, helpdesk: Any) -> None:
    ok = proposal(call, helpdesk, 1, country="pe")
    hard = proposal(call, helpdesk, 2, country="cl", partners=["fr"])
    reviewer("ana", "cl", "A")
    reviewer("bob", "fr", "B")
    with pytest.raises(CooperationError, match=rf"“Proposal 2” \(#{hard.pk}\): 2 needed, 0"):
        grants.auto_assign(call, helpdesk, k=2)
    ok.refresh_from_db()
    assert ok.data["reviewers"] == []  # all or nothing
    with pytest.raises(engine.NotAllowed):
        grants.auto_assign(call, make_user(username="nobody"))


def test_rubric_validates_each_criterion_and_weights(call: Any, helpdesk: Any) -> None:
    item = proposal(call, helpdesk, 1)
    r1, r2 = reviewer("r1", "fr", "A"), reviewer("r2", "de", "B")
    grants.assign_reviewers(item, helpdesk, ["r1", "r2"])
    bad = {"relevance": 6, "feasibility": "x", "capacity": 3, "budget": 2.5}
    with pytest.raises(CooperationError) as error:
        grants.review(item, r1, bad)
    message = str(error.value)
    for label in ("Relevance to the GBF targets", "Feasibility", "Value for the budget"):
        assert f"{label}: give a whole score from 1 to 5." in message
    assert "Sustainability and impact: give" in message and "Capacity and" not in message
    with pytest.raises(CooperationError, match="Unknown criteria: novelty"):
        grants.review(item, r1, {"novelty": 3})
    scores = {"relevance": 5, "feasibility": 4, "capacity": 3, "budget": 2, "sustainability": 1}
    grants.review(item, r1, scores)
    assert item.data["reviews"][str(r1.pk)]["score"] == 3.4  # 1.5 + 1 + .45 + .3 + .15
    grants.review(item, r2, {k: "3" for k in scores})
    assert grants.average_score(item) == 3.2  # (3.4 + 3) / 2
    assert grants.criterion_means(item)["relevance"] == 4


def _review_all(item: Any, helpdesk: Any, score: int, names: list[str]) -> None:
    grants.assign_reviewers(item, helpdesk, names)
    for user in grants.get_user_model().objects.filter(username__in=names):
        grants.review(item, user, score)


def test_knapsack_is_exact() -> None:
    # Greedy by score would take 40,000 (5.0) and then nothing else fits: total 5.
    amounts, scores = [40000, 25000, 25000, 10000], [5.0, 4.0, 4.0, 1.0]
    assert grants.knapsack(amounts, scores, 50000) == {1, 2}
    # Brute force agrees on a few random-looking instances.
    amounts = [12300, 8800, 15000, 4100, 9900, 20000, 7600]
    scores = [4.1, 3.2, 4.6, 1.5, 3.3, 4.9, 2.2]
    for budget in (10000, 25000, 33300, 50000):
        best = max(
            (
                c
                for n in range(len(amounts) + 1)
                for c in itertools.combinations(range(len(amounts)), n)
                if sum(amounts[i] for i in c) <= budget
            ),
            key=lambda c: round(sum(scores[i] for i in c), 6),
        )
        chosen = grants.knapsack(amounts, scores, budget)
        assert sum(amounts[i] for i in chosen) <= budget
        assert round(sum(scores[i] for i in chosen), 6) == round(sum(scores[i] for i in best), 6)


def test_selection_within_budget_and_confirmation(
    call: Any, helpdesk: Any, django_capture_on_commit_callbacks: Any
) -> None:
    reviewer("r1", "fr", "A")
    reviewer("r2", "de", "B")
    big = proposal(call, helpdesk, 1, amount=40000)
    mid1 = proposal(call, helpdesk, 2, amount=25000)
    mid2 = proposal(call, helpdesk, 3, amount=25000)
    huge = proposal(call, helpdesk, 4, amount=60000)
    _review_all(big, helpdesk, 5, ["r1", "r2"])
    _review_all(mid1, helpdesk, 4, ["r1", "r2"])
    _review_all(mid2, helpdesk, 4, ["r1"])
    _review_all(huge, helpdesk, 5, ["r2"])
    late = proposal(call, helpdesk, 5, amount=1000)
    grants.assign_reviewers(late, helpdesk, ["r1"])
    result = grants.selection(call)
    assert [r.request.pk for r in result.ranked] == [big.pk, huge.pk, mid1.pk, mid2.pk]
    assert [r.selected for r in result.ranked] == [False, False, True, True]
    assert result.used == 50000 and result.left == 0
    by_pk = {r.request.pk: r.reason for r in result.ranked}
    assert by_pk[big.pk].startswith("Not selected: rank 1, score 5.0; the USD 40,000")
    assert "USD 0 left" in by_pk[big.pk]
    assert "exceed the whole budget of USD 50,000" in by_pk[huge.pk]
    assert by_pk[mid1.pk].startswith("Selected: rank 3")
    assert result.pending == [late]
    with pytest.raises(CooperationError, match=rf"#{late.pk} “Proposal 5”"):
        grants.confirm_selection(call, helpdesk)
    engine.perform(late, "withdraw", late.created_by)
    with pytest.raises(engine.NotAllowed):
        grants.confirm_selection(call, make_user(username="nobody"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        grants.confirm_selection(call, helpdesk)
    states = {p.pk: p.state for p in grants.Request.objects.filter(kind=grants.KIND)}
    assert states[mid1.pk] == states[mid2.pk] == grants.AWARDED
    assert states[big.pk] == states[huge.pk] == grants.DECLINED
    big.refresh_from_db()
    assert big.comment.startswith("Not selected")
    assert {m.to[0] for m in mail.outbox} >= {"applicant1@example.org", "applicant2@example.org"}


def test_selection_needs_a_budget(central: Any, helpdesk: Any) -> None:
    deadline = (timezone.now() + dt.timedelta(days=10)).date().isoformat()
    call = publish_call(central, helpdesk, applicationDeadline=deadline)
    with pytest.raises(CooperationError, match="no total budget"):
        grants.selection(call)


def test_helpdesk_ranking_page_without_javascript(call: Any, helpdesk: Any) -> None:
    from django.test import Client

    from tests.factories import PASSWORD

    r1, r2 = reviewer("r1", "fr", "A"), reviewer("r2", "de", "B")
    a = proposal(call, helpdesk, 1, amount=30000)
    b = proposal(call, helpdesk, 2, amount=30000)
    desk = Client(HTTP_HOST="testserver")
    assert desk.login(username="laila", password=PASSWORD)
    page = f"/en/cooperation/grants/{call.uid}/ranking/"
    assert page in desk.get("/en/cooperation/grants/").content.decode()
    followed = desk.post(page, {"op": "assign", "k": "2"}, follow=True)
    assert "Reviewers assigned to 2 proposals." in followed.content.decode()
    # Reviewers score each criterion on the proposal page.
    reviewer_client = Client(HTTP_HOST="testserver")
    assert reviewer_client.login(username="r1", password=PASSWORD)
    form = reviewer_client.get(f"/en/cooperation/proposals/{a.pk}/").content.decode()
    assert 'name="score_relevance"' in form and "(30 %)" in form
    bad = reviewer_client.post(
        f"/en/cooperation/proposals/{a.pk}/do/",
        {"op": "review", "score_relevance": "9"},
        follow=True,
    )
    assert "Relevance to the GBF targets: give a whole score from 1 to 5." in bad.content.decode()
    for item, score in ((a, 5), (b, 3)):
        item.refresh_from_db()
        for user in (r1, r2):
            grants.review(item, user, score)
    html = desk.get(page).content.decode()
    assert "Budget used by the selection" in html and "USD 30,000" in html
    assert "Selected: rank 1" in html and "Not selected: rank 2" in html
    assert "Confirm the selection" in html
    done = desk.post(page, {"op": "confirm"}, follow=True)
    assert "1 awarded, 1 declined" in done.content.decode()
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.state, b.state) == (grants.AWARDED, grants.DECLINED)
    other = Client(HTTP_HOST="testserver")
    assert other.login(username="r1", password=PASSWORD)
    assert other.get(page).status_code == 404


def test_selection_api(call: Any, helpdesk: Any) -> None:
    from django.test import Client

    from clearinghouse.api.auth import issue_token

    desk = Client(HTTP_HOST="testserver", HTTP_AUTHORIZATION=f"Bearer {issue_token(helpdesk)}")
    make_user(username="r1")
    saved = desk.put(
        "/api/cooperation/grants/reviewers",
        {"username": "r1", "country": "FR", "organization": "A"},
        content_type="application/json",
    )
    assert saved.status_code == 400 and "two-letter ISO code" in saved.json()["detail"]
    saved = desk.put(
        "/api/cooperation/grants/reviewers",
        {"username": "r1", "country": "fr", "organization": "A", "languages": ["LANG-FR"]},
        content_type="application/json",
    )
    assert saved.status_code == 200 and saved.json()["load"] == 0
    item = proposal(call, helpdesk, 1, country="fr")
    base = f"/api/cooperation/grants/calls/{call.uid}"
    refused = desk.post(f"{base}/reviewers", {"k": 1}, content_type="application/json")
    assert refused.status_code == 409 and f"(#{item.pk})" in refused.json()["detail"]
    reviewer("r2", "de", "B")
    assigned = desk.post(f"{base}/reviewers", {"k": 1}, content_type="application/json")
    assert assigned.json() == {str(item.pk): ["r2"]}
    r2 = grants.get_user_model().objects.get(username="r2")
    r2_api = Client(HTTP_HOST="testserver", HTTP_AUTHORIZATION=f"Bearer {issue_token(r2)}")
    review = r2_api.post(
        f"/api/cooperation/grants/proposals/{item.pk}/review",
        {"scores": {"relevance": 5, "feasibility": 4, "capacity": 4, "budget": 4}},
        content_type="application/json",
    )
    assert review.status_code == 409 and "Sustainability and impact" in review.json()["detail"]
    scores = {"relevance": 5, "feasibility": 4, "capacity": 4, "budget": 4, "sustainability": 4}
    review = r2_api.post(
        f"/api/cooperation/grants/proposals/{item.pk}/review",
        {"scores": scores},
        content_type="application/json",
    )
    assert review.json()["average_score"] == 4.3 and review.json()["criteria"]["relevance"] == 5
    assert r2_api.get(f"{base}/ranking").status_code == 403
    ranking = desk.get(f"{base}/ranking").json()
    assert ranking["used"] == 10000 and ranking["ranking"][0]["selected"]
    confirmed = desk.post(f"{base}/selection", {}, content_type="application/json")
    assert confirmed.status_code == 200
    item.refresh_from_db()
    assert item.state == grants.AWARDED


def test_scores_may_be_numbers_or_text_but_whole() -> None:
    assert grants._criterion_scores(4.0) == {c.key: 4 for c in grants.CRITERIA}
    assert grants._criterion_scores(" 2 ")["budget"] == 2
    for bad in (True, 4.5, "4.5", "", None, 0, 6, "-1"):
        with pytest.raises(CooperationError, match="give a whole score from 1 to 5"):
            grants._criterion_scores(bad)
    assert sum(c.weight for c in grants.CRITERIA) == pytest.approx(1)


def test_amounts_count_in_whole_hundreds(central: Any, helpdesk: Any) -> None:
    deadline = (timezone.now() + dt.timedelta(days=10)).date().isoformat()
    call = publish_call(central, helpdesk, applicationDeadline=deadline, budget=10050)
    reviewer("r1", "fr", "A")
    a = proposal(call, helpdesk, 1, amount=10000)
    b = proposal(call, helpdesk, 2, amount=40)
    _review_all(a, helpdesk, 5, ["r1"])
    _review_all(b, helpdesk, 3, ["r1"])
    result = grants.selection(call)
    assert [r.selected for r in result.ranked] == [True, False]
    assert "counted in whole hundreds of USD (rounded up)" in result.ranked[1].reason
    assert result.left == 50
