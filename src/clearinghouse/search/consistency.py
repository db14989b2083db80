"""Keeping the index consistent with the database across failures.

The after-commit indexer (``search.indexing``) never raises into a request: a failed index
write (database locked, index table unwritable, the encoder failing) or a process that dies
between the commit and the index write would leave the index stale. So:

- **a marker is written in the same transaction as the change**: the publication or
  deletion's audit entry (``record.publish`` / ``record.delete``) and a ``Record`` row deleted
  outright add an ``IndexPending`` row — rolled back with the change, committed with it;
- the after-commit indexer deletes the markers it has dealt with **only once the index write
  succeeded** (:func:`clearing`: markers up to the highest id seen before it read the record,
  so a newer change's marker is never taken away);
- ``clearinghouse reindex --pending`` (:func:`repair`, run it from cron) re-indexes every
  record still marked, and also whatever drifted without a marker: indexed records that are no
  longer public and public records missing from the index (two anti-joins). A full
  ``reindex`` ends with the same sweep.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import Max
from django.db.models.signals import post_delete, post_save

from clearinghouse.portals.models import AuditEntry
from clearinghouse.records.models import Record
from clearinghouse.search.models import IndexPending

log = logging.getLogger(__name__)
PUBLIC_ACTIONS = {"record.publish", "record.delete"}


def connect() -> None:
    post_save.connect(_on_audit, sender=AuditEntry, dispatch_uid="search-pending-audit")
    post_delete.connect(_on_row_deleted, sender=Record, dispatch_uid="search-pending-delete")


def _on_audit(sender: Any, instance: AuditEntry, created: bool, **kwargs: Any) -> None:
    if not created or instance.action not in PUBLIC_ACTIONS:
        return
    pk = Record.objects.filter(uid=instance.target).values_list("pk", flat=True).first()
    if pk is not None:
        IndexPending.objects.create(record_id=pk)


def _on_row_deleted(sender: Any, instance: Record, **kwargs: Any) -> None:
    IndexPending.objects.create(record_id=instance.pk)


@contextmanager
def clearing(record_ids: Sequence[int]) -> Iterator[None]:
    """Around an index write for these records: on success, delete their markers that existed
    before the write read the records (a change committed meanwhile keeps its own)."""
    ids = list(record_ids)
    seen = IndexPending.objects.filter(record_id__in=ids).aggregate(m=Max("id"))["m"]
    yield
    if seen is not None:
        IndexPending.objects.filter(record_id__in=ids, id__lte=seen).delete()


def pending_ids() -> list[int]:
    """Records whose index entry may be stale: marked, or drifted without a marker."""
    marked = set(IndexPending.objects.values_list("record_id", flat=True))
    table = Record._meta.db_table
    public = (
        f"SELECT id FROM {table} WHERE published_id IS NOT NULL AND deleted_at IS NULL "
        "AND published_at IS NOT NULL"
    )
    drifted: set[int] = set()
    if "search_record" in connection.introspection.table_names(include_views=False):
        with connection.cursor() as cur:
            cur.execute(f"SELECT record_id FROM search_record WHERE record_id NOT IN ({public})")
            drifted |= {r[0] for r in cur.fetchall()}
            cur.execute(
                f"SELECT p.id FROM ({public}) p WHERE p.id NOT IN "
                f"(SELECT record_id FROM search_record)"
            )
            drifted |= {r[0] for r in cur.fetchall()}
    return sorted(marked | drifted)


def repair(batch: int = 200) -> int:
    """Re-index (or remove) every pending record; returns how many were dealt with."""
    from clearinghouse.search import indexing

    ids = pending_ids()
    for i in range(0, len(ids), batch):
        chunk = ids[i : i + batch]
        with clearing(chunk):
            indexing.refresh(chunk)
    return len(ids)
