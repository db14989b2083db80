"""Harvest operations: per-source schedules (``harvest --due``), leases (a source is never
harvested twice at once), job time limits (a timed-out job resumes from its token without
duplicates) and the command's progress bar. Against the fixture OAI server over real HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from clearinghouse.federation.harvest import (
    Harvester,
    acquire_lease,
    due_sources,
    run_source,
)
from clearinghouse.federation.models import HarvestedRecord, HarvestJob, HarvestSource, JobStatus
from clearinghouse.portals.models import PortalKind
from tests.factories import make_portal
from tests.federation.fixture_server import FixtureServer, fixture_server

pytestmark = pytest.mark.django_db
FAST = {"retries": 1, "backoff_s": 0.0}


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with fixture_server() as running:
        yield running


@pytest.fixture
def central(db: Any) -> Any:
    return make_portal("central", "", hosts=["central.testserver"], kind=PortalKind.CENTRAL)


def _source(server: FixtureServer, portal: Any, name: str, **fields: Any) -> HarvestSource:
    return HarvestSource.objects.create(
        name=name, base_url=f"{server.url}?{name}", portal=portal, **fields
    )


def _run(*args: str, **options: Any) -> str:
    out = StringIO()
    call_command("harvest", *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_due_runs_only_the_sources_whose_time_has_come(server: FixtureServer, central: Any) -> None:
    past = timezone.now() - dt.timedelta(minutes=1)
    due = _source(server, central, "due", scheduled=True, next_run_at=past, interval_minutes=360)
    never = _source(server, central, "never-run", scheduled=True)  # no next run yet: due
    later = _source(
        server, central, "later", scheduled=True, next_run_at=timezone.now() + dt.timedelta(hours=1)
    )
    manual = _source(server, central, "manual")  # not scheduled
    off = _source(server, central, "off", scheduled=True, next_run_at=past, enabled=False)

    text = _run(due=True)
    assert f"{due.pk} due: done, 4 pages" in text
    assert f"{never.pk} never-run: done" in text
    for source in (later, manual, off):
        assert not source.jobs.exists(), source.name
    due.refresh_from_db()
    # The next run is one interval after this one, and the lease is given back.
    assert due.next_run_at is not None
    assert (
        dt.timedelta(hours=5, minutes=59)
        < due.next_run_at - timezone.now()
        <= dt.timedelta(hours=6)
    )
    assert (due.lease_owner, due.lease_until) == ("", None)

    # Called again a minute later (cron): nothing is due, nothing runs.
    assert _run(due=True) == ""
    assert HarvestJob.objects.count() == 2


def test_a_requested_run_is_picked_up_by_the_next_check(
    server: FixtureServer, central: Any
) -> None:
    source = _source(server, central, "manual")
    assert list(due_sources()) == []
    source.run_requested_at = timezone.now()
    source.save()
    assert list(due_sources()) == [source]
    assert "manual: done" in _run(due=True)
    source.refresh_from_db()
    assert source.run_requested_at is None
    assert list(due_sources()) == []


def test_a_source_being_harvested_is_not_started_twice(server: FixtureServer, central: Any) -> None:
    past = timezone.now() - dt.timedelta(minutes=1)
    source = _source(server, central, "busy", scheduled=True, next_run_at=past)
    assert acquire_lease(source, "other-host:123:abc")  # another process is harvesting it
    assert not acquire_lease(HarvestSource.objects.get(pk=source.pk), "third:1:x")
    assert list(due_sources()) == []
    assert _run(due=True) == ""  # cron: skipped silently
    with pytest.raises(CommandError, match="did not complete"):
        call_command("harvest", str(source.pk), stdout=(out := StringIO()))
    assert "already being harvested by another process" in out.getvalue()
    assert run_source(source) is None
    assert not source.jobs.exists()

    # The other process died: once its lease has run out, the next check takes the source over.
    HarvestSource.objects.filter(pk=source.pk).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert "busy: done" in _run(due=True)
    assert source.jobs.get().status == JobStatus.DONE


def test_a_job_past_its_time_limit_stops_and_the_next_run_resumes_it(
    server: FixtureServer, central: Any
) -> None:
    source = _source(server, central, "slow", scheduled=True)
    job = run_source(source, timeout_s=1e-9, **FAST)  # stops after its first page
    assert job is not None
    assert job.status == JobStatus.TIMED_OUT
    assert "time limit" in job.error and "resumes" in job.error
    assert job.pages == 1 and job.resumption_token == "ListRecords2.xml"
    assert job.finished_at is not None
    first_page = HarvestedRecord.objects.filter(source=source).count()
    assert first_page > 0
    source.refresh_from_db()
    assert source.lease_until is None
    assert list(due_sources()) == [source]  # due again at once

    server.requests.clear()
    assert "slow: done, 4 pages" in _run(due=True)
    # The same job went on from its saved token: no page read twice, no record doubled.
    assert server.requests[0] == {"verb": "ListRecords", "resumptionToken": "ListRecords2.xml"}
    assert HarvestJob.objects.filter(source=source).count() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.error == ""
    assert not (
        HarvestedRecord.objects.filter(source=source)
        .values("remote_identifier")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )
    # A harvest without the time limit gives exactly the same rows as the timed-out one.
    again = _source(server, central, "fast")
    assert Harvester(**FAST).harvest(again).status == JobStatus.DONE
    assert sorted(
        HarvestedRecord.objects.filter(source=source).values_list("remote_identifier", flat=True)
    ) == sorted(
        HarvestedRecord.objects.filter(source=again).values_list("remote_identifier", flat=True)
    )


def test_schedule_options_and_their_errors(server: FixtureServer, central: Any) -> None:
    source = _source(server, central, "configured")
    text = _run(str(source.pk), every="6h", timeout="30m", no_run=True)
    assert "every 360 min, time limit 30 min" in text
    source.refresh_from_db()
    assert (source.scheduled, source.interval_minutes, source.timeout_minutes) == (True, 360, 30)
    assert not source.jobs.exists()
    _run(str(source.pk), no_schedule=True, timeout="0", no_run=True)
    source.refresh_from_db()
    assert (source.scheduled, source.timeout_minutes) == (False, 0)
    with pytest.raises(CommandError, match="--every: 'soon' is not a duration"):
        _run(str(source.pk), every="soon", no_run=True)
    with pytest.raises(CommandError, match="--every: '0h' is not a duration"):
        _run(str(source.pk), every="0h", no_run=True)
    with pytest.raises(CommandError, match="No harvest source with id 999"):
        _run("999", every="1d", no_run=True)
    with pytest.raises(CommandError, match="--add: 'ftp://x/oai' is not an http"):
        _run(add="ftp://x/oai", portal="central")
    with pytest.raises(CommandError, match="--add needs --portal CODE"):
        _run(add=server.url + "?other", portal="nowhere")
    assert HarvestSource.objects.count() == 1


def test_the_command_shows_a_progress_bar(server: FixtureServer, central: Any) -> None:
    source = _source(server, central, "bar")
    err = StringIO()
    call_command("harvest", str(source.pk), progress=True, stdout=StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert len(lines) == 4  # one per page
    assert lines[0].startswith(f"{source.pk} bar: [")
    assert "/8 records" in lines[0]  # completeListSize announced by the source
    assert "4 pages" in lines[-1] and "records/s" in lines[-1]


def test_the_job_of_a_process_that_died_is_resumed_under_the_lease(
    server: FixtureServer, central: Any
) -> None:
    """A harvesting process killed mid-way leaves its job "running" with the token of its last
    committed page and its lease to run out: the next run resumes that job from the token."""
    source = _source(server, central, "killed", scheduled=True)
    died = HarvestJob.objects.create(
        source=source, status=JobStatus.RUNNING, resumption_token="ListRecords3.xml", pages=2
    )
    HarvestSource.objects.filter(pk=source.pk).update(
        lease_owner="dead-host:1:x", lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    server.requests.clear()
    assert "killed: done, 4 pages" in _run(due=True)
    assert server.requests[0] == {"verb": "ListRecords", "resumptionToken": "ListRecords3.xml"}
    assert list(source.jobs.values_list("pk", "status")) == [(died.pk, JobStatus.DONE)]


def test_a_job_that_died_before_its_first_page_is_closed_and_started_again(
    server: FixtureServer, central: Any
) -> None:
    source = _source(server, central, "early", scheduled=True)
    died = HarvestJob.objects.create(source=source, status=JobStatus.RUNNING)
    assert "early: done, 4 pages" in _run(due=True)
    died.refresh_from_db()
    assert died.status == JobStatus.INTERRUPTED and "stopped" in died.error
    assert source.jobs.count() == 2
