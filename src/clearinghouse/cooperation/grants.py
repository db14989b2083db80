"""Small grants: calls, proposals, eligibility screening, reviewer assignment, deadlines.

A call is a published ``fundingOpportunity`` record (its ``applicationDeadline``, eligible
countries, regions and organization types, and amounts). A proposal is a generic ``Request``
of kind ``grant`` on the call's portal; ``Request.data`` holds the proposal, the screening,
the reviewers and their reviews. The deadline is the end of the deadline day, UTC.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clearinghouse.cooperation import notify
from clearinghouse.cooperation.matching import regions_of
from clearinghouse.cooperation.models import ReviewerProfile
from clearinghouse.cooperation.services import CooperationError, central_portal, is_helpdesk
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
# after the award, the funded project's own lifecycle
RUNNING, FINISHING, COMPLETED, TERMINATED = "running", "finishing", "completed", "terminated"
PROPOSAL_STATES = (DRAFT, SUBMITTED, UNDER_REVIEW, INELIGIBLE, AWARDED, DECLINED, WITHDRAWN)
PROJECT_STATES = (RUNNING, FINISHING, COMPLETED, TERMINATED)
STATES = PROPOSAL_STATES + PROJECT_STATES
FUNDED = frozenset({AWARDED, *PROJECT_STATES})  # awarded proposals, whatever came next
MAX_REPORT = 5000
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


def _grantee_or_helpdesk(request: Request, user: Any) -> bool:
    return _applicant(request, user) or is_helpdesk(user)


def _helpdesk_with_final_report(request: Request, user: Any) -> bool:
    return is_helpdesk(user) and bool((request.data.get("project") or {}).get("final_report"))


def _helpdesk_emails(request: Request) -> list[str]:
    """The helpdesk's addresses (managers and Secretariat of the central portal)."""
    return notify.helpdesk_emails(central_portal() or request.portal)


# ``final`` records the decision (decided_by/at, comment) on the proposal: the award stays the
# decision, so the project's own end states do not overwrite it.
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
# funded projects: started through start_project() (records the actual start date)
WORKFLOW.action("start", {AWARDED}, RUNNING, _grantee_or_helpdesk)
WORKFLOW.action("finish", {RUNNING}, FINISHING, _grantee_or_helpdesk)
WORKFLOW.action(
    "accept_report", {RUNNING, FINISHING}, COMPLETED, _helpdesk_with_final_report, _tell_applicant
)
WORKFLOW.action(
    "terminate",
    {AWARDED, RUNNING, FINISHING},
    TERMINATED,
    _helpdesk,
    _tell_applicant,
    needs_comment=True,
)
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
        "organization": str(data.get("organization") or "").strip()[:300],
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


# --- reviewers: pool, conflicts of interest, assignment -------------------------------------------
DEFAULT_REVIEWERS = 2


def _norm(text: str) -> str:
    return " ".join(str(text or "").casefold().split())


_NO_PROFILE = object()


def conflicts(request: Request, reviewer: Any, profile: Any = _NO_PROFILE) -> list[str]:
    """Why ``reviewer`` (a user) may not review ``request`` (empty: no conflict of interest).

    Conflicts: the applicant; a reviewer from the applicant's country or one of the partner
    countries; a reviewer from the applicant's organization (names compared without case
    and extra spaces). A user without a reviewer profile can only conflict as the applicant.
    ``profile`` saves the query when the caller has the reviewer's profile (or None)."""
    if reviewer.pk == request.created_by_id:
        return [_("The applicant cannot review their own proposal.")]
    if profile is _NO_PROFILE:
        profile = ReviewerProfile.objects.filter(user=reviewer).first()
    if profile is None:
        return []
    proposal = request.data.get("proposal") or {}
    reasons = []
    if profile.country and profile.country == proposal.get("country"):
        reasons.append(
            _("%(user)s is from the applicant's country (%(country)s).")
            % {"user": reviewer.username, "country": profile.country}
        )
    elif profile.country in (proposal.get("partners") or []):
        reasons.append(
            _("%(user)s is from a partner country of the proposal (%(country)s).")
            % {"user": reviewer.username, "country": profile.country}
        )
    organization = _norm(proposal.get("organization", ""))
    if organization and _norm(profile.organization) == organization:
        reasons.append(
            _("%(user)s works for the applicant's organization (%(organization)s).")
            % {"user": reviewer.username, "organization": profile.organization}
        )
    return reasons


def _set_reviewers(request: Request, user: Any, reviewers: list[Any], note: str) -> None:
    request.data["reviewers"] = sorted({str(u.pk) for u in reviewers})
    request.save(update_fields=["data"])
    RequestEvent.objects.create(
        request=request,
        action="assign_reviewers",
        from_state=request.state,
        to_state=request.state,
        user=user,
        comment=note,
    )
    title = request.data.get("title", "")
    _send(
        [
            (
                _("[Clearinghouse] Please review the proposal “%(title)s”") % {"title": title},
                _("You were asked to review “%(title)s”: /cooperation/proposals/%(pk)s/")
                % {"title": title, "pk": request.pk},
                settings.DEFAULT_FROM_EMAIL,
                notify._emails(reviewers),
            )
        ]
    )


def assign_reviewers(request: Request, user: Any, usernames: list[str]) -> Request:
    """Helpdesk: assign reviewers by hand; a reviewer with a conflict of interest is refused."""
    if not is_helpdesk(user):
        raise engine.NotAllowed(_("Only the helpdesk assigns reviewers."))
    if request.state != UNDER_REVIEW:
        raise engine.IllegalTransition(_("Reviewers are assigned to proposals under review."))
    users = list(get_user_model().objects.filter(username__in=usernames))
    missing = set(usernames) - {u.username for u in users}
    if missing:
        raise CooperationError(
            _("Unknown users: %(names)s.") % {"names": ", ".join(sorted(missing))}
        )
    reasons = [reason for u in users for reason in conflicts(request, u)]
    if reasons:
        raise CooperationError(
            _("Conflict of interest: %(reasons)s") % {"reasons": " ".join(reasons)}
        )
    _set_reviewers(request, user, users, ", ".join(sorted(usernames)))
    return request


def reviewer_load() -> dict[str, int]:
    """Assignments per reviewer (user id as text) over the proposals now under review."""
    load: dict[str, int] = {}
    for data in Request.objects.filter(kind=KIND, state=UNDER_REVIEW).values_list(
        "data", flat=True
    ):
        for pk in data.get("reviewers", []):
            load[str(pk)] = load.get(str(pk), 0) + 1
    return load


def auto_assign(call: Record, user: Any, k: int = DEFAULT_REVIEWERS) -> dict[int, list[str]]:
    """Helpdesk: give each proposal of ``call`` under review ``k`` reviewers from the pool.

    Candidates are active reviewer profiles without a conflict of interest (`conflicts`);
    the least loaded come first (assignments on proposals under review, counting the ones
    made here), ties broken by user name. Proposals are handled in the order they were
    opened; ones that already have ``k`` reviewers keep them, others are completed. If a
    proposal cannot get ``k`` conflict-free reviewers nothing is assigned and the error names
    it. Returns ``{proposal id: [user names]}`` of the reviewers added."""
    if not is_helpdesk(user):
        raise engine.NotAllowed(_("Only the helpdesk assigns reviewers."))
    if not 1 <= k <= 10:
        raise CooperationError(_("Give between 1 and 10 reviewers per proposal."))
    pool = list(
        ReviewerProfile.objects.filter(active=True, user__is_active=True).select_related("user")
    )
    load = reviewer_load()
    plan: list[tuple[Request, list[Any]]] = []
    proposals = Request.objects.filter(kind=KIND, record=call, state=UNDER_REVIEW).order_by("pk")
    for proposal in proposals:
        current = [str(pk) for pk in proposal.data.get("reviewers", [])]
        needed = k - len(current)
        if needed <= 0:
            continue
        free = [
            p.user
            for p in pool
            if str(p.user.pk) not in current and not conflicts(proposal, p.user, p)
        ]
        free.sort(key=lambda u: (load.get(str(u.pk), 0), u.username))
        if len(free) < needed:
            raise CooperationError(
                _(
                    "Not enough reviewers without a conflict of interest for the proposal "
                    "“%(title)s” (#%(pk)s): %(needed)s needed, %(free)s available. Add "
                    "reviewers to the pool or assign fewer per proposal."
                )
                % {
                    "title": proposal.data.get("title", ""),
                    "pk": proposal.pk,
                    "needed": needed,
                    "free": len(free),
                }
            )
        chosen = free[:needed]
        for u in chosen:
            load[str(u.pk)] = load.get(str(u.pk), 0) + 1
        plan.append((proposal, chosen))
    users = get_user_model().objects.in_bulk(
        [int(pk) for proposal, _c in plan for pk in proposal.data.get("reviewers", [])]
    )
    with transaction.atomic():
        for proposal, chosen in plan:
            existing = [users[int(pk)] for pk in proposal.data.get("reviewers", [])]
            _set_reviewers(
                proposal,
                user,
                existing + chosen,
                _("automatic: %(names)s") % {"names": ", ".join(u.username for u in chosen)},
            )
    return {proposal.pk: [u.username for u in chosen] for proposal, chosen in plan}


# --- scoring rubric ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Criterion:
    key: str
    weight: float
    label: Any  # lazy text


CRITERIA = (
    Criterion("relevance", 0.30, gettext_lazy("Relevance to the GBF targets")),
    Criterion("feasibility", 0.25, gettext_lazy("Feasibility")),
    Criterion("capacity", 0.15, gettext_lazy("Capacity and partnership")),
    Criterion("budget", 0.15, gettext_lazy("Value for the budget")),
    Criterion("sustainability", 0.15, gettext_lazy("Sustainability and impact")),
)
if abs(sum(c.weight for c in CRITERIA) - 1) > 1e-9:  # pragma: no cover
    raise ValueError("The weights of the criteria must add up to 1.")


def _whole(value: Any) -> int | None:
    """A whole number given as a number or as text ("4", 4, 4.0); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _criterion_scores(scores: Any) -> dict[str, int]:
    """Validate one score from 1 to 5 per criterion; a single number scores every criterion."""
    if not isinstance(scores, dict):
        scores = {c.key: scores for c in CRITERIA}
    unknown = set(scores) - {c.key for c in CRITERIA}
    if unknown:
        raise CooperationError(
            _("Unknown criteria: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    out, errors = {}, []
    for c in CRITERIA:
        number = _whole(scores.get(c.key))
        if number is None or not 1 <= number <= 5:
            errors.append(
                _("%(criterion)s: give a whole score from 1 to 5.") % {"criterion": c.label}
            )
        else:
            out[c.key] = number
    if errors:
        raise CooperationError(" ".join(errors))
    return out


def weighted(scores: dict[str, int]) -> float:
    return round(sum(c.weight * scores[c.key] for c in CRITERIA), 2)


def review(request: Request, user: Any, scores: Any, comment: str = "") -> Request:
    """A reviewer scores each criterion from 1 to 5 (``scores`` = ``{criterion: score}``, or
    one number for all of them); the weighted total is stored with the review."""
    if str(getattr(user, "pk", "")) not in request.data.get("reviewers", []):
        raise engine.NotAllowed(_("You are not a reviewer of this proposal."))
    if request.state != UNDER_REVIEW:
        raise engine.IllegalTransition(_("This proposal is not under review."))
    clean = _criterion_scores(scores)
    request.data.setdefault("reviews", {})[str(user.pk)] = {
        "scores": clean,
        "score": weighted(clean),
        "comment": comment[:2000],
        "at": timezone.now().isoformat(),
    }
    request.save(update_fields=["data"])
    return request


def average_score(request: Request) -> float | None:
    """The proposal's score: the mean of its reviews' weighted totals."""
    scores = [float(r["score"]) for r in request.data.get("reviews", {}).values()]
    return round(sum(scores) / len(scores), 2) if scores else None


def criterion_means(request: Request) -> dict[str, float]:
    reviews = [r.get("scores") for r in request.data.get("reviews", {}).values()]
    reviews = [r for r in reviews if r]
    return {
        c.key: round(sum(r[c.key] for r in reviews) / len(reviews), 2) for c in CRITERIA if reviews
    }


# --- ranking and selection within the call's budget ----------------------------------------------
UNIT = 100  # the knapsack counts money in whole hundreds of USD


@dataclass
class Ranked:
    request: Request
    rank: int
    score: float
    criteria: dict[str, float]
    amount: float
    selected: bool = False
    reason: str = ""


@dataclass
class Selection:
    budget: float
    ranked: list[Ranked] = field(default_factory=list)
    pending: list[Request] = field(default_factory=list)  # under review, reviews missing

    @property
    def used(self) -> float:
        return sum(r.amount for r in self.ranked if r.selected)

    @property
    def left(self) -> float:
        return self.budget - self.used


def call_budget(call: Record) -> float | None:
    value = _call_doc(call).get("budget")
    return float(value) if isinstance(value, int | float) and value > 0 else None


def _units(amount: float) -> int:
    return math.ceil(round(amount, 2) / UNIT)


def knapsack(amounts: list[float], scores: list[float], budget: float) -> set[int]:
    """Exact 0/1 knapsack: the indices whose amounts fit ``budget`` with the largest total
    score. Dynamic programming over the budget in whole hundreds of USD (amounts rounded up,
    the budget down, so a selection never exceeds the budget): O(items * budget / 100) time
    and booleans. Scores are compared in thousandths so that equal totals are recognised as
    equal; an item only replaces the best set so far when it strictly improves it, so the
    result is deterministic for a given order (the callers pass the ranking order)."""
    capacity = int(budget // UNIT)
    values = [round(s * 1000) for s in scores]
    weights = [_units(a) for a in amounts]
    best = [0] * (capacity + 1)
    keep = []
    for w, v in zip(weights, values, strict=True):
        row = [False] * (capacity + 1)
        if w <= capacity:
            for c in range(capacity, w - 1, -1):
                if best[c - w] + v > best[c]:
                    best[c] = best[c - w] + v
                    row[c] = True
        keep.append(row)
    chosen, c = set(), capacity
    for i in range(len(weights) - 1, -1, -1):
        if keep[i][c]:
            chosen.add(i)
            c -= weights[i]
    return chosen


def money(amount: float) -> str:
    return f"USD {amount:,.0f}"


def selection(call: Record) -> Selection:
    """Rank the proposals of ``call`` under review that every reviewer has reviewed (best
    score first; ties: smaller amount, then earlier proposal) and select the set with the
    largest total score that fits the call's budget, each with its explanation."""
    budget = call_budget(call)
    if budget is None:
        raise CooperationError(
            _("The call declares no total budget (field “budget”, USD); add it to the call.")
        )
    out = Selection(budget=budget)
    rows = []
    for item in Request.objects.filter(kind=KIND, record=call, state=UNDER_REVIEW).order_by("pk"):
        reviewers = [str(r) for r in item.data.get("reviewers", [])]
        reviews = item.data.get("reviews", {})
        score = average_score(item)
        if not reviewers or score is None or any(r not in reviews for r in reviewers):
            out.pending.append(item)
            continue
        rows.append((item, score))
    rows.sort(key=lambda r: (-r[1], float(r[0].data["proposal"].get("amount") or 0), r[0].pk))
    for rank, (item, score) in enumerate(rows, start=1):
        out.ranked.append(
            Ranked(
                request=item,
                rank=rank,
                score=score,
                criteria=criterion_means(item),
                amount=float(item.data["proposal"].get("amount") or 0),
            )
        )
    chosen = knapsack([r.amount for r in out.ranked], [r.score for r in out.ranked], budget)
    for i, r in enumerate(out.ranked):
        r.selected = i in chosen
    left = out.left
    for r in out.ranked:
        values = {"rank": r.rank, "score": r.score, "amount": money(r.amount)}
        if r.selected:
            r.reason = (
                _(
                    "Selected: rank %(rank)s, score %(score)s; the %(amount)s requested fit in "
                    "the budget together with the other selected proposals."
                )
                % values
            )
        elif r.amount > budget:
            r.reason = _(
                "Not selected: the %(amount)s requested exceed the whole budget of %(budget)s."
            ) % {"amount": money(r.amount), "budget": money(budget)}
        elif r.amount > left:
            r.reason = _(
                "Not selected: rank %(rank)s, score %(score)s; the %(amount)s requested do not "
                "fit in the %(left)s left, and the selected set has the highest total score "
                "the budget allows."
            ) % {**values, "left": money(left)}
        else:  # fits in dollars, not in whole hundreds (amounts are rounded up)
            r.reason = _(
                "Not selected: rank %(rank)s, score %(score)s; counted in whole hundreds of "
                "USD (rounded up), the %(amount)s requested do not fit in the %(left)s left."
            ) % {**values, "left": money(left)}
    return out


def confirm_selection(call: Record, user: Any) -> Selection:
    """Helpdesk: award the selected proposals and decline the others (the explanation is the
    comment); applicants are e-mailed by the workflow. Refused while reviews are missing."""
    if not is_helpdesk(user):
        raise engine.NotAllowed(_("Only the helpdesk confirms the selection."))
    result = selection(call)
    if result.pending:
        raise CooperationError(
            _("Reviews are still missing for: %(list)s. Confirm once every proposal is reviewed.")
            % {"list": ", ".join(f"#{p.pk} “{p.data.get('title', '')}”" for p in result.pending)}
        )
    if not result.ranked:
        raise CooperationError(_("There is no reviewed proposal to decide on."))
    with transaction.atomic():
        for r in result.ranked:
            action = "award" if r.selected else "decline"
            r.request = engine.perform(r.request, action, user, r.reason)
    return result


# --- funded projects: start, progress reports, final report ------------------------------------
def project(request: Request) -> dict[str, Any]:
    """The funded project's tracking data: ``startedOn``, ``reports`` (progress reports, oldest
    first) and ``final_report`` (or None)."""
    data = request.data.get("project") or {}
    return {
        "startedOn": data.get("startedOn", ""),
        "reports": list(data.get("reports", [])),
        "final_report": data.get("final_report"),
    }


def _required_date(value: Any) -> str:
    text = str(value or "").strip()
    if not text or parse_date(text) is None:
        raise CooperationError(_("Give dates as YYYY-MM-DD."))
    return text


def _note(request: Request, user: Any, action: str, comment: str) -> None:
    """A history entry that changes no state (reports)."""
    RequestEvent.objects.create(
        request=request,
        action=action,
        from_state=request.state,
        to_state=request.state,
        user=user,
        comment=comment,
    )


def start_project(request: Request, user: Any, started_on: Any) -> Request:
    """The grantee or the helpdesk starts an awarded project, with its actual start date."""
    day = _required_date(started_on)
    with transaction.atomic():
        request = engine.perform(request, "start", user, day)
        request.data.setdefault("project", {})["startedOn"] = day
        request.save(update_fields=["data"])
    return request


def progress_report(request: Request, user: Any, on: Any, text: str, spent_percent: Any) -> Request:
    """The grantee reports progress on a running (or finishing) project: a date, a text and
    the share of the grant spent so far (0 to 100 %)."""
    if not _applicant(request, user):
        raise engine.NotAllowed(_("Only the grantee reports on the project."))
    if request.state not in {RUNNING, FINISHING}:
        raise engine.IllegalTransition(
            _("Progress reports are for running projects; this one is %(state)s.")
            % {"state": request.state}
        )
    day = _required_date(on)
    text = str(text or "").strip()
    if not text or len(text) > MAX_REPORT:
        raise CooperationError(
            _("A report needs a text of at most %(n)s characters.") % {"n": MAX_REPORT}
        )
    try:
        spent = float(spent_percent)
    except (TypeError, ValueError):
        spent = -1.0
    if not 0 <= spent <= 100:
        raise CooperationError(_("Give the share of the grant spent, from 0 to 100 %."))
    with transaction.atomic():
        request.data.setdefault("project", {}).setdefault("reports", []).append(
            {
                "date": day,
                "text": text,
                "spent": spent,
                "by": user.username,
                "at": timezone.now().isoformat(),
            }
        )
        request.save(update_fields=["data"])
        _note(request, user, "progress_report", f"{day}: {spent:g} %")
    return request


def final_report(
    request: Request, user: Any, summary: str, results: str, link: str = ""
) -> Request:
    """The grantee submits the final report (summary, results, optional link); the helpdesk
    is e-mailed after the commit and completes the project with ``accept_report``. A report
    may be sent again (it replaces the previous one) until it is accepted."""
    if not _applicant(request, user):
        raise engine.NotAllowed(_("Only the grantee reports on the project."))
    if request.state not in {RUNNING, FINISHING}:
        raise engine.IllegalTransition(
            _("A final report is for a running project; this one is %(state)s.")
            % {"state": request.state}
        )
    summary, results, link = (str(v or "").strip() for v in (summary, results, link))
    if not summary or not results or len(summary) > MAX_REPORT or len(results) > MAX_REPORT:
        raise CooperationError(
            _("A final report needs a summary and results of at most %(n)s characters each.")
            % {"n": MAX_REPORT}
        )
    if link and not link.startswith(("https://", "http://")):
        raise CooperationError(_("The link must start with https:// or http://."))
    with transaction.atomic():
        request.data.setdefault("project", {})["final_report"] = {
            "summary": summary,
            "results": results,
            "link": link,
            "by": user.username,
            "at": timezone.now().isoformat(),
        }
        request.save(update_fields=["data"])
        _note(request, user, "final_report", summary[:200])
        title = request.data.get("title", "")
        _send(
            [
                (
                    _("[Clearinghouse] Final report of the project “%(title)s”") % {"title": title},
                    _(
                        "The grantee sent the final report of “%(title)s”. Please review and "
                        "accept it: /cooperation/proposals/%(pk)s/"
                    )
                    % {"title": title, "pk": request.pk},
                    settings.DEFAULT_FROM_EMAIL,
                    _helpdesk_emails(request),
                )
            ]
        )
    return request


def accept_report(request: Request, user: Any, comment: str = "") -> Request:
    """Helpdesk: accept the final report; the project is completed."""
    if request.state in {RUNNING, FINISHING} and not project(request)["final_report"]:
        raise engine.IllegalTransition(
            _("The grantee has not sent the final report yet; it cannot be accepted.")
        )
    return engine.perform(request, "accept_report", user, comment)
