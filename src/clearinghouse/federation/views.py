"""``/oai``: the OAI-PMH endpoint of the request's portal, and the ``cbd`` format's schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from clearinghouse.federation import provider

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
