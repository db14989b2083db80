"""One deployment, many portals: host names choose the portal; portals are provisioned in
one command; the network page shows how the portals are doing."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from clearinghouse.portals.models import Membership, Portal, PortalKind, PortalStatus, Role
from tests.factories import make_portal, make_user
from tests.helpers import Api, draft, published, web

pytestmark = pytest.mark.django_db


# --- host name → portal ---------------------------------------------------------------
@pytest.mark.parametrize(
    "host", ["bj.testserver", "BJ.TestServer", "bj.testserver:8000", "bj.testserver."]
)
def test_host_name_chooses_the_portal(benin: Any, peru: Any, host: str) -> None:
    page = web(host).get("/fr/").content.decode()
    assert "Portail bj" in page
    assert "Portal pe" not in page


def test_each_portal_shows_its_own_records(benin: Any, peru: Any, jean: Any) -> None:
    published(benin, jean, "news", title={"en": "Benin news"})
    assert "Benin news" in web("bj.testserver").get("/en/").content.decode()
    assert "Benin news" not in web("pe.testserver").get("/en/").content.decode()
    assert Api("pe.testserver").get("/records").json()["count"] == 0


def test_one_portal_may_have_several_host_names(db: Any) -> None:
    make_portal("sn", "SN", hosts=["sn.testserver", "chm.sn.testserver"])
    for host in ("sn.testserver", "chm.sn.testserver"):
        assert "Portal sn" in web(host).get("/en/").content.decode()


def test_unknown_host_is_served_by_the_default_portal(benin: Any) -> None:
    make_portal("chm", "", hosts=["chm.testserver"], kind=PortalKind.CENTRAL, is_default=True)
    page = web("unknown.example.org").get("/en/").content.decode()
    assert "Portal chm" in page
    assert web("unknown.example.org").get("/api/records").status_code == 200


def test_unknown_host_without_default_portal_is_a_clear_404(benin: Any) -> None:
    response = web("unknown.example.org").get("/en/")
    assert response.status_code == 404
    assert "No clearing-house portal is configured for this host name." in response.content.decode()
    assert web("unknown.example.org").get("/api/records").status_code == 404


def test_strict_hosts_ignore_the_default_portal(benin: Any, settings: Any) -> None:
    make_portal("chm", "", hosts=["chm.testserver"], kind=PortalKind.CENTRAL, is_default=True)
    settings.CLEARINGHOUSE_STRICT_HOSTS = True
    assert web("unknown.example.org").get("/en/").status_code == 404
    assert web("bj.testserver").get("/en/").status_code == 200


def test_only_one_default_portal(db: Any) -> None:
    make_portal("chm", "", kind=PortalKind.CENTRAL, is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_portal("bj", "BJ", is_default=True)


# --- provisioning ---------------------------------------------------------------------------
def _provision(*args: str) -> str:
    out = io.StringIO()
    call_command("provision_portal", *args, stdout=out)
    return out.getvalue()


def test_provision_portal_in_one_command(db: Any) -> None:
    output = _provision(
        "--country",
        "bj",
        "--languages",
        "fr, en",
        "--manager",
        "Manager@Example.org",
        "--host",
        "benin.example.org",
        "--host",
        "chm.bj.example.org",
    )
    assert "Portal bj (BJ) created" in output
    assert "status:    prepublished" in output
    assert "languages: fr, en" in output
    assert "http://benin.example.org/" in output
    assert "http://chm.bj.example.org/" in output
    assert "manager:   manager@example.org" in output
    password = re.search(r"password:\s+(\S+)", output)
    assert password is not None

    portal = Portal.objects.get(code="bj")
    assert portal.country == "BJ"
    assert portal.languages == ["fr", "en"]
    assert portal.default_language == "fr"
    assert portal.name["fr"]  # the country's name from the vocabulary
    assert Membership.objects.filter(
        portal=portal, user__email="manager@example.org", role=Role.MANAGER
    ).exists()

    # The new portal answers on its host name, and the manager can log in.
    client = Client(HTTP_HOST="benin.example.org")
    assert client.get("/fr/").status_code == 200
    assert client.login(username="manager@example.org", password=password.group(1))
    assert client.get("/fr/editor/new/resource/").status_code == 200


def test_provision_reuses_an_existing_account(db: Any) -> None:
    existing = get_user_model().objects.create_user("fatou", "fatou@example.org", "pw")
    output = _provision(
        "--country", "SN", "--languages", "fr", "--manager", "FATOU@example.org", "--status", "live"
    )
    assert "password" not in output
    portal = Portal.objects.get(code="sn")
    assert portal.status == PortalStatus.LIVE
    assert Membership.objects.get(portal=portal).user == existing
    assert Portal.objects.get(code="sn").hosts.get().host == "sn.localhost"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--country", "XX", "--languages", "fr"], "'XX' is not an ISO 3166 alpha-2 code"),
        (["--country", "BJ", "--languages", "fr,de"], "languages must be among"),
        (["--country", "BJ", "--languages", ""], "languages must be among"),
        (["--country", "BJ", "--languages", "fr", "--status", "open"], "status must be one of"),
        (["--country", "BJ", "--languages", "fr", "--host", "taken.testserver"], "already used"),
        (["--country", "BJ", "--languages", "fr", "--code", "old"], "'old' already exists"),
    ],
)
def test_provision_errors_are_clear_and_change_nothing(
    db: Any, args: list[str], message: str
) -> None:
    make_portal("old", "PE", hosts=["taken.testserver"])
    before = (Portal.objects.count(), get_user_model().objects.count())
    with pytest.raises(CommandError, match=re.escape(message)):
        _provision(*args, "--manager", "m@example.org")
    assert (Portal.objects.count(), get_user_model().objects.count()) == before


def test_provision_reports_every_problem_at_once(db: Any) -> None:
    with pytest.raises(CommandError) as exc:
        _provision("--country", "XX", "--languages", "klingon", "--manager", "nobody")
    message = str(exc.value)
    assert "ISO 3166" in message
    assert "languages must be among" in message
    assert "is not an e-mail address" in message


def test_provisioning_the_same_country_twice_is_refused(db: Any) -> None:
    _provision("--country", "BJ", "--languages", "fr", "--manager", "a@example.org")
    with pytest.raises(CommandError, match="already exists"):
        _provision("--country", "BJ", "--languages", "fr", "--manager", "b@example.org")


# --- network page ---------------------------------------------------------------------------
def _stats(page: str) -> dict[str, int]:
    found = re.findall(r'<span class="stat"><strong>(\d+)</strong>([^<]+)</span>', page)
    return {label.strip(): int(n) for n, label in found}


def test_network_page_counts_portals_by_status(db: Any) -> None:
    now = timezone.now()
    fresh = make_portal("bj", "BJ", status=PortalStatus.LIVE, hosts=["bj.testserver"])
    make_user(fresh, Role.PUBLISHING_AUTHORITY)
    stale = make_portal("sn", "SN", status=PortalStatus.LIVE)
    never = make_portal("ml", "ML", status=PortalStatus.LIVE)
    make_portal("pe", "PE", status=PortalStatus.PREPUBLISHED)
    make_portal("co", "CO", status=PortalStatus.PREPUBLISHED)
    make_portal("ec", "EC", status=PortalStatus.ARCHIVED)
    make_portal("chm", "", kind=PortalKind.CENTRAL, status=PortalStatus.LIVE)
    Portal.objects.filter(pk=fresh.pk).update(last_published_at=now - dt.timedelta(days=10))
    Portal.objects.filter(pk=stale.pk).update(last_published_at=now - dt.timedelta(days=400))
    assert never.last_published_at is None

    page = web("bj.testserver").get("/en/network/").content.decode()
    assert _stats(page) == {
        "national portals": 6,
        "live": 3,
        "pre-published": 2,
        "archived": 1,
        "live but not updated for a year": 2,
    }
    for code in ("bj", "sn", "ml", "pe", "co", "ec", "chm"):
        assert f"Portal {code}" in page
    for code, stale_badge in [("bj", False), ("sn", True), ("ml", True), ("pe", False)]:
        assert ('<span class="badge">stale</span>' in _row(page, code)) == stale_badge


def _row(page: str, code: str) -> str:
    row = re.search(rf"<tr><td>Portal {code}</td>.*?</tr>", page)
    assert row is not None
    return row.group(0)


def test_network_page_counts_public_records(benin: Any, jean: Any, amina: Any) -> None:
    published(benin, jean, "news")
    published(benin, jean, "event")
    draft(benin, amina, "resource")
    page = web("bj.testserver").get("/en/network/").content.decode()
    row = _row(page, "bj")
    assert "<td>2</td>" in row
    # Publishing makes the portal fresh.
    assert "stale" not in row
