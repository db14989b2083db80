"""The search service: one entry point, :func:`search`, over either backend.

1. The query is parsed (``text.parse_query``; refusals raise ``QueryError``).
2. Lexical: full-text matches (all words; any word if that finds nothing and the query names
   no concept), fused by reciprocal rank with the records tagged with the concepts the query
   names in any language, and their narrower concepts (``restauración`` → GBF-TARGET-02;
   ``Africa`` → its countries); after them, the records tagged only with concepts mapped to
   the ones it names by the crosswalk (``Aichi Target 11`` → GBF-TARGET-03).
3. Semantic: cosine similarity of sentence vectors (the "closest" records).
4. Hybrid: reciprocal rank fusion of 2 and 3. Without the model, hybrid is lexical.
5. Facets are counted on the candidates (each facet ignoring its own selection), then the
   selection filters, sorts (relevance or date) and pages them; snippets for the page only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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
    matched_by: list[str]  # "words", "concept", "mapping", "closest"
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
class Mapped:
    """A concept the query reached through the crosswalk, and the concept it named."""

    identifier: str
    label: str
    via: str
    via_label: str

    @property
    def explanation(self) -> str:
        from django.utils.translation import gettext as _

        return _("via mapping: %(source)s → %(target)s") % {
            "source": self.via_label,
            "target": self.label,
        }


@dataclass
class Crosswalk:
    """What the crosswalk added to a lexical search (filled in by :func:`lexical`)."""

    pairs: list[tuple[str, str]] = field(default_factory=list)  # (mapped, named concept)
    records: set[int] = field(default_factory=set)  # found only through the mapped concepts


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
    mapped: list[Mapped] = field(default_factory=list)  # reached through the crosswalk
    semantic_available: bool = False
    facets_approximate: bool = False  # counts estimated from the best FACET_BUDGET records
    total_estimated: bool = False  # total extrapolated: a very broad query (see backends.window)


def rrf(*rankings: Sequence[int], k: int = RRF_K) -> list[int]:
    """Reciprocal rank fusion: Σ 1 / (k + rank)."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, rid in enumerate(ranking, start=1):
            scores[rid] = scores.get(rid, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda rid: -scores[rid])


@dataclass
class Lexical:
    ranked: list[int]  # candidates, best first (full-text matches fused with concept matches)
    by_words: set[int]
    by_concept: set[int]
    concepts: list[str]
    total: int  # records matching in all (≥ len(ranked) when more match than are ranked)
    estimated: bool  # total extrapolated from a window of the matches (a very broad query)


def lexical(
    parsed: ParsedQuery,
    portal_id: int | None,
    limit: int = CANDIDATES,
    expand: bool = True,
    crosswalk: Crosswalk | None = None,
) -> Lexical:
    """The lexical candidates; ``crosswalk``, when given, receives the mapped concepts used
    and the records found only through them."""
    backend = get_backend()
    expand = expand and not parsed.phrases
    th = thesaurus.get()
    concepts = th.expand(parsed.all_terms) if expand else []
    mapped = th.crosswalk(parsed.all_terms, concepts) if expand else []
    found = backend.match(parsed, portal_id, limit)
    if not found.hits and len(parsed.all_terms) > 1 and not (concepts or mapped):
        # Any word — unless the query names a concept ("Aichi Target 11"): its words apart
        # ("target", "11") would only bring noise.
        found = backend.match(parsed, portal_id, limit, any_term=True)
    words = [rid for rid, _score in found.hits]
    tagged = backend.with_values(concepts, portal_id, limit) if concepts else []
    direct = set(words) | set(tagged)
    via = [
        rid
        for rid in (
            backend.with_values([c for c, _v in mapped], portal_id, limit) if mapped else []
        )
        if rid not in direct
    ]
    if crosswalk is not None:
        crosswalk.pairs.extend(mapped)
        crosswalk.records.update(via)
    # Records found only through the crosswalk come after every direct match.
    ranked = [*(rrf(words, tagged) if tagged else words), *via]
    total = len(ranked) + max(0, found.total - len(words))  # matches beyond the candidates
    return Lexical(ranked, set(words), set(tagged), concepts, total, found.estimated)


def closest(
    text: str,
    portal_id: int | None,
    limit: int,
    threshold: float = SEMANTIC_THRESHOLD,
    vector: Any = None,
) -> list[tuple[int, float]]:
    """The records closest in meaning to ``text`` (its ``vector`` when already encoded)."""
    if not semantic.available():
        return []
    if vector is None:
        vector = semantic.encode([text])[0]
    if semantic.uses_pgvector():  # PostgreSQL with pgvector scopes by portal itself
        return semantic.nearest(vector, None, limit, threshold, portal_id=portal_id)
    allowed = None if portal_id is None else get_backend().scope_ids(portal_id)
    return semantic.nearest(vector, allowed, limit, threshold)


_encoder_pool: ThreadPoolExecutor | None = None


def _encode_meanwhile(text: str) -> Future[Any]:
    """Encode the query in a worker thread while the lexical part runs (the encoder spends
    its time in numpy, which releases the GIL; so does SQLite): hybrid costs about the
    longer of the two instead of their sum. No database access happens in the thread."""
    global _encoder_pool
    if _encoder_pool is None:
        _encoder_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="query-encoder")
    return _encoder_pool.submit(lambda: semantic.encode([text])[0])


def _counts(
    backend: Any, ids: list[int], facet: str | None = None, scale_to: float = 1.0
) -> tuple[dict[str, dict[str, int]], bool]:
    """Facet value counts over ``ids``: exact up to ``FACET_BUDGET`` records; beyond, counted
    on the best ``FACET_BUDGET`` and scaled to ``len(ids)`` (two significant digits), so a
    very broad query costs no more than a narrow one. ``scale_to`` > 1: the candidates stand
    for that many times as many matching records (counts scaled too). Returns (counts,
    approximate)."""
    if len(ids) <= FACET_BUDGET and scale_to <= 1.0:
        return backend.value_counts(ids, [facet] if facet else []), False
    if not ids:
        return {}, False
    sample = backend.value_counts(ids[:FACET_BUDGET], [facet] if facet else [])
    scale = len(ids) / min(len(ids), FACET_BUDGET) * scale_to
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
    mapped = Crosswalk()
    similarity: dict[int, float] = {}
    beyond = 1.0  # matching records per candidate (> 1 when more match than are ranked)
    estimated = False
    encoding = _encode_meanwhile(parsed.text) if effective == "hybrid" else None
    if effective in ("lexical", "hybrid"):
        lex = lexical(parsed, portal_id, expand=expand, crosswalk=mapped)
        ranked, by_words, by_concept, concepts = (
            lex.ranked,
            lex.by_words,
            lex.by_concept,
            lex.concepts,
        )
        if lex.estimated:  # a very broad query: its totals and counts are estimates anyway,
            ranked = ranked[:CANDIDATES]  # so filter and count the best 2,000, not 4,000
        if ranked and lex.total > len(ranked):
            beyond, estimated = lex.total / len(ranked), lex.estimated
    if effective in ("semantic", "hybrid"):
        near = closest(
            parsed.text,
            portal_id,
            CANDIDATES if effective == "semantic" else SEMANTIC_K,
            vector=encoding.result() if encoding else None,
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
    counts, approximate = _counts(backend, selected, scale_to=beyond)
    for name in active:
        others = [ok for other, ok in passing.items() if other != name]
        pool = [rid for rid in ranked if all(rid in ok for ok in others)]
        own, approx = _counts(backend, pool, name, scale_to=beyond)
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
    pages = max(1, math.ceil(total / page_size))  # the candidates can be paged through
    if beyond > 1.0:  # more records match than are ranked: say how many, in round figures
        estimated = estimated or bool(active)  # filtered: in proportion to the candidates
        total = _round2(total * beyond) if estimated else round(total * beyond)
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
        mapped=[
            Mapped(c, th.label(c, language), via, th.name(via, language)) for c, via in mapped.pairs
        ][:10],
        semantic_available=has_model,
        facets_approximate=approximate,
        total_estimated=estimated,
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
        if rid in mapped.records:
            matched.append("mapping")
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
