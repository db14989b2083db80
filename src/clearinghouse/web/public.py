"""Public pages: home, browse, record pages, revisions, the network of portals."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections import Counter
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation

from clearinghouse.federation import jsonld
from clearinghouse.federation.connectors import gbif
from clearinghouse.portals import permissions
from clearinghouse.portals.models import Portal, PortalKind, PortalStatus
from clearinghouse.records import presentation
from clearinghouse.records.i18n import pick
from clearinghouse.records.models import Attachment, Record, Revision
from clearinghouse.records.services import visible_records
from clearinghouse.records.types import RECORD_TYPES, get_type
from clearinghouse.web import decision_page


def _portal(request: HttpRequest) -> Portal:
    return request.portal  # type: ignore[attr-defined]


def _cards(records: Any, language: str) -> list[dict[str, Any]]:
    cards = []
    for record in records:
        picked = pick(record.title, language)
        cards.append(
            {
                "record": record,
                "title": picked.text or record.uid,
                "fallback": picked.fallback,
                "title_lang": picked.language,
                "type": RECORD_TYPES[record.schema],
            }
        )
    return cards


def home(request: HttpRequest) -> HttpResponse:
    portal = _portal(request)
    language = translation.get_language() or "en"
    public = visible_records(portal)
    counts = dict(public.values_list("schema").annotate(n=Count("id")).values_list("schema", "n"))
    latest = public.order_by("-published_at")[:8]
    return render(
        request,
        "web/home.html",
        {
            "counts": [(t, counts.get(t.schema, 0)) for t in RECORD_TYPES.values()],
            "latest": _cards(latest, language),
            "gbif": gbif.block(portal.country, language),
        },
    )


def browse(request: HttpRequest, schema: str) -> HttpResponse:
    rtype = _type_or_404(schema)
    language = translation.get_language() or "en"
    records = (
        visible_records(_portal(request)).filter(schema=schema).order_by("-published_at", "-id")
    )
    page = Paginator(records, settings.CLEARINGHOUSE_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/browse.html",
        {
            "rtype": rtype,
            "page": page,
            "cards": _cards(page.object_list, language),
        },
    )


def _type_or_404(schema: str) -> Any:
    try:
        return get_type(schema)
    except LookupError:
        raise Http404("Unknown record type") from None


PAGE_CACHE_SECONDS = 600


def record_detail(request: HttpRequest, uid: str) -> HttpResponse:
    """A published record. Anonymous readers get a validator (ETag) and a cached page:
    one small query decides whether anything changed, which also lets browsers on slow
    links revalidate with a 304 instead of downloading the page again."""
    if settings.SESSION_COOKIE_NAME in request.COOKIES or request.method not in ("GET", "HEAD"):
        return _record_page(request, uid)
    stamp = _page_stamp(_portal(request).pk, uid)
    if stamp is None or stamp[0] is None or stamp[2] is not None:
        return _record_page(request, uid)  # 404 / 410 as usual
    if stamp[4] == "decision":
        # Its page lists the records citing it, which change without the decision changing.
        return _record_page(request, uid)
    language = translation.get_language() or "en"
    # updated_at only needs to be a stable token here (SQLite gives text, PostgreSQL a datetime).
    version = hashlib.sha1(f"{stamp[0]}|{stamp[1]}|{stamp[3] or 0}".encode()).hexdigest()[:16]
    etag = f'"{_portal(request).pk}-{uid}-{language}-{version}"'

    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        body = cache.get(etag)
        if body is None:
            response = _record_page(request, uid)
            if response.status_code == 200:
                cache.set(etag, response.content, PAGE_CACHE_SECONDS)
        else:
            response = HttpResponse(body)
    response["ETag"] = etag
    response["Cache-Control"] = "public, no-cache"  # always revalidate: cheap with the ETag
    return response


@functools.cache
def _stamp_sql() -> str:
    q = connection.ops.quote_name
    record, attachment = Record._meta.db_table, Attachment._meta.db_table
    return (
        f"SELECT r.{q('published_id')}, r.{q('updated_at')}, r.{q('deleted_at')}, "
        f"(SELECT MAX(a.{q('id')}) FROM {q(attachment)} a WHERE a.{q('record_id')} = r.{q('id')}), "
        f"r.{q('schema')} "
        f"FROM {q(record)} r WHERE r.{q('uid')} = %s AND r.{q('portal_id')} = %s"
    )


def _page_stamp(portal_id: int, uid: str) -> tuple[Any, ...] | None:
    """What a record page depends on, in one indexed lookup. Plain SQL: this runs on every
    anonymous page view, and building the same ORM query each time cost more than running it."""
    with connection.cursor() as cursor:
        cursor.execute(_stamp_sql(), [uid, portal_id])
        row = cursor.fetchone()
    return tuple(row) if row else None


def _record_page(request: HttpRequest, uid: str) -> HttpResponse:
    portal = _portal(request)
    record = get_object_or_404(Record.objects.select_related("published"), uid=uid, portal=portal)
    record.portal = portal  # known already: no join
    if record.deleted_at is not None:
        return render(request, "web/gone.html", {"record": record}, status=410)
    if record.published is None:
        raise Http404("Not published")
    return _render_document(request, record, record.published, related=_related(record, portal))


def _related(record: Record, portal: Portal) -> list[Any]:
    """Related records (search/related.py), linked to their own portal's host."""
    from clearinghouse.search import related

    language = translation.get_language() or "en"
    try:
        with transaction.atomic():  # a savepoint: a failed query must not spoil the request
            items = related.find(record.pk, None if portal.is_central else portal.pk, language)
    except DatabaseError:  # the index may be missing (before the first reindex): no related list
        return []
    hosts: dict[int, str] = {}
    if any(i.portal_id != portal.pk for i in items):
        for p in Portal.objects.prefetch_related("hosts"):
            first = next(iter(p.hosts.all()), None)
            if first is not None:
                hosts[p.pk] = first.host
    for item in items:
        path = reverse("web:record", args=[item.uid])
        local = item.portal_id == portal.pk or item.portal_id not in hosts
        item.url = path if local else f"//{hosts[item.portal_id]}{path}"  # type: ignore[attr-defined]
    return items


def _render_document(
    request: HttpRequest, record: Record, revision: Revision, related: list[Any] | None = None
) -> HttpResponse:
    language = translation.get_language() or "en"
    rtype = get_type(record.schema)
    title, fallback, title_lang = presentation.title_of(rtype, revision.document, language)
    # schema.org JSON-LD, part of the rendered page (and so of the cached page and its ETag).
    page_url = request.build_absolute_uri(reverse("web:record", args=[record.uid]))
    described = jsonld.describe(record, revision.document, page_url)
    return render(
        request,
        "web/record.html",
        {
            "record": record,
            "revision": revision,
            "rtype": rtype,
            "title": title or record.uid,
            "title_fallback": fallback,
            "title_lang": title_lang,
            "rows": presentation.rows(rtype, revision.document, language),
            "languages": revision.document.get("header", {}).get("languages", []),
            "attachments": record.attachments.all(),
            # Revisions are numbered 1, 2, … and deleted only with their record, so the
            # latest one's number is their count (no COUNT query on every page view).
            "revision_count": record.published.number if record.published else 1,
            "jsonld": jsonld.script(described),
            "related": related or [],
            "decision": (
                decision_page.context(record, revision.document, language, record.portal)
                if record.schema == "decision"
                else None
            ),
        },
    )


def revisions(request: HttpRequest, uid: str) -> HttpResponse:
    record = get_object_or_404(Record, uid=uid, portal=_portal(request), published__isnull=False)
    return render(
        request,
        "web/revisions.html",
        {
            "record": record,
            "revisions": record.revisions.select_related("published_by"),
        },
    )


def revision_diff(request: HttpRequest, uid: str, a: int, b: int) -> HttpResponse:
    record = get_object_or_404(Record, uid=uid, portal=_portal(request), published__isnull=False)
    before = get_object_or_404(Revision, record=record, number=a)
    after = get_object_or_404(Revision, record=record, number=b)
    changes = presentation.diff(get_type(record.schema), before.document, after.document)
    return render(
        request,
        "web/diff.html",
        {
            "record": record,
            "before": before,
            "after": after,
            "changes": changes,
        },
    )


def attachment(request: HttpRequest, pk: int) -> FileResponse:
    item = get_object_or_404(
        Attachment.objects.select_related("record__portal"), pk=pk, record__portal=_portal(request)
    )
    if not item.record.is_public and not permissions.can_read_drafts(
        request.user, item.record.portal
    ):
        raise Http404("Not published")
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=item.filename,
        content_type=item.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def network(request: HttpRequest) -> HttpResponse:
    """Every portal of this deployment with its status, size and freshness."""
    year_ago = timezone.now() - dt.timedelta(days=365)
    portals = Portal.objects.annotate(
        published=Count(
            "records", filter=Q(records__published__isnull=False, records__deleted_at__isnull=True)
        ),
    ).order_by("kind", "code")
    language = translation.get_language() or "en"
    rows: list[dict[str, Any]] = [
        {
            "portal": p,
            "name": p.display_name(language),
            "stale": p.status == PortalStatus.LIVE
            and (p.last_published_at is None or p.last_published_at < year_ago),
        }
        for p in portals
    ]
    national = [r for r in rows if r["portal"].kind == PortalKind.NATIONAL]
    by_status = Counter(r["portal"].status for r in national)
    return render(
        request,
        "web/network.html",
        {
            "rows": rows,
            "total": len(national),
            "live": by_status[PortalStatus.LIVE],
            "prepublished": by_status[PortalStatus.PREPUBLISHED],
            "archived": by_status[PortalStatus.ARCHIVED],
            "stale": sum(1 for r in national if r["stale"]),
        },
    )


def health(request: HttpRequest) -> HttpResponse:
    Portal.objects.exists()
    return HttpResponse("ok", content_type="text/plain")


def root(request: HttpRequest) -> HttpResponse:
    """Send ``/`` to the reader's language, or to the portal's own default language."""
    from django.conf import settings as conf
    from django.shortcuts import redirect
    from django.utils.translation import trans_real

    supported = {code for code, _name in conf.LANGUAGES}
    language = request.COOKIES.get(conf.LANGUAGE_COOKIE_NAME, "")
    if language not in supported:
        language = ""
        header = request.headers.get("Accept-Language", "")
        for code, _quality in trans_real.parse_accept_lang_header(header):
            base = code.split("-")[0].lower()
            if base in supported:
                language = base
                break
    portal = getattr(request, "portal", None)
    return redirect(f"/{language or (portal.default_language if portal else 'en')}/")
