"""The search service: one entry point, :func:`search`, over either backend.

1. The query is parsed (``text.parse_query``; refusals raise ``QueryError``).
2. Lexical: full-text matches (all words; any word if that finds nothing), fused by reciprocal
   rank with the records tagged with the concepts the query names in any language, and their
   narrower concepts (``restauración`` → GBF-TARGET-02; ``Africa`` → its countries).
3. Semantic: cosine similarity of sentence vectors (the "closest" records).
4. Hybrid: reciprocal rank fusion of 2 and 3. Without the model, hybrid is lexical.
5. Facets are counted on the candidates (each facet ignoring its own selection), then the
   selection filters, sorts (relevance or date) and pages them; snippets for the page only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils.safestring import SafeString

from clearinghouse.portals.models import Portal
from clearinghouse.records.i18n import LANGUAGE_AUTONYMS, UN_LANGUAGES, pick
from clearinghouse.records.types import RECORD_TYPES
from clearinghouse.search import highlight, semantic, thesaurus
from clearinghouse.search.backends import fold_text, get_backend
from clearinghouse.search.documents import FACETS
from clearinghouse.search.text import ParsedQuery, QueryError, parse_query

Mode = Literal["lexical", "semantic", "hybrid"]
MODES: tuple[str, ...] = ("lexical", "semantic", "hybrid")
SORTS: tuple[str, ...] = ("relevance", "date")
CANDIDATES = 2000  # lexical matches considered per query
SEMANTIC_K = 50  # closest records fused into hybrid results
SEMANTIC_THRESHOLD = 0.30  # cosine below which a record is not "close"
RRF_K = 60
MAX_PAGE_SIZE = 100
FACET_VALUES = 12
FACET_BUDGET = 1000  # candidates whose facet values are counted exactly (see _counts)

__all__ = ["FACETS", "MODES", "QueryError", "Results", "search"]


@dataclass
class Hit:
    record_id: int
    uid: str
    portal_id: int
    schema: str
    type_label: str
    title: str
    title_lang: str
    published_at: str
    snippet: SafeString
    snippet_lang: str
    score: float
    matched_by: list[str]  # "words", "concept", "closest"
    similarity: float | None = None


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    values: list[FacetValue]


@dataclass
class Results:
    query: str
    mode: str
    requested_mode: str
    sort: str
    total: int
    page: int
    pages: int
    page_size: int
    hits: list[Hit] = field(default_factory=list)
    facets: list[Facet] = field(default_factory=list)
    concepts: list[tuple[str, str]] = field(default_factory=list)  # expanded: (id, label)
    semantic_available: bool = False
    facets_approximate: bool = False  # counts estimated from the best FACET_BUDGET records


def rrf(*rankings: Sequence[int], k: int = RRF_K) -> list[int]:
    """Reciprocal rank fusion: Σ 1 / (k + rank)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, rid in enumerate(ranking, start=1):
            scores[rid] = scores.get(rid, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda rid: -scores[rid])


def lexical(
    parsed: ParsedQuery, portal_id: int | None, limit: int = CANDIDATES, expand: bool = True
) -> tuple[list[int], set[int], set[int], list[str]]:
    backend = get_backend()
    hits = backend.match(parsed, portal_id, limit)
    if not hits and len(parsed.all_terms) > 1:
        hits = backend.match(parsed, portal_id, limit, any_term=True)
    words = [rid for rid, _score in hits]
    expand = expand and not parsed.phrases
    concepts = thesaurus.get().expand(parsed.all_terms) if expand else []
    tagged = backend.with_values(concepts, portal_id, limit) if concepts else []
    ranked = rrf(words, tagged) if tagged else words
    return ranked, set(words), set(tagged), concepts


def closest(
    text: str, portal_id: int | None, limit: int, threshold: float = SEMANTIC_THRESHOLD
) -> list[tuple[int, float]]:
    if not semantic.available():
        return []
    vector = semantic.encode([text])[0]
    if semantic.uses_pgvector():  # PostgreSQL with pgvector scopes by portal itself
        return semantic.nearest(vector, None, limit, threshold, portal_id=portal_id)
    allowed = None if portal_id is None else get_backend().scope_ids(portal_id)
    return semantic.nearest(vector, allowed, limit, threshold)


def _counts(
    backend: Any, ids: list[int], facet: str | None = None
) -> tuple[dict[str, dict[str, int]], bool]:
    """Facet value counts over ``ids``: exact up to ``FACET_BUDGET`` records; beyond, counted
    on the best ``FACET_BUDGET`` and scaled to ``len(ids)`` (two significant digits), so a
    very broad query costs no more than a narrow one. Returns (counts, approximate)."""
    if len(ids) <= FACET_BUDGET:
        return backend.value_counts(ids, [facet] if facet else []), False
    sample = backend.value_counts(ids[:FACET_BUDGET], [facet] if facet else [])
    scale = len(ids) / FACET_BUDGET
    return {
        name: {v: _round2(n * scale) for v, n in values.items()} for name, values in sample.items()
    }, True


def _round2(x: float) -> int:
    """``x`` to two significant digits (1234 → 1200), at least 1."""
    n = max(1, round(x))
    digits = len(str(n))
    return n if digits <= 2 else round(n, 2 - digits)


def _facet_label(name: str, value: str, language: str, portals: dict[int | str, Any]) -> str:
    if name == "type":
        rtype = RECORD_TYPES.get(value)
        return str(rtype.label) if rtype else value
    if name == "portal":
        portal = portals.get(value)
        return portal.display_name(language) if portal else value
    if name == "language":
        return LANGUAGE_AUTONYMS.get(value, value)
    if name == "year":
        return value
    return thesaurus.get().label(value, language)


def search(
    q: str | None,
    portal: Portal | None,
    *,
    mode: str = "hybrid",
    filters: dict[str, list[str]] | None = None,
    sort: str = "relevance",
    page: int = 1,
    page_size: int = 20,
    language: str = "en",
    expand: bool = True,
) -> Results:
    from django.utils.translation import gettext as _

    parsed = parse_query(q)
    if mode not in MODES:
        raise QueryError(_("Unknown search mode %(mode)s.") % {"mode": mode})
    if sort not in SORTS:
        raise QueryError(_("Unknown sort order %(sort)s.") % {"sort": sort})
    filters = {k: [v for v in vs if v] for k, vs in (filters or {}).items() if k in FACETS}
    page_size = max(1, min(int(page_size), MAX_PAGE_SIZE))
    portal_id = None if portal is None or portal.is_central else portal.pk
    backend = get_backend()
    has_model = semantic.available()
    effective = mode if has_model or mode == "lexical" else "lexical"

    ranked: list[int] = []
    by_words: set[int] = set()
    by_concept: set[int] = set()
    concepts: list[str] = []
    similarity: dict[int, float] = {}
    if effective in ("lexical", "hybrid"):
        ranked, by_words, by_concept, concepts = lexical(parsed, portal_id, expand=expand)
    if effective in ("semantic", "hybrid"):
        near = closest(
            parsed.text, portal_id, CANDIDATES if effective == "semantic" else SEMANTIC_K
        )
        similarity = dict(near)
        sem_ranked = [rid for rid, _sim in near]
        ranked = sem_ranked if effective == "semantic" else rrf(ranked, sem_ranked)

    if similarity:  # vectors may outlive their record: keep indexed records only
        indexed = backend.indexed(list(similarity))
        ranked = [rid for rid in ranked if rid in indexed or rid not in similarity]

    # Filters over every candidate; facet counts in SQL over the best FACET_BUDGET of them
    # (beyond, counts are scaled and marked "about"). A record counts for facet F when it
    # passes every selected filter but F's own.
    active = {name: sorted(set(sel)) for name, sel in filters.items() if sel}
    passing = {name: backend.having(ranked, name, sel) for name, sel in active.items()}
    selected = (
        [rid for rid in ranked if all(rid in ok for ok in passing.values())]
        if passing
        else list(ranked)
    )
    counts, approximate = _counts(backend, selected)
    for name in active:
        others = [ok for other, ok in passing.items() if other != name]
        pool = [rid for rid in ranked if all(rid in ok for ok in others)]
        own, approx = _counts(backend, pool, name)
        counts[name] = own.get(name, {})
        approximate = approximate or approx

    facets: list[Facet] = []
    portals: dict[int | str, Any] = {p.code: p for p in Portal.objects.all()}
    for name in FACETS:
        chosen = set(filters.get(name, []))
        values = counts.get(name, {})
        top = sorted(values, key=lambda v: (-values[v], v))[:FACET_VALUES]
        top += [v for v in chosen if v not in top]
        if name == "year":
            top.sort(reverse=True)
        facets.append(
            Facet(
                name,
                [
                    FacetValue(
                        v, _facet_label(name, v, language, portals), values.get(v, 0), v in chosen
                    )
                    for v in top
                ],
            )
        )

    position = {rid: i for i, rid in enumerate(selected)}
    if sort == "date":
        dates = backend.dates(selected)
        selected.sort(key=lambda rid: (dates.get(rid, ""), -position[rid]), reverse=True)
    total = len(selected)
    pages = max(1, math.ceil(total / page_size))
    page = max(1, min(int(page), pages))
    on_page = selected[(page - 1) * page_size : page * page_size]
    meta = backend.records(on_page)
    texts = backend.texts(on_page)

    th = thesaurus.get()
    matcher = highlight.Matcher(parsed)
    results = Results(
        query=parsed.text,
        mode=effective,
        requested_mode=mode,
        sort=sort,
        total=total,
        page=page,
        pages=pages,
        page_size=page_size,
        facets=facets,
        concepts=[(c, th.label(c, language)) for c in concepts if th.scheme.get(c) != "countries"][
            :10
        ]
        + [(c, th.label(c, language)) for c in concepts if th.scheme.get(c) == "countries"][:5],
        semantic_available=has_model,
        facets_approximate=approximate,
    )
    for rid in on_page:
        info = meta.get(rid)
        if info is None:
            continue
        title = pick(info["titles"], language)
        docs = texts.get(rid, [])
        best = _best_doc(docs, matcher, language)
        matched = []
        if rid in by_words:
            matched.append("words")
        if rid in by_concept:
            matched.append("concept")
        if rid in similarity:
            matched.append("closest")
        rtype = RECORD_TYPES.get(info["schema"])
        results.hits.append(
            Hit(
                record_id=rid,
                uid=info["uid"],
                portal_id=info["portal_id"],
                schema=info["schema"],
                type_label=str(rtype.label) if rtype else info["schema"],
                title=title.text or info["uid"],
                title_lang=title.language,
                published_at=info["published_at"][:10],
                snippet=highlight.snippet(best[2], matcher) if best else SafeString(""),
                snippet_lang=best[0] if best else "",
                score=round(1.0 / (1 + position[rid]), 4),
                matched_by=matched,
                similarity=round(similarity[rid], 3) if rid in similarity else None,
            )
        )
    return results


def _best_doc(
    docs: list[tuple[str, str, str]], matcher: highlight.Matcher, language: str
) -> tuple[str, str, str] | None:
    """The document to quote: the first whose text (else title) matches, in the reader's
    language first."""
    if not docs:
        return None
    ranked = [language, *UN_LANGUAGES]
    order = {lang: ranked.index(lang) for lang in ranked}  # first position wins
    docs = sorted(docs, key=lambda d: order.get(d[0], 9))
    body = next((d for d in docs if _may_match(d[2], matcher) and matcher.matches(d[2])), None)
    return body or next((d for d in docs if matcher.matches(d[1])), docs[0])


def _may_match(text: str, matcher: highlight.Matcher) -> bool:
    """A cheap necessary condition for ``matcher.matches``: a word matches a query term only
    if its folded form contains the term's first three letters (``text.same_word``); the
    folding of the body's label lines is memoised by the backend."""
    if matcher.cjk:
        return True
    folded = fold_text(text)
    return any(t[:3] in folded for t in matcher.terms)
