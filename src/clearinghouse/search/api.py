"""JSON API: ``GET /api/search`` and ``POST /api/search/suggest`` (a ninja Router)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from clearinghouse.search import gaps, service, suggest
from clearinghouse.search.documents import FACETS
from clearinghouse.search.text import QueryError

router = Router(tags=["search"])


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
    matched_by: list[str] = Field(description="words, concept (thesaurus), closest (semantic)")
    similarity: float | None


class FacetValueOut(Schema):
    value: str
    label: str
    count: int
    selected: bool


class FacetOut(Schema):
    name: str
    values: list[FacetValueOut]


class ConceptOut(Schema):
    identifier: str
    label: str


class SearchOut(Schema):
    query: str
    mode: str = Field(description="the mode used: hybrid falls back to lexical without the model")
    requested_mode: str
    sort: str
    total: int
    page: int
    pages: int
    page_size: int
    concepts: list[ConceptOut] = Field(description="concepts the query was expanded to")
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


class SuggestIn(Schema):
    text: str = ""
    document: dict[str, Any] | None = None


class SuggestionOut(Schema):
    scheme: str
    identifier: str
    label: str
    confidence: float
    reasons: list[str]


class SuggestOut(Schema):
    language: str = Field(description="detected language of the text ('' if unsure)")
    targets: list[SuggestionOut]
    subjects: list[SuggestionOut]
    countries: list[SuggestionOut]


def _language(request: HttpRequest) -> str:
    return translation.get_language_from_request(request) or "en"


@router.get(
    "",
    response={200: SearchOut, 400: ErrorOut},
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
        "concepts": [{"identifier": c, "label": label} for c, label in results.concepts],
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


@router.get(
    "/gaps",
    response=GapsOut,
    summary="Gap analysis per GBF target (or CBD subject, or region)",
    description=(
        "Counts of published guidance (library resources, case studies), capacity-building "
        "initiatives, providers (bbiProfile) and requests (bbiRequest) per GBF target "
        "(`by=target`, default), CBD subject (`by=subject`) or region with records "
        "(`by=region`), with the thin spots flagged."
    ),
)
def gap_analysis(request: HttpRequest, by: str = "target") -> Any:
    by = by if by in gaps.GROUPS else "target"
    rows = gaps.compute(request.portal, _language(request), by)  # type: ignore[attr-defined]
    return {"by": by, "rows": [r.__dict__ for r in rows]}
