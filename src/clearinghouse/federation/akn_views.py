"""``/decisions/<uid>.akn.xml``: a published decision as Akoma Ntoso 3.0 XML."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from clearinghouse.federation import akn
from clearinghouse.records import decisions
from clearinghouse.records.models import Record


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


@require_GET
def akn_record(request: HttpRequest, uid: str) -> HttpResponse:
    """One language (``?lang=fr``; default: the record's first language) of a decision."""
    record = (
        Record.objects.select_related("published")
        .filter(uid=uid, portal=request.portal)  # type: ignore[attr-defined]
        .first()
    )
    if record is None or record.published is None:
        return _plain(f"No published record {uid}.", 404)
    if record.deleted_at is not None:
        return _plain(f"Record {uid} was deleted.", 410)
    if record.schema != decisions.SCHEMA:
        return _plain(f"Record {uid} is a {record.schema}, not a decision.", 404)
    document = record.published.document
    languages = (document.get("header") or {}).get("languages") or ["en"]
    language = request.GET.get("lang") or languages[0]
    if language not in languages:
        return _plain(
            f"lang={language}: this decision is available in {', '.join(languages)}.", 404
        )
    base = f"{request.scheme}://{request.get_host()}/{language}"
    response = HttpResponse(
        akn.export(record, document, language, base), content_type=akn.CONTENT_TYPE
    )
    response["Content-Language"] = language
    response["Access-Control-Allow-Origin"] = "*"
    return response
