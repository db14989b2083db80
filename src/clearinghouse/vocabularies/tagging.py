"""Published records tagged with concepts: records keep concept identifiers in their
documents (Term and Alignment fields), so the public records of a portal are scanned and the
identifier → records index is cached until a record or a vocabulary changes."""

from __future__ import annotations

import threading
from typing import Any

from django.db.models import Count, Max

from clearinghouse.records.models import Record
from clearinghouse.records.services import visible_records
from clearinghouse.records.types import RECORD_TYPES
from clearinghouse.vocabularies.models import Concept

_lock = threading.Lock()
_cache: dict[int, tuple[Any, dict[str, list[int]]]] = {}


def _index(portal: Any) -> dict[str, list[int]]:
    records = visible_records(portal)
    key = records.aggregate(n=Count("id"), m=Max("updated_at"), p=Max("published_id"))
    with _lock:
        cached = _cache.get(portal.pk)
        if cached and cached[0] == key:
            return cached[1]
    index: dict[str, list[int]] = {}
    for pk, schema, document in records.values_list("pk", "schema", "published__document"):
        rtype = RECORD_TYPES.get(schema)
        if rtype is None or not isinstance(document, dict):
            continue
        seen: set[str] = set()
        for fld in rtype.fields:
            value = document.get(fld.name)
            if value is None:
                continue
            for _scheme, identifier in fld.terms(value):
                if identifier not in seen:
                    seen.add(identifier)
                    index.setdefault(identifier, []).append(pk)
    with _lock:
        _cache[portal.pk] = (key, index)
    return index


def descendants(concept: Concept) -> list[Concept]:
    """Narrower concepts, transitively (any scheme), without the concept itself."""
    seen: dict[int, Concept] = {}
    todo = [concept]
    while todo:
        current = todo.pop()
        for child in current.narrower.all():
            if child.pk not in seen and child.pk != concept.pk:
                seen[child.pk] = child
                todo.append(child)
    return list(seen.values())


def tagged_records(portal: Any, concept: Concept, narrower: bool = True) -> list[Record]:
    """Public records of ``portal`` tagged with ``concept`` or a narrower one, newest first."""
    index = _index(portal)
    identifiers = [concept.identifier]
    if narrower:
        identifiers += [c.identifier for c in descendants(concept)]
    pks = {pk for ident in identifiers for pk in index.get(ident, [])}
    return list(Record.objects.filter(pk__in=pks).order_by("-published_at"))
