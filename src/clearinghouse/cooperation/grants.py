"""Small grants: calls, proposals, eligibility screening, reviewer assignment, deadlines.

A call is a published ``fundingOpportunity`` record (its ``applicationDeadline``, eligible
countries, regions and organization types, and amounts). A proposal is a generic ``Request``
of kind ``grant`` on the call's portal; ``Request.data`` holds the proposal, the screening,
the reviewers and their reviews. The deadline is the end of the deadline day, UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clearinghouse.cooperation import notify
from clearinghouse.cooperation.matching import regions_of
from clearinghouse.cooperation.services import CooperationError, is_helpdesk
from clearinghouse.records.fields import parse_date
from clearinghouse.records.i18n import pick
from clearinghouse.records.models import Record
from clearinghouse.workflows import engine
from clearinghouse.workflows.models import Request, RequestEvent
from clearinghouse.workflows.notify import _send

KIND = "grant"
DRAFT, SUBMITTED, UNDER_REVIEW, INELIGIBLE, AWARDED, DECLINED, WITHDRAWN = (
    "draft",
    "submitted",
    "under_review",
    "ineligible",
    "awarded",
    "declined",
    "withdrawn",
)
STATES = (DRAFT, SUBMITTED, UNDER_REVIEW, INELIGIBLE, AWARDED, DECLINED, WITHDRAWN)
MAX_SUMMARY = 3000


class DeadlinePassed(engine.NotAllowed):
    pass


# --- calls -----------------------------------------------------------------------------------
def calls() -> Any:
    return Record.objects.filter(
        schema="fundingOpportunity", published__isnull=False, deleted_at__isnull=True
    ).select_related("published")


def _call_doc(call: Record) -> dict[str, Any]:
    return call.published.document if call.published is not None else {}


def deadline(call: Record) -> dt.datetime | None:
    day = parse_date(str(_call_doc(call).get("applicationDeadline") or ""))
    if day is None:
        return None
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)


def is_open(call: Record, now: dt.datetime | None = None) -> bool:
    due = deadline(call)
    return (
        _call_doc(call).get("active") is not False
        and due is not None
        and (now or timezone.now()) <= due
    )


def call_title(call: Record, language: str = "en") -> str:
    title = _call_doc(call).get("title")
    return pick(title, language).text if isinstance(title, dict) else call.uid


# --- guards and workflow -----------------------------------------------------------------------
def _applicant(request: Request, user: Any) -> bool:
    return bool(user and user.is_authenticated and request.created_by_id == user.pk)


def _helpdesk(request: Request, user: Any) -> bool:
    return is_helpdesk(user)


def _before_deadline(request: Request, user: Any) -> bool:
    return _applicant(request, user) and request.record is not None and is_open(request.record)


def _all_reviewed(request: Request, user: Any) -> bool:
    reviewers = [str(r) for r in request.data.get("reviewers", [])]
    reviews = request.data.get("reviews", {})
    return is_helpdesk(user) and bool(reviewers) and all(r in reviews for r in reviewers)


def _tell_applicant(request: Request, user: Any, comment: str) -> None:
    notify.state_changed(request, notify._emails([request.created_by]))


WORKFLOW = engine.Workflow(
    kind=KIND,
    states=STATES,
    initial=DRAFT,
    final=frozenset({INELIGIBLE, AWARDED, DECLINED, WITHDRAWN}),
)
WORKFLOW.action("submit", {DRAFT}, SUBMITTED, _before_deadline)
WORKFLOW.action("screen_in", {SUBMITTED}, UNDER_REVIEW, _helpdesk, _tell_applicant)
WORKFLOW.action(
    "screen_out", {SUBMITTED}, INELIGIBLE, _helpdesk, _tell_applicant, needs_comment=True
)
WORKFLOW.action("award", {UNDER_REVIEW}, AWARDED, _all_reviewed, _tell_applicant)
WORKFLOW.action("decline", {UNDER_REVIEW}, DECLINED, _helpdesk, _tell_applicant, True)
WORKFLOW.action("withdraw", {DRAFT, SUBMITTED, UNDER_REVIEW}, WITHDRAWN, _applicant)
engine.register(WORKFLOW)


# --- proposals -------------------------------------------------------------------------------
def _clean(data: dict[str, Any]) -> dict[str, Any]:
    title = str(data.get("title") or "").strip()
    summary = str(data.get("summary") or "").strip()
    if not title or not summary:
        raise CooperationError(_("A proposal needs a title and a summary."))
    if len(title) > 300 or len(summary) > MAX_SUMMARY:
        raise CooperationError(
            _("The title may have 300 characters and the summary %(n)s.") % {"n": MAX_SUMMARY}
        )
    try:
        amount = float(data.get("amount") or 0)
    except (TypeError, ValueError):
        raise CooperationError(_("The amount must be a number (USD).")) from None
    if amount < 0:
        raise CooperationError(_("The amount must be a number (USD)."))
    country = str(data.get("country") or "").strip().lower()
    start, end = _project_date(data, "startDate"), _project_date(data, "endDate")
    if start and end and end < start:
        raise CooperationError(_("The project cannot end before it starts."))
    return {
        "title": title,
        "summary": summary,
        "amount": amount,
        "country": country,
        "organizationType": str(data.get("organizationType") or "").strip(),
        "startDate": start,
        "endDate": end,
        "partners": [c for c in _countries(data.get("partners")) if c != country],
    }


def _project_date(data: dict[str, Any], name: str) -> str:
    """An optional date of the project period (``YYYY-MM-DD``); empty when not given."""
    value = str(data.get(name) or "").strip()
    if value and parse_date(value) is None:
        raise CooperationError(_("Give dates as YYYY-MM-DD."))
    return value


def _countries(value: Any) -> list[str]:
    """Partner countries: ISO codes as a list or separated by commas or spaces."""
    if isinstance(value, str):
        value = value.replace(",", " ").split()
    codes = sorted({str(c).strip().lower() for c in value or [] if str(c).strip()})
    if any(len(c) != 2 or not c.isalpha() for c in codes):
        raise CooperationError(_("Give partner countries as two-letter ISO codes, e.g. cl, es."))
    return codes


def start_proposal(call: Record, user: Any, data: dict[str, Any]) -> Request:
    """Save a draft proposal to an open call (it can be edited until it is submitted)."""
    if call.schema != "fundingOpportunity" or call.published is None:
        raise CooperationError(_("This is not an open call."))
    if not (user and user.is_authenticated):
        raise engine.NotAllowed(_("Please log in to apply."))
    if not is_open(call):
        raise DeadlinePassed(_("This call is closed: its deadline has passed."))
    proposal = _clean(data)
    return engine.open_request(
        WORKFLOW,
        portal=call.portal,
        record=call,
        created_by=user,
        data={"proposal": proposal, "title": proposal["title"], "reviewers": [], "reviews": {}},
    )


def update_proposal(request: Request, user: Any, data: dict[str, Any]) -> Request:
    if not _applicant(request, user):
        raise engine.NotAllowed(_("Only the applicant can change the proposal."))
    if request.state != DRAFT:
        raise engine.IllegalTransition(_("Only a draft proposal can be changed."))
    request.data["proposal"] = _clean(data)
    request.data["title"] = request.data["proposal"]["title"]
    request.save(update_fields=["data"])
    return request


def submit_proposal(request: Request, user: Any) -> Request:
    """Submit before the call's deadline; a late attempt is refused and the draft kept."""
    assert request.record is not None
    if _applicant(request, user) and not is_open(request.record):
        due = deadline(request.record)
        raise DeadlinePassed(
            _(
                "The deadline of this call (%(deadline)s UTC) has passed, so the proposal "
                "cannot be submitted. Your draft is kept."
            )
            % {"deadline": due.strftime("%Y-%m-%d %H:%M") if due else "—"}
        )
    return engine.perform(request, "submit", user)


def eligibility(request: Request) -> list[str]:
    """Reasons the proposal is not eligible for its call (empty: eligible)."""
    assert request.record is not None
    call = _call_doc(request.record)
    proposal = request.data.get("proposal") or {}
    reasons = []
    countries = {t.get("identifier") for t in call.get("eligibleCountries") or []}
    regions = {t.get("identifier") for t in call.get("eligibleRegions") or []}
    country = proposal.get("country", "")
    if (countries or regions) and not (country in countries or set(regions_of(country)) & regions):
        reasons.append(_("The country %(country)s is not eligible.") % {"country": country})
    types = {t.get("identifier") for t in call.get("eligibleOrganizationTypes") or []}
    if types and proposal.get("organizationType") not in types:
        reasons.append(_("This type of organization is not eligible."))
    amount = float(proposal.get("amount") or 0)
    high, low = call.get("maxAmount"), call.get("minAmount")
    if isinstance(high, int | float) and amount > high:
        reasons.append(_("The amount exceeds the maximum of USD %(max)s.") % {"max": high})
    if isinstance(low, int | float) and amount < low:
        reasons.append(_("The amount is below the minimum of USD %(min)s.") % {"min": low})
    return reasons


def screen(request: Request, user: Any) -> Request:
    """Helpdesk: check eligibility; eligible proposals go to review, others are screened out
    with the reasons as the comment."""
    reasons = eligibility(request)
    with transaction.atomic():
        request.data["screening"] = {"eligible": not reasons, "reasons": reasons}
        request.save(update_fields=["data"])
        if reasons:
            return engine.perform(request, "screen_out", user, " ".join(reasons))
        return engine.perform(request, "screen_in", user)


def assign_reviewers(request: Request, user: Any, usernames: list[str]) -> Request:
    if not is_helpdesk(user):
        raise engine.NotAllowed(_("Only the helpdesk assigns reviewers."))
    if request.state != UNDER_REVIEW:
        raise engine.IllegalTransition(_("Reviewers are assigned to proposals under review."))
    users = list(get_user_model().objects.filter(username__in=usernames))
    missing = set(usernames) - {u.username for u in users}
    if missing:
        raise CooperationError(_("Unknown users: %(names)s.") % {"names": ", ".join(missing)})
    if any(u.pk == request.created_by_id for u in users):
        raise CooperationError(_("The applicant cannot review their own proposal."))
    request.data["reviewers"] = sorted({str(u.pk) for u in users})
    request.save(update_fields=["data"])
    RequestEvent.objects.create(
        request=request,
        action="assign_reviewers",
        from_state=request.state,
        to_state=request.state,
        user=user,
        comment=", ".join(sorted(usernames)),
    )
    title = request.data.get("title", "")
    _send(
        [
            (
                _("[Clearinghouse] Please review the proposal “%(title)s”") % {"title": title},
                _("You were asked to review “%(title)s”: /cooperation/proposals/%(pk)s/")
                % {"title": title, "pk": request.pk},
                settings.DEFAULT_FROM_EMAIL,
                notify._emails(users),
            )
        ]
    )
    return request


def review(request: Request, user: Any, score: int, comment: str = "") -> Request:
    if str(getattr(user, "pk", "")) not in request.data.get("reviewers", []):
        raise engine.NotAllowed(_("You are not a reviewer of this proposal."))
    if request.state != UNDER_REVIEW:
        raise engine.IllegalTransition(_("This proposal is not under review."))
    if not 1 <= int(score) <= 5:
        raise CooperationError(_("The score must be between 1 and 5."))
    request.data.setdefault("reviews", {})[str(user.pk)] = {
        "score": int(score),
        "comment": comment[:2000],
        "at": timezone.now().isoformat(),
    }
    request.save(update_fields=["data"])
    return request


def average_score(request: Request) -> float | None:
    scores = [r["score"] for r in request.data.get("reviews", {}).values()]
    return round(sum(scores) / len(scores), 2) if scores else None
