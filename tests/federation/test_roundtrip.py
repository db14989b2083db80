"""Portal to portal: the central portal harvests a national portal's /oai through HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.federation.harvest import Harvester
from clearinghouse.federation.models import HarvestedRecord, HarvestSource, JobStatus
from clearinghouse.portals.models import AuditEntry, PortalKind, Role
from clearinghouse.records import services
from clearinghouse.records.models import Record
from tests.factories import make_portal, make_user, valid_document
from tests.federation.conftest import add_records

pytestmark = pytest.mark.django_db(transaction=True)


def test_harvest_is_idempotent_incremental_and_propagates_deletions(
    live_server: Any, settings: Any
) -> None:
    settings.CLEARINGHOUSE_OAI_PAGE_SIZE = 3
    national = make_portal("bj", "BJ", hosts=["localhost"])
    central = make_portal("central", "", hosts=["central.testserver"], kind=PortalKind.CENTRAL)
    remote = add_records(national, 7)
    port = live_server.url.rsplit(":", 1)[1]
    source = HarvestSource.objects.create(
        name="Benin", base_url=f"http://localhost:{port}/oai", portal=central
    )
    harvester = Harvester(retries=0, backoff_s=0)

    job = harvester.harvest(source)
    assert (job.status, job.pages, job.created, job.quarantined) == (JobStatus.DONE, 3, 7, 0)
    copies = Record.objects.filter(portal=central).order_by("id")
    assert copies.count() == 7
    first = copies[0]
    # The uid is taken on this deployment (by the national record itself), so it is qualified.
    assert first.uid == f"h{source.pk}-{remote[0].uid}"
    assert first.published.document["title"] == remote[0].published.document["title"]
    assert first.published.document["header"]["identifier"] == first.uid
    provenance = HarvestedRecord.objects.get(record=first)
    assert provenance.source == source
    assert provenance.remote_identifier == f"oai:localhost:{remote[0].uid}"
    assert provenance.remote_datestamp == "2025-03-01T12:00:00Z"
    assert AuditEntry.objects.filter(portal=central, action="record.harvest").count() == 7

    # A full re-harvest changes nothing.
    again = harvester.harvest(source, full=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    assert Record.objects.filter(portal=central).count() == 7

    # Incremental: only what changed since the last harvest, deletions included.
    jean = make_user(national, Role.PUBLISHING_AUTHORITY)
    gone = Record.objects.get(pk=remote[1].pk)
    services.delete_record(gone, jean)
    fresh = services.create_draft(national, jean, "news", valid_document("news"))
    services.publish(fresh, jean)
    source.refresh_from_db()
    since = source.next_from
    assert len(since) == 20  # seconds granularity, learnt from Identify
    incremental = harvester.harvest(source)
    assert incremental.status == JobStatus.DONE
    assert incremental.from_arg == since
    assert (incremental.created, incremental.deleted, incremental.updated) == (1, 1, 0)
    withdrawn = HarvestedRecord.objects.get(remote_identifier=f"oai:localhost:{gone.uid}")
    assert withdrawn.deleted
    assert withdrawn.record is not None and withdrawn.record.deleted_at is not None
    copy = HarvestedRecord.objects.get(remote_identifier=f"oai:localhost:{fresh.uid}").record
    assert copy is not None and copy.schema == "news" and copy.portal == central

    # The withdrawal shows in the central portal's own /oai as a tombstone.
    from django.test import Client

    response = Client().get(
        "/oai",
        {
            "verb": "GetRecord",
            "metadataPrefix": "cbd",
            "identifier": f"oai:central.testserver:{withdrawn.record.uid}",
        },
        HTTP_HOST="central.testserver",
    )
    assert b'status="deleted"' in b"".join(response.streaming_content)


def test_changes_and_returns_become_new_revisions(live_server: Any, vocab: None) -> None:
    national = make_portal("bj", "BJ", hosts=["localhost"])
    central = make_portal("central", "", hosts=["central.testserver"], kind=PortalKind.CENTRAL)
    jean = make_user(national, Role.PUBLISHING_AUTHORITY)
    record = services.create_draft(national, jean, "resource", valid_document("resource"))
    services.publish(record, jean)
    port = live_server.url.rsplit(":", 1)[1]
    source = HarvestSource.objects.create(
        name="Benin", base_url=f"http://localhost:{port}/oai", portal=central
    )
    harvester = Harvester(retries=0, backoff_s=0)
    assert harvester.harvest(source).created == 1
    provenance = HarvestedRecord.objects.get(source=source)
    local = provenance.record
    assert local is not None

    services.edit_published(record, jean)
    services.update_draft(record, jean, valid_document("resource", title={"en": "Second edition"}))
    services.publish(record, jean)
    job = harvester.harvest(source)
    assert (job.created, job.updated, job.unchanged) == (0, 1, 0)
    local.refresh_from_db()
    assert local.published.number == 2
    assert local.title == {"en": "Second edition"}

    services.delete_record(record, jean)
    assert harvester.harvest(source).deleted == 1
    local.refresh_from_db()
    assert not local.is_public

    services.edit_published(record, jean)
    services.publish(record, jean)  # published again after its deletion
    job = harvester.harvest(source)
    assert job.updated == 1
    local.refresh_from_db()
    assert local.is_public and local.published.number == 3
    assert HarvestedRecord.objects.get(pk=provenance.pk).deleted is False
