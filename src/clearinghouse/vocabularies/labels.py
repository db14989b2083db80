"""Concept labels and picker options in the reader's language (cached per process)."""

from __future__ import annotations

from functools import lru_cache

from clearinghouse.records.i18n import pick
from clearinghouse.vocabularies.models import Concept

_generation = 0


def invalidate() -> None:
    global _generation
    _generation += 1


@lru_cache(maxsize=64)
def _options(scheme: str, language: str, generation: int) -> list[tuple[str, str]]:
    concepts = Concept.objects.filter(scheme__identifier=scheme, deprecated=False).only(
        "identifier", "pref_labels", "sort_key"
    )
    return [(c.identifier, pick(c.pref_labels, language).text or c.identifier) for c in concepts]


def options(scheme: str, language: str) -> list[tuple[str, str]]:
    return _options(scheme, language, _generation)


@lru_cache(maxsize=4096)
def _label(identifier: str, language: str, generation: int) -> str:
    concept = Concept.objects.filter(identifier=identifier).only("pref_labels").first()
    if concept is None:
        return identifier
    return pick(concept.pref_labels, language).text or identifier


def label(identifier: str, language: str) -> str:
    return _label(identifier, language, _generation)


def generation() -> int:
    """Bumped on every change to concepts or schemes in this process (see apps.py)."""
    return _generation


def fingerprint() -> tuple[object, ...]:
    """Changes whenever the vocabularies change, in this process or another one: caches of
    derived data (SPARQL graph, search index) are keyed on it. Two aggregate queries."""
    from django.db.models import Count, Max

    from clearinghouse.vocabularies.models import ConceptScheme

    concepts = Concept.objects.aggregate(n=Count("id"), m=Max("modified"))
    schemes = ConceptScheme.objects.aggregate(n=Count("id"), m=Max("modified"))
    return (_generation, concepts["n"], concepts["m"], schemes["n"], schemes["m"])
