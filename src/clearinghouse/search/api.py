"""JSON API: ``GET /api/search`` and ``POST /api/search/suggest`` (a ninja Router)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest
from django.utils import translation
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from clearinghouse.api.auth import AUTH
from clearinghouse.records.errors import RecordInvalid
from clearinghouse.records.models import Record
from clearinghouse.records.services import Forbidden, Locked
from clearinghouse.search import feedback, gaps, learning, related, service, suggest
from clearinghouse.search.documents import FACETS
from clearinghouse.search.text import QueryError

router = Router(tags=["search"])
# Mounted at the API's root: /api/records/{uid}/related, /api/drafts/{uid}/suggestions.
record_router = Router()


class ErrorOut(Schema):
    detail: str


class HitOut(Schema):
    uid: str
    schema_name: str
    type_label: str
    title: str
    title_lang: str
    published_at: str
    snippet: str = Field(description="HTML: escaped text, query words in <mark>")
    snippet_lang: str
    matched_by: list[str] = Field(
        description="words, concept (thesaurus), mapping (a concept mapped to the one the query "
        "names, by the crosswalk), closest (semantic)"
    )
    similarity: float | None


class FacetValueOut(Schema):
    value: str
    label: str
    count: int
    selected: bool


class FacetOut(Schema):
    name: str
    values: list[FacetValueOut]


class ConceptRefOut(Schema):
    identifier: str
    label: str


class ConceptOut(Schema):
    identifier: str
    label: str
    via: ConceptRefOut | None = Field(
        None,
        description="for a concept reached through the crosswalk (skos:exactMatch, closeMatch "
        "or relatedMatch, either way): the concept the query named, e.g. Aichi Target 11 for "
        "GBF Target 3; null for the concepts the query names and their narrower concepts",
    )
    explanation: str = Field(
        "", description="“via mapping: Aichi Target 11 → Target 3 …”, in the request language"
    )


class RecordSearchOut(Schema):
    query: str
    mode: str = Field(description="the mode used: hybrid falls back to lexical without the model")
    requested_mode: str
    sort: str
    total: int = Field(description="records matching (see total_estimated)")
    total_estimated: bool = Field(
        default=False,
        description="total extrapolated, in round figures: the query matches more documents "
        "than the ranking window (CLEARINGHOUSE_SEARCH_WINDOW), so only the most recently "
        "indexed matches were ranked; the pages hold the ranked ones",
    )
    page: int
    pages: int
    page_size: int
    concepts: list[ConceptOut] = Field(
        description="concepts the query was expanded to: those it names and their narrower "
        "concepts, then (with `via`) those mapped to them by the crosswalk, ranked lower"
    )
    facets: list[FacetOut]
    facets_approximate: bool = Field(
        description="facet counts estimated: counted on the best 1,000 candidates and scaled"
    )
    results: list[HitOut]


class GapRowOut(Schema):
    identifier: str
    label: str
    counts: dict[str, int] = Field(description="guidance, capacity, providers, requests")
    gaps: list[str] = Field(description="no-providers (requests but no providers), no-guidance")


class GapsOut(Schema):
    by: str
    rows: list[GapRowOut]


class MatrixColumnOut(Schema):
    identifier: str
    label: str
    title: str


class MatrixRowOut(Schema):
    identifier: str
    label: str
    level: int = Field(description="0 region, 1 sub-region, 2 intermediate region (countries 0)")
    cells: list[int] = Field(description="one count per column, in the columns' order")
    total: int = Field(description="distinct records of the row (a record counts once)")
    search: str = Field(description="/search query string listing the row's records")


class ThinSpotOut(Schema):
    row: str
    row_label: str
    target: str
    target_label: str
    requests: int
    providers: int
    guidance: int
    capacity: int


class MatrixOut(Schema):
    by: str
    measure: str
    within: str = Field(description="the region drilled into (rows are its countries), or ''")
    row_facet: str = Field(description="search facet of the rows: region or country")
    columns: list[MatrixColumnOut]
    rows: list[MatrixRowOut]
    column_totals: list[int]
    total: int
    thin_spots: list[ThinSpotOut]


class SuggestIn(Schema):
    text: str = ""
    document: dict[str, Any] | None = None


class TagSuggestionOut(Schema):
    scheme: str
    identifier: str
    label: str
    confidence: float
    reasons: list[str]


class SuggestOut(Schema):
    language: str = Field(description="detected language of the text ('' if unsure)")
    targets: list[TagSuggestionOut]
    subjects: list[TagSuggestionOut]
    countries: list[TagSuggestionOut]


def _language(request: HttpRequest) -> str:
    return translation.get_language_from_request(request) or "en"


@router.get(
    "",
    response={200: RecordSearchOut, 400: ErrorOut},
    summary="Search published records",
    description=(
        "Full-text, thesaurus-aware and semantic search over the portal's published records "
        "(the central portal searches every portal). Facet filters are repeatable query "
        f"parameters: {', '.join(FACETS)} (e.g. `target=GBF-TARGET-02&target=GBF-TARGET-03`)."
        " `mode`: lexical, semantic or hybrid; `sort`: relevance or date. Plain words must all "
        "match; a phrase goes in double quotes; other syntax (and an unknown mode) is a 400."
    ),
)
def search(
    request: HttpRequest,
    q: str = "",
    mode: str = "hybrid",
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 20,
) -> Any:
    filters = {name: request.GET.getlist(name) for name in FACETS if name in request.GET}
    try:
        results = service.search(
            q,
            request.portal,  # type: ignore[attr-defined]
            mode=mode,
            filters=filters,
            sort=sort,
            page=page,
            page_size=page_size,
            language=_language(request),
        )
    except QueryError as exc:
        raise HttpError(400, str(exc)) from exc
    return {
        **{k: getattr(results, k) for k in ("query", "mode", "requested_mode", "sort", "total")},
        **{k: getattr(results, k) for k in ("page", "pages", "page_size", "facets")},
        "facets_approximate": results.facets_approximate,
        "total_estimated": results.total_estimated,
        "concepts": [{"identifier": c, "label": label} for c, label in results.concepts]
        + [
            {
                "identifier": m.identifier,
                "label": m.label,
                "via": {"identifier": m.via, "label": m.via_label},
                "explanation": m.explanation,
            }
            for m in results.mapped
        ],
        "results": [
            {**h.__dict__, "schema_name": h.schema, "snippet": str(h.snippet)} for h in results.hits
        ],
    }


@router.post(
    "/suggest",
    response={200: SuggestOut, 400: ErrorOut},
    summary="Suggest tags for a draft",
    description=(
        "GBF targets and CBD subjects (semantic similarity to the concept texts plus keyword "
        "hits), countries mentioned by name, and the detected language. Send `text`, or a "
        "draft `document` in the CBD JSON format."
    ),
)
def suggest_tags(request: HttpRequest, payload: SuggestIn) -> Any:
    text = payload.text or suggest.document_text(payload.document or {})
    if not text.strip():
        raise HttpError(400, "Send some text (or a document with text) to suggest tags for.")
    if len(text) > suggest.MAX_TEXT:
        raise HttpError(400, f"The text is too long (at most {suggest.MAX_TEXT} characters).")
    return suggest.suggest(text, _language(request)).__dict__


GAPS_DESCRIPTION = (
    "Counts of published guidance (library resources, case studies), capacity-building "
    "initiatives, providers (bbiProfile) and requests (bbiRequest) per GBF target "
    "(`by=target`, default), CBD subject (`by=subject`) or region with records "
    "(`by=region`), with the thin spots flagged. `by=region-target`: the matrix of M49 "
    "regions (or, with `within=m49-…`, that region's countries) × the 23 GBF targets for one "
    "`measure` (requests (default), unmet, providers, guidance, capacity), with totals and the "
    "`top` thin spots (demand with no provider first). An unknown parameter value is a 400 "
    "naming the parameter."
)


@router.get(
    "/gaps",
    response={200: GapsOut | MatrixOut, 400: ErrorOut},
    summary="Gap analysis per GBF target (or CBD subject, region, region × target)",
    description=GAPS_DESCRIPTION,
)
def gap_analysis(
    request: HttpRequest,
    by: str = "target",
    measure: str = "requests",
    within: str = "",
    top: int = Query(gaps.THIN_SPOTS, ge=0, le=1000),
) -> Any:
    from django.utils.translation import gettext as _

    language = _language(request)
    with translation.override(language):
        if by == "region-target":
            try:
                m = gaps.matrix(request.portal, language, measure, within, top)  # type: ignore[attr-defined]
            except gaps.MatrixError as exc:
                raise HttpError(400, str(exc)) from exc
            return {
                "by": by,
                **{k: getattr(m, k) for k in ("measure", "within", "row_facet", "total")},
                "columns": [c.__dict__ for c in m.columns],
                "column_totals": m.column_totals,
                "rows": [
                    {
                        **{k: v for k, v in r.__dict__.items() if k != "leaf"},
                        "search": urlencode(gaps.search_params(m, r.identifier))
                        if m.measure != "unmet"
                        else "",
                    }
                    for r in m.rows
                ],
                "thin_spots": [s.__dict__ for s in m.thin_spots],
            }
        if by not in gaps.GROUPS:
            raise HttpError(
                400,
                _("The parameter “by” is %(value)s: use one of %(choices)s.")
                % {"value": by, "choices": ", ".join([*gaps.GROUPS, "region-target"])},
            )
    rows = gaps.compute(request.portal, language, by)  # type: ignore[attr-defined]
    return {"by": by, "rows": [r.__dict__ for r in rows]}


# The same at /api/gaps (the issue's name for it), outside the OpenAPI document.
record_router.get(
    "/gaps",
    response={200: GapsOut | MatrixOut, 400: ErrorOut},
    include_in_schema=False,
    operation_id="gap_analysis_alias",
)(gap_analysis)


# --- related records ---------------------------------------------------------------------
class RelatedOut(Schema):
    uid: str
    schema_name: str
    type_label: str
    title: str
    url: str = Field(description="the record's page (on its own portal's host)")
    reason: str = Field(description="the best shared concept, or “closest in meaning”")
    score: float = Field(description="shared concepts (normalised) + 1.5 × cosine similarity")


class RelatedListOut(Schema):
    uid: str
    results: list[RelatedOut]


def _public_record(request: HttpRequest, uid: str) -> Record | None:
    portal = request.portal  # type: ignore[attr-defined]
    found = Record.objects.filter(uid=uid, published__isnull=False, deleted_at__isnull=True)
    if not portal.is_central:
        found = found.filter(portal=portal)
    return found.first()


@record_router.get(
    "/records/{uid}/related",
    response={200: RelatedListOut, 404: ErrorOut},
    tags=["records"],
    summary="Records related to a published record",
    description=(
        "At most `limit` (1–20, default 5) published records related to this one, best "
        "first: records sharing its GBF targets and CBD subjects (1 per concept, 0.4 for a "
        "broader or narrower concept) fused with semantic similarity, each with its reason "
        "and score. A national portal relates its own records, the central portal every "
        "portal's."
    ),
)
def related_records(request: HttpRequest, uid: str, limit: int = 5) -> Any:
    record = _public_record(request, uid)
    if record is None:
        return 404, {"detail": f"No published record {uid} on this portal"}
    portal = request.portal  # type: ignore[attr-defined]
    items = related.find(
        record.pk,
        None if portal.is_central else portal.pk,
        _language(request),
        limit=max(1, min(limit, 20)),
    )
    from clearinghouse.search.alerts import record_url

    return {
        "uid": uid,
        "results": [
            {
                "uid": r.uid,
                "schema_name": r.schema,
                "type_label": r.type_label,
                "title": r.title,
                "url": record_url(request, r.uid, r.portal_id),
                "reason": r.reason,
                "score": r.score,
            }
            for r in items
        ],
    }


# --- suggestions for a draft, and the editor's decisions ------------------------------------
class TagDecisionIn(Schema):
    scheme: str = Field(description="gbf-targets, cbd-subjects or countries")
    identifier: str
    decision: str = Field(description="accepted or rejected")
    confidence: float | None = Field(None, description="the confidence it was suggested with")


class TagFeedbackIn(Schema):
    decisions: list[TagDecisionIn]
    apply: bool = Field(False, description="also add the accepted concepts to the draft")


class TagFeedbackOut(Schema):
    recorded: int
    suggestions: SuggestOut = Field(description="the draft's suggestions after the decisions")


def _draft_record(request: HttpRequest, uid: str) -> Record:
    portal = request.portal  # type: ignore[attr-defined]
    record = Record.objects.filter(uid=uid, portal=portal).first()
    if record is None:
        raise HttpError(404, f"No record {uid} on this portal")
    return record


def _suggestions_for(request: HttpRequest, record: Record) -> dict[str, Any]:
    try:
        return feedback.for_draft(record, request.user, _language(request)).__dict__
    except feedback.NoDraft as exc:
        raise HttpError(404, str(exc)) from exc


@record_router.get(
    "/drafts/{uid}/suggestions",
    auth=AUTH,
    response={200: SuggestOut, 403: ErrorOut, 404: ErrorOut},
    tags=["drafts"],
    summary="Suggested tags for a draft",
    description=(
        "GBF targets, CBD subjects and countries suggested for the draft's text, learning from "
        "editors' past decisions; concepts rejected for this record and those the draft "
        "already carries are left out."
    ),
)
def draft_suggestions(request: HttpRequest, uid: str) -> Any:
    record = _draft_record(request, uid)
    try:
        return _suggestions_for(request, record)
    except Forbidden as exc:
        return 403, {"detail": str(exc)}


@record_router.post(
    "/drafts/{uid}/suggestions",
    auth=AUTH,
    response={200: TagFeedbackOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    tags=["drafts"],
    summary="Accept or reject suggested tags for a draft",
    description=(
        "Records the editor's decisions (a training signal for later suggestions). A rejected "
        "concept is not suggested again for this record. With `apply`, accepted concepts are "
        "also added to the draft (its GBF targets, CBD subjects or countries field)."
    ),
)
def draft_feedback(request: HttpRequest, uid: str, payload: TagFeedbackIn) -> Any:
    record = _draft_record(request, uid)
    if not payload.decisions:
        return 400, {"detail": "Send at least one decision."}
    if len(payload.decisions) > 50:
        return 400, {"detail": "At most 50 decisions at a time."}
    for i, d in enumerate(payload.decisions):  # all checked before any is stored
        try:
            learning.check(d.scheme, d.identifier, d.decision, d.confidence)
        except learning.FeedbackError as exc:
            return 400, {"detail": f"decisions[{i}]: {exc}"}
    try:
        with transaction.atomic():
            for d in payload.decisions:
                feedback.decide(
                    record,
                    request.user,
                    d.scheme,
                    d.identifier,
                    d.decision,
                    d.confidence,
                    apply=payload.apply,
                )
        out = _suggestions_for(request, record)
    except learning.FeedbackError as exc:
        return 400, {"detail": str(exc)}
    except RecordInvalid as exc:
        return 400, {"detail": "; ".join(f"{i.property}: {i.message()}" for i in exc.issues)}
    except Forbidden as exc:
        return 403, {"detail": str(exc)}
    except Locked as exc:
        return 409, {"detail": str(exc)}
    except feedback.NoDraft as exc:
        return 404, {"detail": str(exc)}
    return {"recorded": len(payload.decisions), "suggestions": out}
