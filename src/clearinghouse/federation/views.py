"""``/oai``: the OAI-PMH endpoint of the request's portal, and the ``cbd`` format's schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from clearinghouse.federation import cbdjson, dcat, provider
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
