"""``GET /api/vocab/{scheme}/search?q=…&lang=…``: concepts of a scheme whose labels match, for
search-as-you-type pickers (``static/vocabularies/picker.js``).

Matching is that of the vocabulary search (``search.py``): preferred, alternative and hidden
labels in every language, identifiers and notations, ignoring case and accents. Each result
carries its preferred label in ``lang`` (or the fallback language, flagged)."""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest
from django.utils import translation
from ninja import Router, Schema
from ninja.errors import HttpError

from clearinghouse.records.i18n import pick
from clearinghouse.vocabularies import search as search_index
from clearinghouse.vocabularies.models import Concept, ConceptScheme

router = Router(tags=["vocabularies"])
LANGS = ("en", "fr", "es", "ar", "ru", "zh")
MAX_LIMIT = 100


class ConceptHit(Schema):
    identifier: str
    uri: str
    label: str  # preferred label in ``language`` (or a fallback)
    language: str  # the label's language
    fallback: bool  # true when the label is not in the language asked for
    matched: str  # the label (or code) that matched; "" when a hidden label matched
    matched_language: str
    deprecated: bool


class SearchOut(Schema):
    scheme: str
    language: str
    query: str
    results: list[ConceptHit]


@router.get("/{scheme}/search", response=SearchOut, summary="Search a scheme's concepts")
def search(
    request: HttpRequest,
    scheme: str,
    q: str = "",
    lang: str = "",
    limit: int = 20,
    deprecated: bool = False,
) -> SearchOut:
    """Concepts of ``scheme`` whose labels in any language (or identifier, notation) contain
    ``q``, ignoring case and accents; best matches first (exact, prefix, substring;
    preferred labels before alternative ones). ``lang``: the language of the returned labels
    (default: the request's language). Deprecated concepts only with ``deprecated=true``."""
    portal = getattr(request, "portal", None)
    visible = ConceptScheme.objects.filter(Q(portal__isnull=True) | Q(portal=portal))
    if not visible.filter(identifier=scheme).exists():
        raise HttpError(404, "No such vocabulary")
    language = lang if lang in LANGS else translation.get_language_from_request(request)
    language = language if language in LANGS else "en"
    limit = max(1, min(limit, MAX_LIMIT))
    query = q.strip()[:200]
    hits = search_index.search(query, scheme, limit=limit * 2) if query else []
    concepts = Concept.objects.in_bulk([h.concept_id for h in hits])
    results: list[ConceptHit] = []
    for hit in hits:
        concept = concepts.get(hit.concept_id)
        if concept is None or (concept.deprecated and not deprecated):
            continue
        label = pick(concept.pref_labels, language)
        shown = hit.kind != "hidden"
        results.append(
            ConceptHit(
                identifier=concept.identifier,
                uri=concept.uri,
                label=label.text or concept.identifier,
                language=label.language or "",
                fallback=bool(label.fallback),
                matched=hit.label if shown else "",
                matched_language=hit.language if shown else "",
                deprecated=concept.deprecated,
            )
        )
        if len(results) >= limit:
            break
    return SearchOut(scheme=scheme, language=language, query=query, results=results)
