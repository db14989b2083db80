"""``/oai``: the OAI-PMH endpoint of the request's portal, and the ``cbd`` format's schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clearinghouse.federation import cbdjson, dcat, provider
from clearinghouse.federation.models import HarvestJob, HarvestSource
from clearinghouse.portals import permissions
from clearinghouse.portals.models import AuditEntry, Role
from clearinghouse.records.models import Record

CBD_XSD = Path(__file__).resolve().parent / "schemas" / "cbd.xsd"
CONTENT_TYPE = "text/xml; charset=utf-8"


@csrf_exempt
@require_http_methods(["GET", "POST", "HEAD"])
def oai(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    data = request.POST if request.method == "POST" else request.GET
    params = {key: data.getlist(key) for key in data}
    ctx = provider.context_for(request, portal)
    with translation.override("en"):
        pieces = provider.respond(ctx, params)
        first = next(pieces)
    # Set and format labels are read while rendering: keep English for the whole stream.
    return StreamingHttpResponse(_encoded(first, pieces), content_type=CONTENT_TYPE)


def _encoded(first: str, pieces: Iterator[str]) -> Iterator[bytes]:
    yield first.encode()
    with translation.override("en"):
        for piece in pieces:
            yield piece.encode()


@require_GET
def cbd_schema(request: HttpRequest) -> HttpResponse:
    return HttpResponse(CBD_XSD.read_bytes(), content_type=CONTENT_TYPE)


CATALOG_TYPES = {media: name for name, (_fmt, media) in dcat.FORMATS.items()}


@require_GET
def catalog(request: HttpRequest, fmt: str | None = None) -> HttpResponse:
    """The portal's DCAT-AP 3 catalogue: ``/catalog.ttl|.rdf|.jsonld``, or ``/catalog`` by
    Accept (Turtle when the client accepts anything)."""
    negotiated = fmt is None
    if fmt is None:
        media = request.get_preferred_type(list(CATALOG_TYPES))
        if media is None:
            return HttpResponse(
                "Not acceptable: ask for text/turtle, application/rdf+xml or application/ld+json.",
                status=406,
                content_type="text/plain; charset=utf-8",
            )
        fmt = CATALOG_TYPES[media]
    elif fmt not in dcat.FORMATS:
        return HttpResponse(status=404)
    try:
        page = dcat.parse_page(request.GET.get("page"))
        since = dcat.parse_since(request.GET.get("modified_since"))
    except dcat.BadRequest as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    site = dcat.Site(request.portal, f"{request.scheme}://{request.get_host()}")  # type: ignore[attr-defined]
    result = dcat.build(site, page, since)
    if page > result.last:
        return HttpResponse(
            f"page={page} is past the last page ({result.last}).",
            status=404,
            content_type="text/plain; charset=utf-8",
        )
    media = dcat.FORMATS[fmt][1]
    response = HttpResponse(
        dcat.serialize(result.graph, fmt), content_type=f"{media}; charset=utf-8"
    )
    if negotiated:
        response["Vary"] = "Accept"
    if result.has_next:
        query = request.GET.copy()
        query["page"] = str(page + 1)
        response["Link"] = f'<{request.path}?{query.urlencode()}>; rel="next"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def cbd_record(request: HttpRequest, uid: str) -> HttpResponse:
    """``/cbd/records/<uid>.json``: the published CBD document, exactly as stored."""
    record = (
        Record.objects.select_related("published")
        .filter(uid=uid, portal=request.portal)  # type: ignore[attr-defined]
        .first()
    )
    if record is None or record.published is None:
        return JsonResponse({"detail": f"No published record {uid}"}, status=404)
    if record.deleted_at is not None:
        return JsonResponse({"detail": f"Record {uid} was deleted"}, status=410)
    response = JsonResponse(
        cbdjson.export(record), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- harvest status pages (portal managers and the Secretariat) -------------------------------


def _may_operate(request: HttpRequest) -> bool:
    portal = request.portal  # type: ignore[attr-defined]
    return permissions.can_manage(request.user, portal) or (
        Role.SECRETARIAT in permissions.roles_on(request.user, portal)
    )


def _sources(request: HttpRequest) -> Any:
    return HarvestSource.objects.filter(portal=request.portal)  # type: ignore[attr-defined]


@login_required
@require_GET
def harvest_status(request: HttpRequest) -> HttpResponse:
    """Every harvest source of the portal: schedule, the last (or running) job with its
    progress, errors and quarantine counts."""
    if not _may_operate(request):
        raise PermissionDenied(_("Only the portal's managers and the Secretariat see harvests."))
    sources = list(_sources(request).order_by("name", "pk"))
    latest: dict[int, HarvestJob] = {}
    for job in HarvestJob.objects.filter(source__in=sources).order_by("source_id", "-started_at"):
        latest.setdefault(job.source_id, job)
    rows = [(source, latest.get(source.pk)) for source in sources]
    return render(request, "federation/harvest_status.html", {"rows": rows})


@login_required
@require_GET
def harvest_source(request: HttpRequest, pk: int) -> HttpResponse:
    """One source: its jobs (newest first) and the quarantine report of each, with reasons."""
    if not _may_operate(request):
        raise PermissionDenied(_("Only the portal's managers and the Secretariat see harvests."))
    source = get_object_or_404(_sources(request), pk=pk)
    jobs = list(source.jobs.all()[:20])
    quarantined = source.records.filter(quarantined=True).order_by("remote_identifier")[:200]
    return render(
        request,
        "federation/harvest_source.html",
        {"source": source, "jobs": jobs, "quarantined": quarantined},
    )


@login_required
@require_POST
def harvest_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for a run now (a resume when the last job was interrupted or timed out): the next
    ``clearinghouse harvest --due`` (cron, every minute) starts it."""
    if not _may_operate(request):
        raise PermissionDenied(_("Only the portal's managers and the Secretariat run harvests."))
    source = get_object_or_404(_sources(request), pk=pk)
    if not source.enabled:
        messages.error(request, _("This source is disabled: enable it before running it."))
    elif source.is_running:
        messages.info(request, _("This source is being harvested now."))
    else:
        full = request.POST.get("full") == "1"
        HarvestSource.objects.filter(pk=source.pk).update(
            run_requested_at=timezone.now(), run_requested_full=full
        )
        AuditEntry.objects.create(
            portal=source.portal,
            user=request.user,  # type: ignore[misc]
            action="harvest.request",
            target=str(source.pk),
            details={"source": source.base_url, "full": full},
        )
        messages.success(
            request,
            _(
                "The harvest of %(name)s is queued: it starts at the next scheduled check "
                "(within a minute when cron runs clearinghouse harvest --due)."
            )
            % {"name": source.name},
        )
    return redirect("harvest:source", pk=source.pk)
