"""Web pages of small grants: open calls, apply, proposal page (applicant, helpdesk, reviewers)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clearinghouse.cooperation import grants
from clearinghouse.cooperation.models import ReviewerProfile
from clearinghouse.cooperation.services import CooperationError, is_helpdesk
from clearinghouse.workflows import engine
from clearinghouse.workflows.models import Request


def _form_values(values: Any) -> dict[str, Any]:
    """Values for the proposal fields, partner countries as the text of their input."""
    out = dict(values)
    if isinstance(out.get("partners"), list):
        out["partners"] = ", ".join(out["partners"])
    return out


def _ui() -> str:
    return translation.get_language() or "en"


def _proposal(pk: int, user: Any) -> Request:
    item = get_object_or_404(Request.objects.select_related("record"), pk=pk, kind=grants.KIND)
    reviewer = str(user.pk) in item.data.get("reviewers", [])
    if not (item.created_by_id == user.pk or is_helpdesk(user) or reviewer):
        raise Http404(_("You cannot see this proposal."))
    return item


@login_required
def calls(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    rows = [
        {
            "call": c,
            "title": grants.call_title(c, _ui()),
            "deadline": grants.deadline(c),
            "open": grants.is_open(c),
        }
        for c in grants.calls()
    ]
    mine = Request.objects.filter(kind=grants.KIND, created_by=user)
    reviewing = [
        r
        for r in Request.objects.filter(kind=grants.KIND, state=grants.UNDER_REVIEW)
        if str(user.pk) in r.data.get("reviewers", [])
    ]
    queue = (
        Request.objects.filter(kind=grants.KIND).exclude(state=grants.DRAFT)
        if is_helpdesk(user)
        else None
    )
    final_reports = (
        Request.objects.filter(
            kind=grants.KIND,
            state__in=[grants.RUNNING, grants.FINISHING],
            data__project__has_key="final_report",
        )
        if is_helpdesk(user)
        else None
    )
    return render(
        request,
        "cooperation/calls.html",
        {
            "rows": rows,
            "mine": mine,
            "reviewing": reviewing,
            "queue": queue,
            "final_reports": final_reports,
        },
    )


@login_required
def apply(request: HttpRequest, uid: str) -> HttpResponse:
    call = get_object_or_404(grants.calls(), uid=uid)
    if request.method == "POST":
        try:
            item = grants.start_proposal(call, request.user, request.POST.dict())
            messages.success(request, _("Draft saved. Submit it before the deadline."))
            return redirect("cooperation:proposal", pk=item.pk)
        except (engine.WorkflowError, CooperationError) as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "cooperation/apply.html",
        {
            "call": call,
            "title": grants.call_title(call, _ui()),
            "deadline": grants.deadline(call),
            "document": call.published.document if call.published else {},
            "values": request.POST.dict() if request.method == "POST" else {},
        },
    )


def _criteria(mine: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The rubric for templates; ``mine`` fills the reviewer's earlier scores in."""
    scores = (mine or {}).get("scores", {})
    return [
        {
            "key": c.key,
            "label": c.label,
            "percent": round(c.weight * 100),
            "mine": scores.get(c.key),
        }
        for c in grants.CRITERIA
    ]


def _reviews(item: Request) -> list[dict[str, Any]]:
    reviews = item.data.get("reviews", {})
    users = get_user_model().objects.in_bulk([int(pk) for pk in reviews])
    return [
        {
            "name": users[int(pk)].username if int(pk) in users else pk,
            "scores": [r.get("scores", {}).get(c.key, "") for c in grants.CRITERIA],
            "score": r.get("score"),
            "comment": r.get("comment", ""),
        }
        for pk, r in sorted(reviews.items())
    ]


@login_required
def ranking(request: HttpRequest, uid: str) -> HttpResponse:
    """Helpdesk: automatic reviewer assignment, the ranking with scores per criterion, the
    selection within the budget with its explanations, and its confirmation."""
    user: Any = request.user
    if not is_helpdesk(user):
        raise Http404(_("Only the helpdesk sees the ranking."))
    call = get_object_or_404(grants.calls(), uid=uid)
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            if op == "assign":
                added = grants.auto_assign(call, user, int(request.POST.get("k") or 0))
                messages.success(
                    request,
                    _("Reviewers assigned to %(n)s proposals.") % {"n": len(added)},
                )
            elif op == "confirm":
                result = grants.confirm_selection(call, user)
                messages.success(
                    request,
                    _("Selection confirmed: %(awarded)s awarded, %(declined)s declined.")
                    % {
                        "awarded": sum(r.selected for r in result.ranked),
                        "declined": sum(not r.selected for r in result.ranked),
                    },
                )
            else:
                raise CooperationError(_("Unknown operation."))
        except (engine.WorkflowError, CooperationError, ValueError) as exc:
            messages.error(request, str(exc))
        return redirect("cooperation:ranking", uid=uid)
    context: dict[str, Any] = {
        "call": call,
        "title": grants.call_title(call, _ui()),
        "criteria": _criteria(),
        "colspan": len(grants.CRITERIA) + 5,
        "default_k": grants.DEFAULT_REVIEWERS,
        "pool": ReviewerProfile.objects.filter(active=True).count(),
    }
    try:
        result = grants.selection(call)
    except CooperationError as exc:
        context["error"] = str(exc)
    else:
        context.update(
            budget=grants.money(result.budget),
            used=grants.money(result.used),
            left=grants.money(result.left),
            pending=result.pending,
            rows=[
                {
                    "pk": r.request.pk,
                    "rank": r.rank,
                    "title": r.request.data.get("title", ""),
                    "criteria": [r.criteria.get(c.key, "") for c in grants.CRITERIA],
                    "score": r.score,
                    "amount": f"{r.amount:,.0f}",
                    "selected": r.selected,
                    "reason": r.reason,
                }
                for r in result.ranked
            ],
        )
    return render(request, "cooperation/ranking.html", context)


@login_required
def proposal(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    item = _proposal(pk, user)
    assert item.record is not None
    return render(
        request,
        "cooperation/proposal.html",
        {
            "item": item,
            "p": item.data.get("proposal", {}),
            "values": _form_values(item.data.get("proposal", {})),
            "call_title": grants.call_title(item.record, _ui()),
            "deadline": grants.deadline(item.record),
            "is_applicant": item.created_by_id == user.pk,
            "helpdesk": is_helpdesk(user),
            "is_reviewer": str(user.pk) in item.data.get("reviewers", []),
            "average": grants.average_score(item),
            "criteria": _criteria(item.data.get("reviews", {}).get(str(user.pk))),
            "reviews": _reviews(item),
            "events": item.events.select_related("user"),
            "project": grants.project(item),
            "actions": engine.workflow_for(item).available(item, user),
            "today": timezone.now().date().isoformat(),
        },
    )


@login_required
@require_POST
def proposal_action(request: HttpRequest, pk: int) -> HttpResponse:
    """One endpoint for the buttons of the proposal page (``op`` names the operation)."""
    user: Any = request.user
    item = _proposal(pk, user)
    op = request.POST.get("op", "")
    try:
        if op == "save":
            grants.update_proposal(item, user, request.POST.dict())
        elif op == "submit":
            grants.submit_proposal(item, user)
        elif op == "screen":
            grants.screen(item, user)
        elif op == "reviewers":
            names = [n.strip() for n in request.POST.get("reviewers", "").split(",")]
            grants.assign_reviewers(item, user, [n for n in names if n])
        elif op == "review":
            scores = {c.key: request.POST.get(f"score_{c.key}", "") for c in grants.CRITERIA}
            grants.review(item, user, scores, request.POST.get("comment", ""))
        elif op in {"award", "decline", "withdraw", "finish", "terminate"}:
            engine.perform(item, op, user, request.POST.get("comment", ""))
        elif op == "start":
            grants.start_project(item, user, request.POST.get("started_on", ""))
        elif op == "progress":
            grants.progress_report(
                item,
                user,
                request.POST.get("date", ""),
                request.POST.get("text", ""),
                request.POST.get("spent", ""),
            )
        elif op == "final_report":
            grants.final_report(
                item,
                user,
                request.POST.get("summary", ""),
                request.POST.get("results", ""),
                request.POST.get("link", ""),
            )
        elif op == "accept_report":
            grants.accept_report(item, user, request.POST.get("comment", ""))
        else:
            raise CooperationError(_("Unknown operation."))
        messages.success(request, _("Done."))
    except (engine.WorkflowError, CooperationError, ValueError) as exc:
        messages.error(request, str(exc))
    return redirect("cooperation:proposal", pk=pk)
