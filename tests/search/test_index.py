"""The index follows the database: after commit only, deletions, rebuilds."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from clearinghouse.records import services
from clearinghouse.records.models import Record
from clearinghouse.search import service
from clearinghouse.search.backends import LIVE, SHADOW, get_backend
from clearinghouse.search.models import RecordVector
from tests.factories import valid_document
from tests.search import corpus

pytestmark = pytest.mark.django_db


def uids(q: str, portal: Any, mode: str = "lexical") -> list[str]:
    return [h.uid for h in service.search(q, portal, mode=mode).hits]


def test_a_rolled_back_transaction_indexes_nothing(
    benin: Any, jean: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        record = services.create_draft(benin, jean, "resource", valid_document("resource"))
        services.publish(record, jean)
        raise RuntimeError("the request failed after publishing")
    assert not Record.objects.exists()
    assert get_backend().count() == 0
    assert uids("mangroves", benin) == []


def test_published_then_deleted_record_disappears(
    benin: Any, jean: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        record = services.create_draft(benin, jean, "resource", valid_document("resource"))
        services.publish(record, jean)
    assert uids("mangroves", benin) == [record.uid]
    assert RecordVector.objects.filter(record=record).exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_record(record, jean)
    assert uids("mangroves", benin) == []
    assert uids("mangroves", benin, mode="semantic") == []
    assert get_backend().count() == 0
    assert not RecordVector.objects.filter(record=record).exists()


def test_nothing_is_indexed_before_commit(benin: Any, jean: Any) -> None:
    record = services.create_draft(benin, jean, "resource", valid_document("resource"))
    services.publish(record, jean)  # the test transaction never commits
    assert uids("mangroves", benin) == []


def test_a_new_revision_replaces_the_old_text(
    benin: Any, jean: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        record = services.create_draft(benin, jean, "resource", valid_document("resource"))
        services.publish(record, jean)
        services.edit_published(record, jean)
        doc = valid_document(
            "resource", title={"fr": "Guide des herbiers marins", "en": "Seagrass guide"}
        )
        services.update_draft(record, jean, doc)
        services.publish(record, jean)
    assert uids("seagrass", benin) == [record.uid]
    assert uids("mangroves", benin) == []
    assert get_backend().count() == 1


def test_a_record_row_deleted_outright_leaves_the_index(
    publish_corpus: Callable, central: Any, django_capture_on_commit_callbacks: Any
) -> None:
    records = publish_corpus("r01", "r03")
    with django_capture_on_commit_callbacks(execute=True):
        records["r01"].delete()
    assert get_backend().count() == 1
    assert uids("target", central) == [records["r03"].uid]


def test_reindex_rebuilds_into_a_shadow_and_resumes(publish_corpus: Callable, central: Any) -> None:
    records = publish_corpus("r01", "r02", "r03")
    backend = get_backend()
    backend.write([], removed=[r.pk for r in records.values()])  # an index gone stale
    assert backend.count() == 0

    out = StringIO()
    call_command("reindex", "--batch", "1", "--stop-after", "2", stdout=out)
    assert "Stopped" in out.getvalue()
    assert backend.count(SHADOW) == 2 and backend.count(LIVE) == 0  # live untouched so far

    # Published meanwhile: written to both copies by the after-commit indexer.
    extra = corpus.load(["r07"])["r07"]
    from clearinghouse.search import indexing

    indexing.refresh([extra.pk])
    assert backend.count(SHADOW) == 3

    out = StringIO()
    call_command("reindex", "--batch", "1", stdout=out)
    assert "Resuming" in out.getvalue() and "4/4" in out.getvalue()
    assert not backend.table_exists("search_record_new")
    assert backend.count() == 4
    assert len(uids("target", central)) == 4


def test_reindex_from_scratch(publish_corpus: Callable, central: Any) -> None:
    publish_corpus("r01", "r02")
    call_command("reindex", "--restart", "--no-vectors", stdout=StringIO())
    call_command("reindex", stdout=StringIO())  # twice: index names never collide
    assert get_backend().count() == 2
