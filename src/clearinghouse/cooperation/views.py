"""Web pages of technical and scientific cooperation (no JavaScript)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clearinghouse.cooperation import dashboard as figures
from clearinghouse.cooperation import services
from clearinghouse.cooperation.labels import BUTTONS
from clearinghouse.records import services as record_services
from clearinghouse.records.errors import RecordInvalid
from clearinghouse.records.i18n import pick
from clearinghouse.records.models import Record
from clearinghouse.workflows import engine
from clearinghouse.workflows.labels import action_label
from clearinghouse.workflows.models import Request


def _ui() -> str:
    return translation.get_language() or "en"


def _title(record: Record) -> str:
    from clearinghouse.records.models import Draft

    draft = Draft.objects.filter(record=record).first()
    doc = draft.document if draft else (record.published.document if record.published else {})
    value = doc.get("title")
    return pick(value, _ui()).text if isinstance(value, dict) else record.uid


def _assistance(pk: int, user: Any) -> Request:
    item = get_object_or_404(Request.objects.select_related("record"), pk=pk, kind=services.KIND)
    if not services.can_view(item, user):
        raise Http404(_("You cannot see this request."))
    return item


@login_required
def index(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    helpdesk = services.is_helpdesk(user)
    mine = Request.objects.filter(kind=services.KIND, created_by=user)
    submitted = set(mine.filter(state__in=services.OPEN_STATES).values_list("record_id", flat=True))
    drafts = [
        (r, _title(r))
        for r in Record.objects.filter(schema="bbiRequest", created_by=user, deleted_at=None)
        if r.pk not in submitted
    ]
    profiles = [(r, _title(r)) for r in services.profile_records().filter(created_by=user)]
    context: dict[str, Any] = {
        "helpdesk": helpdesk,
        "mine": mine,
        "drafts": drafts,
        "profiles": profiles,
        "queue": (
            Request.objects.filter(kind=services.KIND, state__in=services.OPEN_STATES)
            if helpdesk
            else None
        ),
        "indicators": services.indicators() if helpdesk else None,
    }
    return render(request, "cooperation/index.html", context)


@login_required
@require_POST
def submit(request: HttpRequest, uid: str) -> HttpResponse:
    record = get_object_or_404(Record, uid=uid, schema="bbiRequest")
    try:
        item = services.submit(record, request.user, request.POST.get("note", ""))
    except record_services.RecordError as exc:
        messages.error(request, str(exc))
        return redirect("cooperation:index")
    except RecordInvalid as exc:
        messages.error(request, _("The request is incomplete: %(issues)s") % {"issues": exc})
        return redirect("cooperation:index")
    messages.success(request, _("Your request was sent to the helpdesk."))
    return redirect("cooperation:request", pk=item.pk)


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    item = _assistance(pk, user)
    helpdesk = services.is_helpdesk(user)
    show_suggestions = item.state == services.VALIDATED and (
        helpdesk or services.is_requester(item, user)
    )
    context = {
        "item": item,
        "helpdesk": helpdesk,
        "document": item.data.get("document") or {},
        "actions": [
            (a, str(BUTTONS.get(a, a))) for a in engine.workflow_for(item).available(item, user)
        ],
        "events": item.events.select_related("user"),
        "suggestions": services.suggestions(item, _ui()) if show_suggestions else None,
        "match": item.data.get("match"),
        "can_confirm": helpdesk and item.state == services.VALIDATED,
    }
    return render(request, "cooperation/request.html", context)


@login_required
@require_POST
def act(request: HttpRequest, pk: int) -> HttpResponse:
    item = _assistance(pk, request.user)
    action = request.POST.get("action", "")
    try:
        engine.perform(item, action, request.user, request.POST.get("comment", ""))
        messages.success(request, _("Done: %(action)s.") % {"action": action_label(action)})
    except engine.WorkflowError as exc:
        messages.error(request, str(exc))
    return redirect("cooperation:request", pk=pk)


@login_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    item = _assistance(pk, request.user)
    try:
        services.confirm_match(
            item, request.user, request.POST.get("profile", ""), request.POST.get("comment", "")
        )
        messages.success(request, _("Match confirmed; both sides were notified."))
    except (engine.WorkflowError, record_services.RecordError) as exc:
        messages.error(request, str(exc))
    return redirect("cooperation:request", pk=pk)


@login_required
@require_POST
def override(request: HttpRequest, pk: int) -> HttpResponse:
    item = _assistance(pk, request.user)
    try:
        services.set_override(
            item, request.user, request.POST.get("profile", ""), request.POST.get("mode", "")
        )
        messages.success(request, _("Suggestions updated."))
    except (engine.WorkflowError, record_services.RecordError) as exc:
        messages.error(request, str(exc))
    return redirect("cooperation:request", pk=pk)


@login_required
@require_POST
def run_cycle(request: HttpRequest) -> HttpResponse:
    if not services.is_helpdesk(request.user):
        raise Http404(_("Only the helpdesk runs matching cycles."))
    stats = services.run_cycle()
    messages.success(
        request,
        _("Matching cycle done: %(requests)s requests, %(escalated)s escalated.") % stats,
    )
    return redirect("cooperation:index")


@login_required
def provider(request: HttpRequest, uid: str) -> HttpResponse:
    user: Any = request.user
    profile = get_object_or_404(services.profile_records(), uid=uid)
    if profile.created_by_id != user.pk and not services.is_helpdesk(user):
        raise Http404(_("You cannot see this provider's matches."))
    context = {
        "profile": profile,
        "title": _title(profile),
        "fits": services.fitting_requests(profile, _ui()),
    }
    return render(request, "cooperation/provider.html", context)


def dashboard(request: HttpRequest) -> HttpResponse:
    """Public figures: providers, requests, matches and the small-grant pipeline (aggregates
    only: no titles, no names of requesters)."""
    return render(request, "cooperation/dashboard.html", figures.figures(_ui()))
