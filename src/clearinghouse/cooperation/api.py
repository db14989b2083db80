"""JSON API of technical and scientific cooperation (mounted at /api/cooperation/)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import translation
from ninja import Router, Schema
from ninja.errors import HttpError

from clearinghouse.api.auth import AUTH
from clearinghouse.api.params import ObjectId, TopK
from clearinghouse.cooperation import grants, services
from clearinghouse.cooperation.matching import Suggestion
from clearinghouse.cooperation.models import ReviewerProfile
from clearinghouse.records.models import Record
from clearinghouse.workflows import engine
from clearinghouse.workflows.models import Request

router = Router(tags=["cooperation"])


class SubmitIn(Schema):
    uid: str
    note: str = ""


class CommentIn(Schema):
    comment: str = ""


class ConfirmIn(Schema):
    profile: str
    comment: str = ""


class OverrideIn(Schema):
    profile: str
    mode: str  # pin | exclude | clear


class AssistanceOut(Schema):
    id: int
    record: str | None
    title: str
    country: str
    state: str
    cycles: int
    last_resort: bool
    match: dict[str, Any] | None
    report: str | None
    actions: list[str]
    created_at: str


class ComponentOut(Schema):
    name: str
    score: float
    weight: float
    explanation: str


class SuggestionOut(Schema):
    profile: str
    name: str
    country: str
    score: float
    pinned: bool
    warnings: list[str]
    components: list[ComponentOut]


class FitOut(Schema):
    request: int
    title: str
    country: str
    suggestion: SuggestionOut


def _out(item: Request, user: Any) -> dict[str, Any]:
    return {
        "id": item.pk,
        "record": item.record.uid if item.record else None,
        "title": item.data.get("title", ""),
        "country": item.data.get("country", ""),
        "state": item.state,
        "cycles": int(item.data.get("cycles", 0)),
        "last_resort": bool(item.data.get("last_resort")),
        "match": {k: v for k, v in (item.data.get("match") or {}).items() if k != "emails"} or None,
        "report": item.data.get("report"),
        "actions": engine.workflow_for(item).available(item, user),
        "created_at": item.created_at.isoformat(),
    }


def _suggestion(s: Suggestion) -> dict[str, Any]:
    return {
        "profile": s.provider.key,
        "name": s.name,
        "country": s.provider.country,
        "score": s.score,
        "pinned": s.pinned,
        "warnings": s.warnings,
        "components": [
            {"name": c.name, "score": c.score, "weight": c.weight, "explanation": c.explanation}
            for c in s.components
        ],
    }


def _item(pk: int, user: Any) -> Request:
    item = get_object_or_404(Request.objects.select_related("record"), pk=pk, kind=services.KIND)
    if not services.can_view(item, user):
        raise HttpError(404, "No such request for technical assistance")
    return item


@router.post("/requests", auth=AUTH, response={201: AssistanceOut})
def submit(request: HttpRequest, payload: SubmitIn) -> Any:
    """Submit a ``bbiRequest`` record (draft or published) to the helpdesk."""
    record = get_object_or_404(Record, uid=payload.uid, schema="bbiRequest")
    return 201, _out(services.submit(record, request.user, payload.note), request.user)


@router.get("/requests", auth=AUTH, response=list[AssistanceOut])
def list_requests(request: HttpRequest, state: str | None = None) -> list[dict[str, Any]]:
    """The helpdesk sees every request; others see their own."""
    items = Request.objects.filter(kind=services.KIND).select_related("record")
    if not services.is_helpdesk(request.user):
        items = items.filter(created_by_id=request.user.pk)
    if state:
        items = items.filter(state=state)
    return [_out(i, request.user) for i in items[:500]]


@router.get("/requests/{pk}", auth=AUTH, response=AssistanceOut)
def get_request(request: HttpRequest, pk: ObjectId) -> dict[str, Any]:
    return _out(_item(pk, request.user), request.user)


@router.get("/requests/{pk}/suggestions", auth=AUTH, response=list[SuggestionOut])
def suggestions(request: HttpRequest, pk: ObjectId, k: TopK = 5) -> list[dict[str, Any]]:
    """Ranked providers, each with one explanation per score component (in the language of
    the ``Accept-Language`` header)."""
    item = _item(pk, request.user)
    if not (services.is_helpdesk(request.user) or services.is_requester(item, request.user)):
        raise HttpError(403, "Only the helpdesk and the requester see suggestions")
    language = translation.get_language() or "en"
    return [_suggestion(s) for s in services.suggestions(item, language, k=min(max(k, 1), 50))]


@router.post("/requests/{pk}/confirm", auth=AUTH, response=AssistanceOut)
def confirm(request: HttpRequest, pk: ObjectId, payload: ConfirmIn) -> dict[str, Any]:
    """Helpdesk: confirm a provider; the request becomes ``matched`` and both are notified."""
    item = services.confirm_match(
        _item(pk, request.user), request.user, payload.profile, payload.comment
    )
    return _out(item, request.user)


@router.post("/requests/{pk}/overrides", auth=AUTH, response=AssistanceOut)
def override(request: HttpRequest, pk: ObjectId, payload: OverrideIn) -> dict[str, Any]:
    """Helpdesk: ``pin`` a provider at the top of the suggestions, ``exclude`` it, ``clear``."""
    item = services.set_override(
        _item(pk, request.user), request.user, payload.profile, payload.mode
    )
    return _out(item, request.user)


@router.post("/requests/{pk}/actions/{action}", auth=AUTH, response=AssistanceOut)
def act(request: HttpRequest, pk: ObjectId, action: str, payload: CommentIn) -> dict[str, Any]:
    """validate, agree, start, complete (comment = completion report), decline, close."""
    if action == "match":
        raise HttpError(400, "Use /confirm to match a provider")
    item = engine.perform(_item(pk, request.user), action, request.user, payload.comment)
    return _out(item, request.user)


@router.get("/providers/{uid}/requests", auth=AUTH, response=list[FitOut])
def fitting(request: HttpRequest, uid: str) -> list[dict[str, Any]]:
    """Open requests that fit a provider profile (its owner or the helpdesk)."""
    profile = get_object_or_404(services.profile_records(), uid=uid)
    user: Any = request.user
    if profile.created_by_id != user.pk and not services.is_helpdesk(user):
        raise HttpError(404, "No such provider profile of yours")
    language = translation.get_language() or "en"
    return [
        {
            "request": f["request"].pk,
            "title": f["request"].data.get("title", ""),
            "country": f["request"].data.get("country", ""),
            "suggestion": _suggestion(f["suggestion"]),
        }
        for f in services.fitting_requests(profile, language)
    ]


@router.get("/indicators", auth=AUTH, response=dict[str, Any])
def indicators(request: HttpRequest) -> dict[str, Any]:
    if not services.is_helpdesk(request.user):
        raise HttpError(403, "Helpdesk only")
    return services.indicators()


# --- small grants ------------------------------------------------------------------------------
class CallOut(Schema):
    uid: str
    title: dict[str, str]
    deadline: str | None
    open: bool


class ProposalIn(Schema):
    title: str
    summary: str
    amount: float = 0
    country: str = ""
    organization: str = ""  # the applicant's organization (conflicts of interest)
    organizationType: str = ""  # the CBD field name
    startDate: str = ""  # project period, YYYY-MM-DD (optional)
    endDate: str = ""
    partners: list[str] = []  # other participating countries (ISO codes)


class OperationIn(Schema):
    usernames: list[str] | None = None  # reviewers
    scores: dict[str, Any] | None = None  # review: {criterion: 1-5}, see grants.CRITERIA
    score: int | None = None  # review: one score 1-5 for every criterion
    comment: str = ""
    date: str = ""  # start (actual start date) and progress (report date), YYYY-MM-DD
    text: str = ""  # progress: what was done
    spent: float | None = None  # progress: share of the grant spent, 0 to 100 %
    summary: str = ""  # final_report
    results: str = ""  # final_report
    link: str = ""  # final_report (optional)


class ProposalOut(Schema):
    id: int
    call: str | None
    state: str
    proposal: dict[str, Any]
    screening: dict[str, Any] | None
    reviews: int
    reviewers: int
    average_score: float | None
    criteria: dict[str, float]  # mean score per criterion
    actions: list[str]
    project: dict[str, Any]  # funded project: startedOn, reports, final_report


def _proposal_out(item: Request, user: Any) -> dict[str, Any]:
    return {
        "id": item.pk,
        "call": item.record.uid if item.record else None,
        "state": item.state,
        "proposal": item.data.get("proposal", {}),
        "screening": item.data.get("screening"),
        "reviews": len(item.data.get("reviews", {})),
        "reviewers": len(item.data.get("reviewers", [])),
        "average_score": grants.average_score(item),
        "criteria": grants.criterion_means(item),
        "actions": engine.workflow_for(item).available(item, user),
        "project": grants.project(item),
    }


def _proposal(pk: int, user: Any) -> Request:
    item = get_object_or_404(Request.objects.select_related("record"), pk=pk, kind=grants.KIND)
    reviewer = str(user.pk) in item.data.get("reviewers", [])
    if not (item.created_by_id == user.pk or services.is_helpdesk(user) or reviewer):
        raise HttpError(404, "No such proposal")
    return item


@router.get("/grants/calls", response=list[CallOut], tags=["small grants"])
def list_calls(request: HttpRequest) -> list[dict[str, Any]]:
    out = []
    for call in grants.calls():
        due = grants.deadline(call)
        out.append(
            {
                "uid": call.uid,
                "title": (call.published.document.get("title") if call.published else {}) or {},
                "deadline": due.isoformat() if due else None,
                "open": grants.is_open(call),
            }
        )
    return out


@router.post(
    "/grants/calls/{uid}/proposals",
    auth=AUTH,
    response={201: ProposalOut},
    tags=["small grants"],
)
def start_proposal(request: HttpRequest, uid: str, payload: ProposalIn) -> Any:
    """Save a draft proposal to an open call."""
    call = get_object_or_404(grants.calls(), uid=uid)
    item = grants.start_proposal(call, request.user, payload.dict())
    return 201, _proposal_out(item, request.user)


@router.get("/grants/proposals/{pk}", auth=AUTH, response=ProposalOut, tags=["small grants"])
def get_proposal(request: HttpRequest, pk: ObjectId) -> dict[str, Any]:
    return _proposal_out(_proposal(pk, request.user), request.user)


@router.put("/grants/proposals/{pk}", auth=AUTH, response=ProposalOut, tags=["small grants"])
def update_proposal(request: HttpRequest, pk: ObjectId, payload: ProposalIn) -> dict[str, Any]:
    item = grants.update_proposal(_proposal(pk, request.user), request.user, payload.dict())
    return _proposal_out(item, request.user)


@router.post(
    "/grants/proposals/{pk}/{operation}",
    auth=AUTH,
    response=ProposalOut,
    tags=["small grants"],
)
def proposal_operation(
    request: HttpRequest, pk: ObjectId, operation: str, payload: OperationIn
) -> dict[str, Any]:
    """``submit`` (refused after the deadline; the draft is kept), ``screen``,
    ``reviewers`` ``{"usernames": [...]}`` (refused for a conflict of interest), ``review``
    ``{"scores": {"relevance": 1-5, "feasibility", "capacity", "budget", "sustainability"},
    "comment"}`` (or one ``score`` for all criteria),
    ``award``, ``decline`` ``{"comment"}``, ``withdraw``.

    Funded projects: ``start`` ``{"date"}`` (actual start), ``finish``, ``progress``
    ``{"date", "text", "spent"}`` (grantee), ``final_report`` ``{"summary", "results",
    "link"}`` (grantee; the helpdesk is e-mailed), ``accept_report`` and ``terminate``
    ``{"comment"}`` (helpdesk)."""
    item = _proposal(pk, request.user)
    user = request.user
    if operation == "submit":
        item = grants.submit_proposal(item, user)
    elif operation == "screen":
        item = grants.screen(item, user)
    elif operation == "reviewers":
        if not payload.usernames:
            raise HttpError(400, "Give the reviewers' user names in `usernames`")
        item = grants.assign_reviewers(item, user, payload.usernames)
    elif operation == "review":
        scores = payload.scores if payload.scores is not None else payload.score
        if scores is None:
            raise HttpError(400, "Give `scores` {criterion: 1-5} or one `score` from 1 to 5")
        item = grants.review(item, user, scores, payload.comment)
    elif operation in {"award", "decline", "withdraw", "finish", "terminate"}:
        item = engine.perform(item, operation, user, payload.comment)
    elif operation == "start":
        item = grants.start_project(item, user, payload.date)
    elif operation == "progress":
        item = grants.progress_report(item, user, payload.date, payload.text, payload.spent)
    elif operation == "final_report":
        item = grants.final_report(item, user, payload.summary, payload.results, payload.link)
    elif operation == "accept_report":
        item = grants.accept_report(item, user, payload.comment)
    else:
        raise HttpError(400, f"Unknown operation {operation!r}")
    return _proposal_out(item, user)


class ReviewerIn(Schema):
    username: str
    country: str  # ISO alpha-2, lower case
    organization: str
    active: bool = True
    languages: list[str] = []


class ReviewerOut(Schema):
    username: str
    country: str
    organization: str
    active: bool
    languages: list[str]
    load: int  # proposals under review assigned to them


class AutoAssignIn(Schema):
    k: int = grants.DEFAULT_REVIEWERS


class RankedOut(Schema):
    id: int
    rank: int
    title: str
    score: float
    criteria: dict[str, float]
    amount: float
    selected: bool
    reason: str


class SelectionOut(Schema):
    budget: float
    used: float
    left: float
    criteria: dict[str, float]  # criterion: weight
    ranking: list[RankedOut]
    pending: list[int]  # proposals under review still waiting for reviews


def _helpdesk_only(request: HttpRequest) -> None:
    if not services.is_helpdesk(request.user):
        raise HttpError(403, "Helpdesk only")


def _reviewer_out(profile: ReviewerProfile, load: dict[str, int]) -> dict[str, Any]:
    return {
        "username": profile.user.username,
        "country": profile.country,
        "organization": profile.organization,
        "active": profile.active,
        "languages": profile.languages,
        "load": load.get(str(profile.user_id), 0),
    }


@router.get("/grants/reviewers", auth=AUTH, response=list[ReviewerOut], tags=["small grants"])
def list_reviewers(request: HttpRequest) -> list[dict[str, Any]]:
    """The reviewer pool (helpdesk)."""
    _helpdesk_only(request)
    load = grants.reviewer_load()
    return [_reviewer_out(p, load) for p in ReviewerProfile.objects.select_related("user")]


@router.put("/grants/reviewers", auth=AUTH, response=ReviewerOut, tags=["small grants"])
def save_reviewer(request: HttpRequest, payload: ReviewerIn) -> dict[str, Any]:
    """Add a user to the reviewer pool or change their profile (helpdesk)."""
    _helpdesk_only(request)
    user = get_user_model().objects.filter(username=payload.username).first()
    if user is None:
        raise HttpError(404, f"Unknown user {payload.username!r}")
    profile = ReviewerProfile.objects.filter(user=user).first() or ReviewerProfile(user=user)
    profile.country = payload.country.strip()
    profile.organization = payload.organization.strip()
    profile.active = payload.active
    profile.languages = payload.languages
    try:
        profile.full_clean()
    except ValidationError as exc:
        raise HttpError(400, " ".join(exc.messages)) from None
    profile.save()
    return _reviewer_out(profile, grants.reviewer_load())


@router.post(
    "/grants/calls/{uid}/reviewers",
    auth=AUTH,
    response=dict[int, list[str]],
    tags=["small grants"],
)
def auto_assign(request: HttpRequest, uid: str, payload: AutoAssignIn) -> dict[int, list[str]]:
    """Assign ``k`` conflict-free reviewers to each proposal under review (helpdesk);
    answers ``{proposal id: [user names added]}``, 409 naming a proposal that cannot get
    enough reviewers (nothing is assigned then)."""
    call = get_object_or_404(grants.calls(), uid=uid)
    return grants.auto_assign(call, request.user, payload.k)


def _selection_out(result: grants.Selection) -> dict[str, Any]:
    return {
        "budget": result.budget,
        "used": result.used,
        "left": result.left,
        "criteria": {c.key: c.weight for c in grants.CRITERIA},
        "ranking": [
            {
                "id": r.request.pk,
                "rank": r.rank,
                "title": r.request.data.get("title", ""),
                "score": r.score,
                "criteria": r.criteria,
                "amount": r.amount,
                "selected": r.selected,
                "reason": r.reason,
            }
            for r in result.ranked
        ],
        "pending": [p.pk for p in result.pending],
    }


@router.get("/grants/calls/{uid}/ranking", auth=AUTH, response=SelectionOut, tags=["small grants"])
def ranking(request: HttpRequest, uid: str) -> dict[str, Any]:
    """Reviewed proposals ranked by score, and the selection that fits the budget (helpdesk)."""
    _helpdesk_only(request)
    return _selection_out(grants.selection(get_object_or_404(grants.calls(), uid=uid)))


@router.post(
    "/grants/calls/{uid}/selection", auth=AUTH, response=SelectionOut, tags=["small grants"]
)
def confirm_selection(request: HttpRequest, uid: str) -> dict[str, Any]:
    """Confirm the selection: award the selected proposals, decline the others (helpdesk)."""
    call = get_object_or_404(grants.calls(), uid=uid)
    return _selection_out(grants.confirm_selection(call, request.user))
