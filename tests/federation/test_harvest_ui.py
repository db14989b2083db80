"""The harvest status pages: who may see them, what they show (schedule, progress, errors,
quarantine reasons), the run-now button (POST with CSRF) and the six languages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from clearinghouse.federation.harvest import Harvester, due_sources
from clearinghouse.federation.models import HarvestJob, HarvestSource, JobStatus
from clearinghouse.portals.models import AuditEntry, PortalKind, Role
from tests.factories import make_portal, make_user
from tests.federation.fixture_server import FixtureServer, fixture_server
from tests.helpers import web

pytestmark = pytest.mark.django_db
HOST = "central.testserver"


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with fixture_server() as running:
        yield running


@pytest.fixture
def central(db: Any) -> Any:
    return make_portal("central", "", hosts=[HOST], kind=PortalKind.CENTRAL)


@pytest.fixture
def harvested(server: FixtureServer, central: Any) -> HarvestSource:
    source = HarvestSource.objects.create(
        name="Benin portal",
        base_url=server.url,
        portal=central,
        scheduled=True,
        interval_minutes=360,
        timeout_minutes=30,
    )
    job = Harvester(retries=0, backoff_s=0).harvest(source)
    assert job.status == JobStatus.DONE and job.quarantined > 0
    return source


def test_only_managers_and_the_secretariat_see_harvests(central: Any, harvested: Any) -> None:
    anonymous = web(HOST).get("/en/harvest/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    author = make_user(central, Role.AUTHORIZED_USER)
    assert web(HOST, author).get("/en/harvest/").status_code == 403
    assert web(HOST, author).get(f"/en/harvest/{harvested.pk}/").status_code == 403
    assert web(HOST, author).post(f"/en/harvest/{harvested.pk}/run/").status_code == 403
    # A manager of another portal sees nothing of this one's sources.
    benin = make_portal("bj", "BJ", hosts=["bj.testserver"])
    other = make_user(benin, Role.MANAGER)
    assert web(HOST, other).get("/en/harvest/").status_code == 403
    assert web("bj.testserver", other).get(f"/en/harvest/{harvested.pk}/").status_code == 404
    for role in (Role.MANAGER, Role.SECRETARIAT):
        assert web(HOST, make_user(central, role)).get("/en/harvest/").status_code == 200


def test_status_page_shows_schedule_progress_and_quarantine(central: Any, harvested: Any) -> None:
    manager = make_user(central, Role.MANAGER)
    page = web(HOST, manager).get("/en/harvest/").content.decode()
    assert "Benin portal" in page and harvested.base_url in page
    assert "every 360 minutes" in page and "time limit 30 minutes" in page
    job = harvested.jobs.get()
    assert "Done" in page
    assert f"{job.fetched} records fetched, 4 pages" in page
    assert f'<progress value="{job.fetched}" max="8">' in page
    assert f"{job.quarantined} quarantined" in page
    assert "Run now" in page

    detail = web(HOST, manager).get(f"/en/harvest/{harvested.pk}/").content.decode()
    # The reasons of the quarantine, per job and for the records in quarantine now.
    assert "oai:test.example.com:1585322" in detail
    assert "metadata is not in the cbd format" in detail
    assert "header without identifier and datestamp" in detail
    assert "(no identifier)" in detail


def test_a_failed_job_shows_its_error_and_a_resume_button(central: Any, harvested: Any) -> None:
    HarvestJob.objects.create(
        source=harvested,
        status=JobStatus.INTERRUPTED,
        resumption_token="ListRecords3.xml",
        pages=2,
        expected=8,
        created=3,
        error="Connection lost: timed out. Run the harvest again to resume.",
        finished_at=timezone.now(),
    )
    page = web(HOST, make_user(central, Role.SECRETARIAT)).get("/en/harvest/").content.decode()
    assert "Interrupted (resumable)" in page
    assert "Connection lost: timed out." in page
    assert "Resume now" in page


def test_run_now_queues_the_source_for_the_scheduler(central: Any, harvested: Any) -> None:
    harvested.scheduled = False
    harvested.save()
    assert list(due_sources()) == []
    manager = make_user(central, Role.MANAGER)
    # CSRF is enforced: a POST without the token is refused and queues nothing.
    strict = Client(HTTP_HOST=HOST, enforce_csrf_checks=True)
    strict.force_login(manager)
    assert strict.post(f"/en/harvest/{harvested.pk}/run/").status_code == 403
    assert list(due_sources()) == []
    # With the token of the page's form.
    strict.get(f"/en/harvest/{harvested.pk}/")
    token = strict.cookies["csrftoken"].value
    response = strict.post(
        f"/en/harvest/{harvested.pk}/run/", {"csrfmiddlewaretoken": token, "full": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/en/harvest/{harvested.pk}/"
    harvested.refresh_from_db()
    assert harvested.run_requested_at is not None and harvested.run_requested_full
    assert list(due_sources()) == [harvested]
    assert AuditEntry.objects.filter(action="harvest.request", user=manager).exists()
    page = strict.get(response["Location"]).content.decode()
    assert "is queued" in page and "Queued at" in page
    # GET does not run anything.
    assert strict.get(f"/en/harvest/{harvested.pk}/run/").status_code == 405


def test_run_now_refuses_a_running_or_disabled_source(central: Any, harvested: Any) -> None:
    manager = make_user(central, Role.MANAGER)
    HarvestSource.objects.filter(pk=harvested.pk).update(
        lease_owner="elsewhere", lease_until=timezone.now() + dt.timedelta(minutes=5)
    )
    page = web(HOST, manager).post(f"/en/harvest/{harvested.pk}/run/", follow=True)
    assert "being harvested now" in page.content.decode()
    HarvestSource.objects.filter(pk=harvested.pk).update(lease_until=None, enabled=False)
    page = web(HOST, manager).post(f"/en/harvest/{harvested.pk}/run/", follow=True)
    assert "This source is disabled" in page.content.decode()
    harvested.refresh_from_db()
    assert harvested.run_requested_at is None


@pytest.mark.parametrize("lang", ["en", "fr", "es", "ar", "ru", "zh"])
def test_status_page_in_every_language(central: Any, harvested: Any, lang: str) -> None:
    response = web(HOST, make_user(central, Role.MANAGER)).get(f"/{lang}/harvest/")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'lang="{lang}"' in page
    assert ('dir="rtl"' in page) == (lang == "ar")
    assert "Benin portal" in page


def test_a_job_whose_process_died_is_shown_as_such(central: Any, harvested: Any) -> None:
    HarvestJob.objects.create(
        source=harvested, status=JobStatus.RUNNING, resumption_token="ListRecords3.xml", pages=2
    )
    manager = make_user(central, Role.MANAGER)
    page = web(HOST, manager).get("/en/harvest/").content.decode()
    assert "its process stopped: the next run resumes it" in page
    # While a process holds the lease, the job is simply running.
    HarvestSource.objects.filter(pk=harvested.pk).update(
        lease_owner="here", lease_until=timezone.now() + dt.timedelta(minutes=5)
    )
    page = web(HOST, manager).get("/en/harvest/").content.decode()
    assert "Running" in page and "its process stopped" not in page
    assert "Running now" in page  # and no run-now button
