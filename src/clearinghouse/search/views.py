"""The search page: /<lang>/search?q=… — a plain GET form; facets are links (no JavaScript)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clearinghouse.portals import permissions
from clearinghouse.portals.models import Portal
from clearinghouse.records.errors import RecordInvalid
from clearinghouse.records.models import Draft, Record
from clearinghouse.records.services import RecordError
from clearinghouse.search import alerts, feedback, gaps, learning, service
from clearinghouse.search.documents import FACETS
from clearinghouse.search.models import SavedSearch, TagFeedback
from clearinghouse.search.text import QueryError


def _query(params: list[tuple[str, str]]) -> str:
    return "?" + urlencode(params)


def search_page(request: HttpRequest) -> HttpResponse:
    language = translation.get_language() or "en"
    portal: Portal = request.portal  # type: ignore[attr-defined]
    q = request.GET.get("q", "")
    mode = request.GET.get("mode", "hybrid")
    sort = request.GET.get("sort", "relevance")
    filters = {name: request.GET.getlist(name) for name in FACETS if name in request.GET}
    base: list[tuple[str, str]] = [
        (k, str(v)) for k, v in request.GET.items() if k in ("q", "mode", "sort")
    ]
    chosen: list[tuple[str, str]] = [(name, v) for name, vs in filters.items() for v in vs]
    context: dict[str, Any] = {"q": q, "mode": mode, "sort": sort, "error": "", "results": None}
    status = 200
    if q.strip() or "q" in request.GET:
        try:
            page = int(request.GET.get("page", "1"))
        except ValueError:
            page = 1
        try:
            results = service.search(
                q,
                portal,
                mode=mode,
                filters=filters,
                sort=sort,
                page=page,
                language=language,
            )
        except QueryError as exc:
            context["error"] = str(exc)
            status = 400
        else:
            hosts: dict[int, str] = {}
            for p in Portal.objects.prefetch_related("hosts"):
                first = next(iter(p.hosts.all()), None)
                if first is not None:
                    hosts[p.pk] = first.host
            for hit in results.hits:
                path = reverse("web:record", args=[hit.uid])
                local = hit.portal_id == portal.pk or hit.portal_id not in hosts
                hit.url = path if local else f"//{hosts[hit.portal_id]}{path}"  # type: ignore[attr-defined]
            for facet in results.facets:
                for value in facet.values:
                    pair = (facet.name, value.value)
                    toggled = (
                        [c for c in chosen if c != pair] if value.selected else [*chosen, pair]
                    )
                    value.url = _query(base + toggled)  # type: ignore[attr-defined]
            pages = {
                "previous": _query([*base, *chosen, ("page", str(results.page - 1))])
                if results.page > 1
                else "",
                "next": _query([*base, *chosen, ("page", str(results.page + 1))])
                if results.page < results.pages
                else "",
            }
            context.update(results=results, pages=pages, chosen=chosen)
    return render(request, "search/search.html", context, status=status)


def gaps_page(request: HttpRequest) -> HttpResponse:
    """/<lang>/search/gaps/: per GBF target (or CBD subject, region), what exists and what is
    thin; ``?by=region-target`` the region × target matrix."""
    language = translation.get_language() or "en"
    by = request.GET.get("by", "target")
    if by == "region-target":
        return _matrix_page(request, language)
    by = by if by in gaps.GROUPS else "target"
    rows = gaps.compute(request.portal, language, by)  # type: ignore[attr-defined]
    return render(request, "search/gaps.html", {"rows": rows, "by": by})


MEASURE_LABELS = {
    "requests": gettext_lazy("Requests"),
    "unmet": gettext_lazy("Unmet demand (requests with no provider for that target there)"),
    "providers": gettext_lazy("Providers"),
    "guidance": gettext_lazy("Guidance"),
    "capacity": gettext_lazy("Capacity building"),
}


def _matrix(request: HttpRequest, language: str) -> gaps.Matrix:
    return gaps.matrix(
        request.portal,  # type: ignore[attr-defined]
        language,
        measure=request.GET.get("measure", "requests"),
        within=request.GET.get("within", ""),
    )


def _matrix_page(request: HttpRequest, language: str) -> HttpResponse:
    try:
        m = _matrix(request, language)
    except gaps.MatrixError as exc:
        return render(
            request,
            "search/gaps_matrix.html",
            {"error": str(exc), "param": exc.param, "measures": MEASURE_LABELS},
            status=400,
        )
    search = reverse("search:page")

    def link(row: str = "", target: str = "") -> str:
        params = gaps.search_params(m, row, target)
        return search + _query(params) if params else ""

    rows = [
        {
            "row": r,
            "cells": [
                {"n": n, "url": link(r.identifier, c.identifier)}
                for n, c in zip(r.cells, m.columns, strict=True)
            ],
            "url": link(r.identifier) if m.measure != "unmet" else "",
            "drill": r.level == 0 and not m.within,
        }
        for r in m.rows
    ]
    totals = [
        {"n": n, "url": link(target=c.identifier) if m.measure != "unmet" else ""}
        for n, c in zip(m.column_totals, m.columns, strict=True)
    ]
    base = [("by", "region-target"), ("measure", m.measure)] + (
        [("within", m.within)] if m.within else []
    )
    return render(
        request,
        "search/gaps_matrix.html",
        {
            "m": m,
            "rows": rows,
            "totals": totals,
            "measures": MEASURE_LABELS,
            "measure_label": MEASURE_LABELS[m.measure],
            "csv_url": reverse("search:gaps_csv") + _query(base[1:]),
            "api_url": "/api/search/gaps" + _query(base),
            "spots": [
                {
                    "spot": s,
                    "url": search + _query(gaps.search_params(m, s.row, s.target, ("bbiRequest",))),
                }
                for s in m.thin_spots
            ],
        },
    )


def gaps_csv(request: HttpRequest) -> HttpResponse:
    """The matrix as CSV: UTF-8 with a byte-order mark, so that Excel reads Arabic and Chinese
    labels; a header row of targets, one row per region, totals last."""
    import csv

    language = translation.get_language() or "en"
    try:
        m = _matrix(request, language)
    except gaps.MatrixError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"gaps-{m.measure}{'-' + m.within if m.within else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [_("Country") if m.within else _("Region"), _("Identifier")]
        + [c.label for c in m.columns]
        + [_("Total")]
    )
    writer.writerow(["", ""] + [c.identifier for c in m.columns] + [""])
    for r in m.rows:
        writer.writerow([r.label, r.identifier, *r.cells, r.total])
    writer.writerow([_("Total"), "", *m.column_totals, m.total])
    return response


@login_required
@require_POST
def save_search(request: HttpRequest) -> HttpResponse:
    """Save the current search (query, facets, language) for e-mail alerts."""
    q = request.POST.get("q", "").strip()[:200]
    if not q:
        return HttpResponse(status=400)
    SavedSearch.objects.create(
        user=request.user,  # type: ignore[misc]
        portal=request.portal,  # type: ignore[attr-defined]
        query=q,
        filters={n: request.POST.getlist(n) for n in FACETS if n in request.POST},
        language=translation.get_language() or "en",
        mode="hybrid" if request.POST.get("mode") in ("hybrid", "semantic") else "lexical",
    )
    return HttpResponseRedirect(reverse("search:saved"))


@login_required
def saved_searches(request: HttpRequest) -> HttpResponse:
    items = SavedSearch.objects.filter(user=request.user, portal=request.portal)  # type: ignore[attr-defined,misc]
    return render(request, "search/saved.html", {"items": items})


@login_required
@require_POST
def delete_saved_search(request: HttpRequest, pk: int) -> HttpResponse:
    get_object_or_404(SavedSearch, pk=pk, user=request.user).delete()
    return HttpResponseRedirect(reverse("search:saved"))


@csrf_exempt  # the signed token is the credential; no session, no cookie
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mail's unsubscribe link: GET asks to confirm (mail scanners follow links), POST
    deletes the saved search (also RFC 8058 one-click from the mail client). No log-in."""
    saved = alerts.saved_from_token(token)
    if request.method == "POST" and saved is not None:
        saved.delete()
        return render(request, "search/unsubscribe.html", {"done": True})
    if saved is None:
        return render(request, "search/unsubscribe.html", {"invalid": True}, status=404)
    return render(request, "search/unsubscribe.html", {"saved": saved})


def _editable_record(request: HttpRequest, uid: str) -> Record:
    portal: Portal = request.portal  # type: ignore[attr-defined]
    record = get_object_or_404(Record, uid=uid, portal=portal)
    if not permissions.can_draft(request.user, portal):
        raise Http404(_("You have no editing rights on this portal."))
    return record


@login_required
def draft_suggestions(request: HttpRequest, uid: str) -> HttpResponse:
    """Suggested tags for a draft, each with Accept (adds it to the draft) and Reject."""
    record = _editable_record(request, uid)
    try:
        found = feedback.for_draft(record, request.user, translation.get_language() or "en")
    except feedback.NoDraft:
        return redirect("web:record", uid=uid)
    groups = [
        (_("GBF targets"), found.targets),
        (_("CBD subjects"), found.subjects),
        (_("Countries"), found.countries),
    ]
    draft = Draft.objects.get(record=record)
    return render(
        request,
        "search/draft_suggestions.html",
        {"record": record, "groups": groups, "draft": draft},
    )


@login_required
@require_POST
def decide_suggestion(request: HttpRequest, uid: str) -> HttpResponse:
    record = _editable_record(request, uid)
    decision = request.POST.get("decision", "")
    try:
        confidence = float(request.POST["confidence"]) if request.POST.get("confidence") else None
    except ValueError:
        confidence = None
    try:
        feedback.decide(
            record,
            request.user,
            request.POST.get("scheme", ""),
            request.POST.get("identifier", ""),
            decision,
            confidence,
            apply=True,
        )
    except (learning.FeedbackError, RecordError) as exc:
        messages.error(request, str(exc))
    except RecordInvalid as exc:
        messages.error(request, "; ".join(f"{i.property}: {i.message()}" for i in exc.issues))
    else:
        if decision == TagFeedback.ACCEPTED:
            messages.success(request, _("Tag added to the draft."))
        else:
            messages.success(request, _("Suggestion rejected; it will not be suggested again."))
    return redirect("search:draft_suggestions", uid=uid)
