"""``/iati/activities.xml`` and per project: the portal's projects as IATI 2.03 activities."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clearinghouse.federation import dcat, iati
from clearinghouse.records.models import Record

CONTENT_TYPE = "application/xml; charset=utf-8"


def _xml(body: bytes) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _bad(message: str, status: int = 400) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


@require_GET
def activities(request: HttpRequest) -> HttpResponse:
    """Every project of the portal; ``country`` (ISO 3166 alpha-2) and ``modified_since``
    (ISO 8601 date or date-time) narrow the list."""
    try:
        country = iati.parse_country(request.GET.get("country"))
        since = dcat.parse_since(request.GET.get("modified_since"))
    except (iati.IatiError, dcat.BadRequest) as exc:
        return _bad(str(exc))
    body = iati.export_portal(request.portal, country, since)  # type: ignore[attr-defined]
    if body is None:  # an IATI file holds at least one activity
        return _bad(_("No project matches these filters."), 404)
    return _xml(body)


@require_GET
def record_activity(request: HttpRequest, uid: str) -> HttpResponse:
    record = (
        Record.objects.select_related("published", "portal")
        .filter(uid=uid, portal=request.portal, schema=iati.CBI)  # type: ignore[attr-defined]
        .first()
    )
    if record is None or record.published is None:
        return _bad(_("No published capacity-building initiative %(uid)s.") % {"uid": uid}, 404)
    if record.deleted_at is not None:
        return _bad(_("The record %(uid)s was deleted.") % {"uid": uid}, 410)
    return _xml(iati.export_record(record))


@require_GET
def grant_activity(request: HttpRequest, pk: int) -> HttpResponse:
    from clearinghouse.cooperation import grants

    grant = (
        iati.grants_queryset()
        .filter(pk=pk, portal=request.portal, state__in=grants.FUNDED)  # type: ignore[attr-defined]
        .first()
    )
    if grant is None:
        return _bad(_("No funded project %(pk)s.") % {"pk": pk}, 404)
    return _xml(iati.export_grant(grant))
