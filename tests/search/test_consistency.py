"""The index stays consistent with the database when index writes fail for real: a table
that refuses writes (a trigger raising in the database), a process that stops between the
commit and the index write, a full rebuild that crashes half-way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from clearinghouse.records import services
from clearinghouse.records.models import Record
from clearinghouse.search import consistency, service
from clearinghouse.search.backends import LIVE, SHADOW, get_backend
from clearinghouse.search.models import IndexPending
from tests.factories import valid_document

pytestmark = pytest.mark.django_db


@contextmanager
def refusing(table: str, operation: str = "INSERT", record_id: int | None = None) -> Iterator[None]:
    """The database itself refuses ``operation`` on ``table`` (for one record, or all)."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            when = (
                f"WHEN OLD.record_id = {record_id}" if record_id and operation == "DELETE" else ""
            )
            when = (
                f"WHEN NEW.record_id = {record_id}" if record_id and operation != "DELETE" else when
            )
            cur.execute(
                f"CREATE TRIGGER km_refuse BEFORE {operation} ON {table} {when} "
                f"BEGIN SELECT RAISE(ABORT, 'the index table refuses writes'); END"
            )
        else:
            cur.execute(
                "CREATE OR REPLACE FUNCTION km_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'the index table refuses writes'; END $$"
            )
            row = "OLD" if operation == "DELETE" else "NEW"
            when = f"WHEN ({row}.record_id = {record_id})" if record_id else ""
            cur.execute(
                f"CREATE TRIGGER km_refuse BEFORE {operation} ON {table} FOR EACH ROW {when} "
                f"EXECUTE FUNCTION km_refuse()"
            )
    try:
        yield
    finally:
        with connection.cursor() as cur:
            if connection.vendor == "sqlite":
                cur.execute("DROP TRIGGER IF EXISTS km_refuse")
            else:
                cur.execute(f"DROP TRIGGER IF EXISTS km_refuse ON {table}")


def uids(q: str, portal: Any) -> list[str]:
    return [h.uid for h in service.search(q, portal, mode="lexical").hits]


def publish(portal: Any, user: Any, **changes: Any) -> Record:
    record = services.create_draft(portal, user, "resource", valid_document("resource", **changes))
    services.publish(record, user)
    return record


def ensure_index() -> None:
    if not get_backend().table_exists("search_record"):
        get_backend().create(LIVE)


def test_a_successful_publication_leaves_no_marker(
    benin: Any, jean: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        record = publish(benin, jean)
    assert uids("mangroves", benin) == [record.uid]
    assert not IndexPending.objects.exists()
    assert consistency.pending_ids() == []


def test_a_failed_index_write_is_marked_and_repaired(
    benin: Any, jean: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ensure_index()
    with refusing("search_record"), django_capture_on_commit_callbacks(execute=True):
        record = publish(benin, jean)  # the index write after the commit fails
    record.refresh_from_db()
    assert record.published_id is not None  # the publication itself is kept
    assert uids("mangroves", benin) == []
    assert consistency.pending_ids() == [record.pk]

    out = StringIO()
    call_command("reindex", "--pending", stdout=out)
    assert "1 pending record(s) re-indexed" in out.getvalue()
    assert uids("mangroves", benin) == [record.uid]
    assert consistency.pending_ids() == []
    assert not IndexPending.objects.exists()


def test_a_failed_removal_is_marked_and_repaired(
    benin: Any, jean: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        record = publish(benin, jean)
        keep = publish(benin, jean, title={"fr": "Herbiers", "en": "Seagrass mangroves"})
    with refusing("search_record", "DELETE"), django_capture_on_commit_callbacks(execute=True):
        services.delete_record(record, jean)
    assert record.uid in uids("mangroves", benin)  # stale: the removal failed
    assert consistency.pending_ids() == [record.pk]
    call_command("reindex", "--pending", stdout=StringIO())
    assert uids("mangroves", benin) == [keep.uid]
    assert consistency.pending_ids() == []


def test_a_stop_between_commit_and_index_write_leaves_a_marker(
    benin: Any, jean: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ensure_index()
    # The after-commit callbacks never run: as if the process died right after the commit.
    with django_capture_on_commit_callbacks(execute=False):
        record = publish(benin, jean)
    assert IndexPending.objects.filter(record_id=record.pk).exists()
    assert uids("mangroves", benin) == []
    call_command("reindex", "--pending", stdout=StringIO())
    assert uids("mangroves", benin) == [record.uid]


def test_a_rolled_back_publication_leaves_no_marker(
    benin: Any, jean: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        publish(benin, jean)
        raise RuntimeError("the request failed")
    assert not IndexPending.objects.exists()


def test_drift_without_a_marker_is_found(
    benin: Any, jean: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        record = publish(benin, jean)
    # Changed behind the services' back: no signal, no marker.
    Record.objects.filter(pk=record.pk).update(deleted_at=timezone.now())
    assert consistency.pending_ids() == [record.pk]
    call_command("reindex", "--pending", stdout=StringIO())
    assert uids("mangroves", benin) == []


def test_a_crashed_full_reindex_keeps_the_live_index_and_resumes(
    publish_corpus: Callable, central: Any
) -> None:
    records = publish_corpus("r01", "r02", "r03")
    backend = get_backend()
    assert backend.count() == 3
    call_command("reindex", "--batch", "1", "--stop-after", "1", stdout=StringIO())
    second = sorted(r.pk for r in records.values())[1]
    with refusing("search_record_new", record_id=second), pytest.raises(DatabaseError):
        call_command("reindex", "--batch", "1", stdout=StringIO())
    # The crash left the shadow half-built; the live index is whole and searchable.
    assert backend.count(LIVE) == 3 and backend.count(SHADOW) == 1
    assert len(uids("target", central)) == 3
    out = StringIO()
    call_command("reindex", "--batch", "1", stdout=out)
    assert "Resuming a rebuild after record" in out.getvalue()
    assert not backend.table_exists("search_record_new")
    assert backend.count() == 3
    assert len(uids("target", central)) == 3
