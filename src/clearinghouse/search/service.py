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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.utils.safestring import SafeString

from clearinghouse.portals.models import Portal
from clearinghouse.records.i18n import LANGUAGE_AUTONYMS, UN_LANGUAGES, pick
from clearinghouse.records.types import RECORD_TYPES
from clearinghouse.search import highlight, semantic, thesaurus
from clearinghouse.search.backends import get_backend
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
    allowed = None if portal_id is None else get_backend().scope_ids(portal_id)
    return semantic.nearest(vector, allowed, limit, threshold)


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

    facet_rows = backend.facets(ranked)
    # Every indexed record has facet rows: this also drops stale vectors of removed records.
    ranked = [rid for rid in ranked if rid in facet_rows]

    # One pass: a record counts for facet F when it passes every selected filter but F's own.
    active = {name: set(sel) for name, sel in filters.items() if sel}
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    selected: list[int] = []
    for rid in ranked:
        rows = facet_rows[rid]
        fails = [
            name for name, sel in active.items() if not any(f == name and v in sel for f, v in rows)
        ]
        if not fails:
            selected.append(rid)
            for f, v in rows:
                counts[f][v] += 1
        elif len(fails) == 1:
            only = fails[0]
            for f, v in rows:
                if f == only:
                    counts[f][v] += 1

    facets: list[Facet] = []
    portals: dict[int | str, Any] = {p.code: p for p in Portal.objects.all()}
    for name in FACETS:
        chosen = set(filters.get(name, []))
        top = [v for v, _n in counts[name].most_common(FACET_VALUES)]
        top += [v for v in chosen if v not in top]
        if name == "year":
            top.sort(reverse=True)
        facets.append(
            Facet(
                name,
                [
                    FacetValue(
                        v, _facet_label(name, v, language, portals), counts[name][v], v in chosen
                    )
                    for v in top
                ],
            )
        )

    position = {rid: i for i, rid in enumerate(selected)}
    meta = backend.records(selected) if sort == "date" else {}
    if sort == "date":
        selected.sort(key=lambda rid: (meta[rid]["published_at"], -position[rid]), reverse=True)
    total = len(selected)
    pages = max(1, math.ceil(total / page_size))
    page = max(1, min(int(page), pages))
    on_page = selected[(page - 1) * page_size : page * page_size]
    if sort != "date":
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
    body = next((d for d in docs if matcher.matches(d[2])), None)
    return body or next((d for d in docs if matcher.matches(d[1])), docs[0])
