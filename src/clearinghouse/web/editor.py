"""Editor area: drafts, publication requests, the review queue, bulk import."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from clearinghouse.portals import permissions
from clearinghouse.portals.models import Portal, Role
from clearinghouse.records import presentation, services, tabular
from clearinghouse.records.attachments import add_attachment
from clearinghouse.records.errors import RecordInvalid
from clearinghouse.records.forms import (
    LanguagesForm,
    attach_issues,
    document_from_form,
    initial_from_document,
    record_form_class,
)
from clearinghouse.records.i18n import UN_LANGUAGES
from clearinghouse.records.models import Draft, Record
from clearinghouse.records.types import RECORD_TYPES, get_type
from clearinghouse.workflows import engine
from clearinghouse.workflows.labels import action_label
from clearinghouse.workflows.models import Request
from clearinghouse.workflows.publication import (
    PENDING,
    decide_batch,
    request_deletion,
    request_publication,
)


def _portal(request: HttpRequest) -> Portal:
    return request.portal  # type: ignore[attr-defined]


def _ui() -> str:
    return translation.get_language() or "en"


def _require_drafter(request: HttpRequest) -> Portal:
    portal = _portal(request)
    if not permissions.can_draft(request.user, portal):
        raise Http404(_("You have no editing rights on this portal."))
    return portal


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    portal = _portal(request)
    user: Any = request.user
    drafts = (
        Draft.objects.filter(record__portal=portal)
        .filter(Q(updated_by=user) | Q(record__created_by=user))
        .select_related("record")
    )
    mine = Request.objects.filter(portal=portal, created_by=user).select_related("record")[:50]
    reviews = (
        _reviewable(request).count()
        if permissions.can_publish(user, portal)
        or permissions.can_publish(user, portal, reference=True)
        else None
    )
    return render(
        request,
        "web/editor/dashboard.html",
        {
            "drafts": [
                (
                    d,
                    presentation.title_of(get_type(d.record.schema), d.document, _ui())[0],
                    get_type(d.record.schema).label,
                )
                for d in drafts
            ],
            "my_requests": mine,
            "review_count": reviews,
            "can_draft": permissions.can_draft(user, portal),
            "roles": sorted(str(Role(r).label) for r in permissions.roles_on(user, portal)),
        },
    )


def _languages(request: HttpRequest, portal: Portal) -> list[str] | None:
    chosen = [code for code in request.GET.getlist("languages") if code in UN_LANGUAGES]
    return chosen or None


@login_required
def new_record(request: HttpRequest, schema: str) -> HttpResponse:
    portal = _require_drafter(request)
    rtype = _type_or_404(schema)
    languages = _languages(request, portal)
    if languages is None:
        default = [_ui()] if _ui() in UN_LANGUAGES else [portal.default_language]
        return render(
            request,
            "web/editor/languages.html",
            {
                "rtype": rtype,
                "form": LanguagesForm(initial={"languages": default}),
            },
        )
    form_class = record_form_class(rtype, languages, _ui())
    if request.method == "POST":
        form = form_class(request.POST)
        form.is_valid()
        document = document_from_form(rtype, request.POST, languages)
        strict = request.POST.get("action") != "save"
        try:
            record = services.create_draft(portal, request.user, schema, document, strict=False)
        except RecordInvalid as exc:
            attach_issues(form, rtype, exc.issues)
        else:
            if strict:
                return _after_save(request, record)
            messages.success(request, _("Draft saved."))
            return redirect("web:edit_draft", uid=record.uid)
    else:
        form = form_class()
    return render(
        request,
        "web/editor/form.html",
        {
            "rtype": rtype,
            "form": form,
            "languages": languages,
            "record": None,
            "can_publish": _can_publish_type(request, portal, rtype),
        },
    )


def _can_publish_type(request: HttpRequest, portal: Portal, rtype: Any) -> bool:
    return permissions.can_publish(
        request.user, portal, reference=portal.is_central and not rtype.national
    )


def _after_save(request: HttpRequest, record: Record) -> HttpResponse:
    """The user pressed "request publication" or "publish" on a saved draft."""
    action = request.POST.get("action")
    try:
        if action == "publish":
            services.publish(record, request.user)
            messages.success(request, _("Published."))
            return redirect("web:record", uid=record.uid)
        note = request.POST.get("note", "")
        request_publication(record, request.user, note=note)
        messages.success(
            request, _("Publication requested. The publishing authority has been notified.")
        )
        return redirect("web:editor")
    except RecordInvalid:
        messages.error(
            request,
            _(
                "The draft was saved, but it cannot be published yet: "
                "please correct the fields marked below."
            ),
        )
        # Errors attached to this form would not survive the redirect: the draft page
        # marks the fields itself when asked to check.
        return redirect(reverse("web:edit_draft", kwargs={"uid": record.uid}) + "?check=1")
    except services.RecordError as exc:
        messages.error(request, str(exc))
    return redirect("web:edit_draft", uid=record.uid)


def _type_or_404(schema: str) -> Any:
    try:
        return get_type(schema)
    except LookupError:
        raise Http404("Unknown record type") from None


@login_required
def edit_draft(request: HttpRequest, uid: str) -> HttpResponse:
    portal = _require_drafter(request)
    record = get_object_or_404(Record, uid=uid, portal=portal)
    draft = Draft.objects.filter(record=record).first()
    if draft is None:
        return redirect("web:record", uid=uid)
    rtype = get_type(record.schema)
    languages = draft.languages or [portal.default_language]
    form_class = record_form_class(rtype, languages, _ui())
    if draft.under_review:
        messages.info(request, _("This draft is under review and cannot be edited now."))
    if request.method == "POST" and not draft.under_review:
        form = form_class(request.POST)
        form.is_valid()
        document = document_from_form(rtype, request.POST, languages)
        try:
            services.update_draft(record, request.user, document, strict=False)
        except RecordInvalid as exc:
            attach_issues(form, rtype, exc.issues)
        except services.RecordError as exc:
            messages.error(request, str(exc))
        else:
            if request.POST.get("action") in {"request", "publish"}:
                return _after_save(request, record)
            services.release_lock(record, request.user)
            messages.success(request, _("Draft saved."))
            return redirect("web:edit_draft", uid=uid)
    else:
        form = form_class(initial=initial_from_document(rtype, draft.document, languages))
        issues = services.validate(rtype, draft.document, portal)
        if request.GET.get("check") and issues:
            attach_issues(form, rtype, issues)
    return render(
        request,
        "web/editor/form.html",
        {
            "rtype": rtype,
            "form": form,
            "languages": languages,
            "record": record,
            "draft": draft,
            "attachments": record.attachments.all(),
            "can_publish": _can_publish_type(request, portal, rtype),
        },
    )


@login_required
@require_POST
def upload_attachment(request: HttpRequest, uid: str) -> HttpResponse:
    portal = _require_drafter(request)
    record = get_object_or_404(Record, uid=uid, portal=portal)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
    else:
        try:
            add_attachment(record, request.user, upload)
            messages.success(request, _("File attached."))
        except services.RecordError as exc:
            messages.error(request, str(exc))
    return redirect("web:edit_draft", uid=uid)


@login_required
@require_POST
def open_published(request: HttpRequest, uid: str) -> HttpResponse:
    portal = _require_drafter(request)
    record = get_object_or_404(Record, uid=uid, portal=portal)
    services.edit_published(record, request.user)
    return redirect("web:edit_draft", uid=uid)


@login_required
@require_POST
def ask_deletion(request: HttpRequest, uid: str) -> HttpResponse:
    portal = _require_drafter(request)
    record = get_object_or_404(Record, uid=uid, portal=portal)
    try:
        request_deletion(record, request.user, note=request.POST.get("note", ""))
        messages.success(request, _("Deletion requested."))
    except services.RecordError as exc:
        messages.error(request, str(exc))
    return redirect("web:editor")


def _reviewable(request: HttpRequest) -> Any:
    portal = _portal(request)
    return Request.objects.filter(portal=portal, state=PENDING).select_related(
        "record", "created_by"
    )


@login_required
def reviews(request: HttpRequest) -> HttpResponse:
    portal = _portal(request)
    if not (
        permissions.can_publish(request.user, portal)
        or permissions.can_publish(request.user, portal, reference=True)
    ):
        raise Http404(_("You do not review requests on this portal."))
    pending = _reviewable(request)
    batches: dict[str, int] = {}
    for item in pending:
        if item.batch_id:
            batches[item.batch_id] = batches.get(item.batch_id, 0) + 1
    return render(
        request,
        "web/editor/reviews.html",
        {
            "pending": [(r, _request_title(r)) for r in pending],
            "batches": batches,
        },
    )


def _request_title(item: Request) -> str:
    if item.record is None:
        return f"#{item.pk}"
    draft = Draft.objects.filter(record=item.record).first()
    doc = (
        draft.document
        if draft
        else (item.record.published.document if item.record.published else {})
    )
    return presentation.title_of(get_type(item.record.schema), doc, _ui())[0] or item.record.uid


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    portal = _portal(request)
    item = get_object_or_404(Request.objects.select_related("record"), pk=pk, portal=portal)
    if not permissions.can_read_drafts(request.user, portal):
        raise Http404(_("You cannot see requests on this portal."))
    record = item.record
    context: dict[str, Any] = {
        "item": item,
        "title": _request_title(item),
        "actions": engine.workflow_for(item).available(item, request.user),
        "events": item.events.select_related("user"),
    }
    if record is not None:
        rtype = get_type(record.schema)
        draft = Draft.objects.filter(record=record).first()
        proposed = draft.document if draft else {}
        current = record.published.document if record.published else {}
        context.update(
            {
                "record": record,
                "rtype": rtype,
                "rows": presentation.rows(rtype, proposed or current, _ui()),
                "changes": presentation.diff(rtype, current, proposed) if proposed else [],
                "is_new": record.published is None,
            }
        )
    return render(request, "web/editor/request.html", context)


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    portal = _portal(request)
    item = get_object_or_404(Request, pk=pk, portal=portal)
    action = request.POST.get("action", "")
    try:
        engine.perform(item, action, request.user, request.POST.get("comment", ""))
        messages.success(request, _("Done: %(action)s.") % {"action": action_label(action)})
        return redirect("web:reviews" if action in {"approve", "reject"} else "web:editor")
    except (engine.WorkflowError, services.RecordError) as exc:
        messages.error(request, str(exc))
    except RecordInvalid as exc:
        messages.error(request, "; ".join(f"{i.property}: {i.message()}" for i in exc.issues))
    return redirect("web:request", pk=pk)


@login_required
@require_POST
def decide_batch_view(request: HttpRequest, batch_id: str) -> HttpResponse:
    portal = _portal(request)
    action = request.POST.get("action", "")
    try:
        done = decide_batch(
            batch_id, portal.pk, action, request.user, request.POST.get("comment", "")
        )
        messages.success(
            request,
            _("%(n)s requests: %(action)s.") % {"n": len(done), "action": action_label(action)},
        )
    except (engine.WorkflowError, services.RecordError) as exc:
        messages.error(request, str(exc))
    return redirect("web:reviews")


@login_required
def bulk_import(request: HttpRequest, schema: str) -> HttpResponse:
    portal = _require_drafter(request)
    rtype = _type_or_404(schema)
    context: dict[str, Any] = {
        "rtype": rtype,
        "columns": tabular.columns(rtype, portal.languages or ["en"]),
    }
    if request.method == "POST" and request.FILES.get("file"):
        upload: Any = request.FILES["file"]
        try:
            table = tabular.read_table(upload.name or "", upload.read())
            report = tabular.dry_run(portal, rtype, table)
            context["report"] = report
            if request.POST.get("commit") and not report.errors:
                tabular.commit(
                    portal, request.user, rtype, report, note=request.POST.get("note", "")
                )
                messages.success(request, _("%(n)s records imported.") % {"n": len(report.created)})
                return HttpResponseRedirect(reverse("web:editor"))
        except tabular.ImportFileError as exc:
            context["file_error"] = str(exc)
    return render(request, "web/editor/import.html", context)


def export(request: HttpRequest, schema: str, fmt: str) -> HttpResponse:
    rtype = _type_or_404(schema)
    records = (
        services.visible_records(_portal(request))
        .filter(schema=schema)
        .select_related("published")
        .order_by("-published_at")[:10000]
    )
    documents = [r.published.document for r in records if r.published]
    if fmt == "json":
        body, content_type = tabular.to_json(documents), "application/json"
    else:
        cols, rows = tabular.export_rows(rtype, documents)
        if fmt == "csv":
            body, content_type = tabular.to_csv(cols, rows), "text/csv; charset=utf-8"
        elif fmt == "xlsx":
            body = tabular.to_xlsx(cols, rows, rtype.schema)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        else:
            raise Http404("Unknown format")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{schema}.{fmt}"'
    return response


__all__ = ["RECORD_TYPES"]
