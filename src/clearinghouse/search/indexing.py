"""Keeping the index in step with the database.

``records.services`` sends ``public_changed`` from ``transaction.on_commit`` whenever a record's
public view changes (publish, delete): a rolled-back transaction indexes nothing. A record row
deleted outright (``post_delete``, e.g. a discarded portal) is removed after commit too.
Failures are logged, never raised into the request: the record stays marked
(``search.consistency``) and ``clearinghouse reindex --pending`` repairs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete

from clearinghouse.records.models import Record
from clearinghouse.records.signals import public_changed
from clearinghouse.search import consistency, documents, semantic
from clearinghouse.search.backends import get_backend

log = logging.getLogger(__name__)


def connect() -> None:
    public_changed.connect(_on_public_changed, sender=Record, dispatch_uid="search-index")
    post_delete.connect(_on_record_deleted, sender=Record, dispatch_uid="search-index-delete")


def _on_public_changed(sender: Any, record_id: int, **kwargs: Any) -> None:
    try:
        with consistency.clearing([record_id]):  # markers go only once the write succeeded
            refresh([record_id])
    except Exception:  # the index must never break publishing
        log.exception("search: could not index record %s", record_id)


def _on_record_deleted(sender: Any, instance: Record, **kwargs: Any) -> None:
    pk = instance.pk

    def remove() -> None:
        try:
            with consistency.clearing([pk]):
                get_backend().write([], removed=[pk])
        except Exception:
            log.exception("search: could not remove record %s", pk)

    transaction.on_commit(remove, robust=True)


def build_entries(records: Sequence[Record]) -> tuple[list[documents.Entry], list[int]]:
    entries, gone = [], []
    for record in records:
        entry = documents.build(record)
        if entry is None:
            gone.append(record.pk)
        else:
            entries.append(entry)
    return entries, gone


def refresh(record_ids: Sequence[int], suffixes: list[str] | None = None) -> int:
    """(Re)index these records in every copy of the index; drop the ones no longer public."""
    records = list(
        Record.objects.filter(pk__in=list(record_ids)).select_related("published", "portal")
    )
    found = {r.pk for r in records}
    entries, gone = build_entries(records)
    gone += [rid for rid in record_ids if rid not in found]
    get_backend().write(entries, removed=gone, suffixes=suffixes)
    vectors(entries, gone)
    return len(entries)


def vectors(entries: Sequence[documents.Entry], gone: Sequence[int] = ()) -> None:
    if gone:
        semantic.remove(gone)
    if not semantic.available() or not entries:
        return
    texts = [t for e in entries for t in e.embed_texts]
    if not texts:
        return
    encoded = semantic.encode(texts)
    out, i = {}, 0
    for entry in entries:
        n = len(entry.embed_texts)
        if n:
            vec = encoded[i : i + n].mean(axis=0)
            out[entry.record_id] = vec / max(float((vec**2).sum() ** 0.5), 1e-9)
            i += n
    semantic.store(out)
