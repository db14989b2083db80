"""Host name → portal. One deployment serves many portals."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound

from clearinghouse.portals.models import Portal, PortalHost


def portal_for_host(host: str) -> Portal | None:
    hostname = host.split(":")[0].lower().rstrip(".")
    match = PortalHost.objects.select_related("portal").filter(host=hostname).first()
    if match is not None:
        return match.portal
    if settings.CLEARINGHOUSE_STRICT_HOSTS:
        return None
    return Portal.objects.filter(is_default=True).first()


class PortalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            # No database accepts NUL in text; refuse before any query sees it.
            return HttpResponseBadRequest(
                "The address contains a NUL character.", content_type="text/plain; charset=utf-8"
            )
        portal = portal_for_host(request.get_host())
        if portal is None and not request.path.startswith(("/static/", "/admin/")):
            return HttpResponseNotFound(
                "No clearing-house portal is configured for this host name.",
                content_type="text/plain; charset=utf-8",
            )
        request.portal = portal  # type: ignore[attr-defined]
        return self.get_response(request)
