"""The JSON API (OpenAPI 3 at /api/openapi.json, interactive docs at /api/docs)."""

from __future__ import annotations

from typing import Any, Literal

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError

from clearinghouse.api.auth import AUTH
from clearinghouse.api.params import ObjectId, PageNumber, PageSize
from clearinghouse.portals import permissions
from clearinghouse.portals.models import Portal
from clearinghouse.records import errors as E
from clearinghouse.records import services
from clearinghouse.records.errors import Issue, RecordInvalid
from clearinghouse.records.models import Draft, Record
from clearinghouse.records.types import RECORD_TYPES, get_type
from clearinghouse.records.validation import validate
from clearinghouse.workflows import engine
from clearinghouse.workflows.models import Request
from clearinghouse.workflows.publication import request_deletion, request_publication

api = NinjaAPI(
    title="Clearinghouse API",
    version="1",
    description=(
        "Records of a clearing-house portal (the portal is chosen by the host name). "
        "Record documents use the CBD clearing-house JSON format: `header`, `government`, "
        "per-language text maps, terms as `{identifier}`. Validation errors use the CBD codes "
        "(`Error.Mandatory`, `Error.InvalidValue`, …) with a message in the language of the "
        "`Accept-Language` header. Write calls need `Authorization: Bearer <token>`."
    ),
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url="/docs",
)


# --- schemas --------------------------------------------------------------------------
class ErrorOut(Schema):
    detail: str


class IssueOut(Schema):
    code: str
    property: str
    message: str


class InvalidOut(Schema):
    identifier: str
    errors: list[IssueOut]


class RecordSummary(Schema):
    uid: str
    schema_name: str
    title: dict[str, str]
    government: str
    published_at: str | None
    updated_at: str


class RecordOut(RecordSummary):
    revision: int
    document: dict[str, Any]


class RecordPage(Schema):
    count: int
    page: int
    pages: int
    results: list[RecordSummary]


class DraftIn(Schema):
    schema_name: str
    document: dict[str, Any]
    strict: bool = True


class CbdImportIn(Schema):
    documents: list[dict[str, Any]]


class CbdIssueOut(IssueOut):
    parameters: dict[str, str] | None = None


class CbdDocumentOut(Schema):
    index: int
    identifier: str
    schema_name: str
    uid: str = ""
    errors: list[CbdIssueOut]


class CbdImportOut(Schema):
    imported: bool
    count: int
    documents: list[CbdDocumentOut]


class DraftUpdate(Schema):
    document: dict[str, Any]
    strict: bool = True


class DraftOut(Schema):
    uid: str
    schema_name: str
    document: dict[str, Any]
    under_review: bool
    updated_at: str


class RequestIn(Schema):
    note: str = ""
    batch_id: str = ""


class DecisionIn(Schema):
    comment: str = ""


class RequestOut(Schema):
    id: int
    kind: str
    state: str
    record: str | None
    note: str
    batch_id: str
    comment: str
    created_at: str
    expires_at: str | None
    actions: list[str]


class ValidateIn(Schema):
    schema_name: str
    document: dict[str, Any]


class TypeOut(Schema):
    schema_name: str
    label: str
    national: bool
    workflow: bool
    definition: dict[str, Any]


# --- errors -------------------------------------------------------------------------
@api.exception_handler(RecordInvalid)
def _invalid(request: HttpRequest, exc: RecordInvalid) -> HttpResponse:
    return api.create_response(request, exc.as_cbd(), status=400)


@api.exception_handler(services.Forbidden)
def _forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(engine.NotAllowed)
def _not_allowed(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=403)


@api.exception_handler(services.RecordError)
def _conflict(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(engine.IllegalTransition)
def _illegal(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc)}, status=409)


# --- helpers ------------------------------------------------------------------------
def _portal(request: HttpRequest) -> Portal:
    return request.portal  # type: ignore[attr-defined]


def _type(schema: str, field: str = "schema_name") -> Any:
    try:
        return get_type(schema)
    except LookupError:
        # A 400 in the CBD format, like every other refused document.
        issue = Issue(
            E.INVALID_VALUE,
            field,
            "Unknown record type %(value)s; known: %(known)s",
            {"value": repr(schema), "known": ", ".join(RECORD_TYPES)},
        )
        raise RecordInvalid([issue]) from None


def _summary(record: Record) -> dict[str, Any]:
    return {
        "uid": record.uid,
        "schema_name": record.schema,
        "title": record.title,
        "government": record.government,
        "published_at": record.published_at.isoformat() if record.published_at else None,
        "updated_at": record.updated_at.isoformat(),
    }


def _draft_out(draft: Draft) -> dict[str, Any]:
    return {
        "uid": draft.record.uid,
        "schema_name": draft.record.schema,
        "document": draft.document,
        "under_review": draft.under_review,
        "updated_at": draft.updated_at.isoformat(),
    }


def _request_out(item: Request, user: Any) -> dict[str, Any]:
    return {
        "id": item.pk,
        "kind": item.kind,
        "state": item.state,
        "record": item.record.uid if item.record else None,
        "note": item.note,
        "batch_id": item.batch_id,
        "comment": item.comment,
        "created_at": item.created_at.isoformat(),
        "expires_at": item.expires_at.isoformat() if item.expires_at else None,
        "actions": engine.workflow_for(item).available(item, user),
    }


def _draft_record(request: HttpRequest, uid: str) -> Record:
    portal = _portal(request)
    record = get_object_or_404(Record, uid=uid, portal=portal)
    if not permissions.can_read_drafts(request.user, portal):
        raise HttpError(404, "No such draft on this portal")
    return record


# --- record types -------------------------------------------------------------------
@api.get("/types", response=list[TypeOut], tags=["types"])
def list_types(request: HttpRequest) -> list[dict[str, Any]]:
    return [_type_out(t) for t in RECORD_TYPES.values()]


@api.get("/types/{schema_name}", response={200: TypeOut, 400: InvalidOut}, tags=["types"])
def get_type_schema(request: HttpRequest, schema_name: str) -> dict[str, Any]:
    return _type_out(_type(schema_name))


def _type_out(rtype: Any) -> dict[str, Any]:
    props = {f.name: f.json_schema() for f in rtype.fields}
    return {
        "schema_name": rtype.schema,
        "label": str(rtype.label),
        "national": rtype.national,
        "workflow": rtype.workflow,
        "definition": {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": str(rtype.label),
            "type": "object",
            "required": ["header", *[f.name for f in rtype.fields if f.required]],
            "properties": {"header": {"type": "object"}, "government": {"type": "object"}, **props},
            "additionalProperties": False,
        },
    }


@api.post("/validate", response={200: InvalidOut, 400: InvalidOut}, tags=["drafts"])
def validate_document(request: HttpRequest, payload: ValidateIn) -> dict[str, Any]:
    """Check a document without saving it; `errors` is empty when it can be published."""
    issues = validate(_type(payload.schema_name), payload.document, _portal(request))
    return {"identifier": "", "errors": [i.as_cbd() for i in issues]}


# --- published records ----------------------------------------------------------------
@api.get("/records", response={200: RecordPage, 400: InvalidOut}, tags=["records"])
def list_records(
    request: HttpRequest, type: str | None = None, page: PageNumber = 1, page_size: PageSize = 50
) -> dict[str, Any]:
    records = services.visible_records(_portal(request)).order_by("-published_at", "-id")
    if type:
        records = records.filter(schema=_type(type, "type").schema)
    page_size = max(1, min(page_size, 500))
    paginator = Paginator(records, page_size)
    current = paginator.get_page(page)
    return {
        "count": paginator.count,
        "page": current.number,
        "pages": paginator.num_pages,
        "results": [_summary(r) for r in current.object_list],
    }


@api.get(
    "/records/{uid}", response={200: RecordOut, 404: ErrorOut, 410: ErrorOut}, tags=["records"]
)
def get_record(request: HttpRequest, uid: str) -> Any:
    record = get_object_or_404(
        Record.objects.select_related("published"), uid=uid, portal=_portal(request)
    )
    if record.deleted_at is not None:
        return 410, {"detail": f"Record {uid} was deleted on {record.deleted_at:%Y-%m-%d}"}
    if record.published is None:
        return 404, {"detail": f"Record {uid} is not published"}
    return {
        **_summary(record),
        "revision": record.published.number,
        "document": record.published.document,
    }


@api.post(
    "/records/{uid}/request-deletion", auth=AUTH, response={201: RequestOut}, tags=["workflow"]
)
def ask_deletion(request: HttpRequest, uid: str, payload: RequestIn) -> Any:
    record = get_object_or_404(Record, uid=uid, portal=_portal(request))
    item = request_deletion(record, request.user, note=payload.note)
    return 201, _request_out(item, request.user)


# --- drafts --------------------------------------------------------------------------
@api.get("/drafts", auth=AUTH, response=list[DraftOut], tags=["drafts"])
def list_drafts(request: HttpRequest) -> list[dict[str, Any]]:
    portal = _portal(request)
    if not permissions.can_read_drafts(request.user, portal):
        return []
    drafts = (
        Draft.objects.filter(record__portal=portal)
        .select_related("record")
        .order_by("-updated_at")[:500]
    )
    return [_draft_out(d) for d in drafts]


@api.post(
    "/drafts", auth=AUTH, response={201: DraftOut, 400: InvalidOut, 403: ErrorOut}, tags=["drafts"]
)
def create_draft(request: HttpRequest, payload: DraftIn) -> Any:
    rtype = _type(payload.schema_name)
    record = services.create_draft(
        _portal(request), request.user, rtype.schema, payload.document, strict=payload.strict
    )
    draft = Draft.objects.filter(record=record).select_related("record").first()
    if draft is None:  # saved without workflow (contacts): already published
        return 201, {
            "uid": record.uid,
            "schema_name": record.schema,
            "document": record.published.document if record.published else {},
            "under_review": False,
            "updated_at": record.updated_at.isoformat(),
        }
    return 201, _draft_out(draft)


@api.get("/drafts/{uid}", auth=AUTH, response=DraftOut, tags=["drafts"])
def get_draft(request: HttpRequest, uid: str) -> dict[str, Any]:
    record = _draft_record(request, uid)
    return _draft_out(get_object_or_404(Draft.objects.select_related("record"), record=record))


@api.put("/drafts/{uid}", auth=AUTH, response={200: DraftOut, 400: InvalidOut}, tags=["drafts"])
def update_draft(request: HttpRequest, uid: str, payload: DraftUpdate) -> Any:
    record = _draft_record(request, uid)
    draft = services.update_draft(record, request.user, payload.document, strict=payload.strict)
    services.release_lock(record, request.user)
    return _draft_out(draft)


@api.delete("/drafts/{uid}", auth=AUTH, response={204: None}, tags=["drafts"])
def discard_draft(request: HttpRequest, uid: str) -> Any:
    services.discard_draft(_draft_record(request, uid), request.user)
    return 204, None


@api.post(
    "/drafts/{uid}/publish",
    auth=AUTH,
    response={200: RecordOut, 400: InvalidOut},
    tags=["workflow"],
)
def publish(request: HttpRequest, uid: str) -> Any:
    record = _draft_record(request, uid)
    revision = services.publish(record, request.user)
    record.refresh_from_db()
    return {**_summary(record), "revision": revision.number, "document": revision.document}


@api.post(
    "/drafts/{uid}/request-publication",
    auth=AUTH,
    response={201: RequestOut, 400: InvalidOut},
    tags=["workflow"],
)
def ask_publication(request: HttpRequest, uid: str, payload: RequestIn) -> Any:
    record = _draft_record(request, uid)
    item = request_publication(record, request.user, note=payload.note, batch_id=payload.batch_id)
    return 201, _request_out(item, request.user)


# --- requests ------------------------------------------------------------------------
@api.get("/requests", auth=AUTH, response=list[RequestOut], tags=["workflow"])
def list_requests(request: HttpRequest, state: str | None = None) -> list[dict[str, Any]]:
    portal = _portal(request)
    if not permissions.can_read_drafts(request.user, portal):
        return []
    items = Request.objects.filter(portal=portal).select_related("record")
    if state:
        items = items.filter(state=state)
    return [_request_out(i, request.user) for i in items[:500]]


@api.post(
    "/requests/{pk}/{action}",
    auth=AUTH,
    response={200: RequestOut, 400: InvalidOut, 403: ErrorOut, 409: ErrorOut},
    tags=["workflow"],
)
def act_on_request(
    request: HttpRequest,
    pk: ObjectId,
    action: Literal["approve", "reject", "cancel"],
    payload: DecisionIn,
) -> Any:
    item = get_object_or_404(Request, pk=pk, portal=_portal(request))
    if not permissions.roles_on(request.user, item.portal):
        raise HttpError(404, "No such request on this portal")
    item = engine.perform(item, action, request.user, payload.comment)
    return _request_out(item, request.user)


from clearinghouse.cooperation.api import router as cooperation_router  # noqa: E402


@api.post(
    "/import/cbd",
    auth=AUTH,
    response={201: CbdImportOut, 400: CbdImportOut, 403: ErrorOut},
    tags=["drafts"],
)
def import_cbd(request: HttpRequest, payload: CbdImportIn) -> Any:
    """Import CBD documents as drafts: all of them, or none when any has an error (400 lists
    every error of every document with its CBD code)."""
    from clearinghouse.federation import cbdjson

    portal = _portal(request)
    if not permissions.can_draft(request.user, portal):
        return 403, {"detail": "You cannot create records on this portal."}
    try:
        result = cbdjson.import_documents(portal, payload.documents, request.user)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from exc
    out = result.as_cbd()
    for doc in out["documents"]:
        doc["schema_name"] = doc.pop("schema")
    return (201 if result.imported else 400), out


api.add_router("/cooperation/", cooperation_router)

from clearinghouse.vocabularies.api import router as vocabularies_router  # noqa: E402

api.add_router("/vocab/", vocabularies_router)

from clearinghouse.search.api import router as search_router  # noqa: E402

api.add_router("/search", search_router)

# Related records and a draft's tag suggestions (search app): /records/{uid}/related,
# /drafts/{uid}/suggestions.
from clearinghouse.search.api import record_router as search_record_router  # noqa: E402

api.add_router("", search_record_router)

__all__ = ["api", "settings"]

from clearinghouse.federation.akn_api import router as akn_router  # noqa: E402

api.add_router("/akn", akn_router)
