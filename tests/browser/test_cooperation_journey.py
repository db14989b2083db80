"""A request for technical assistance in a real browser, from Carlos's draft to a match.

Carlos (Peru's portal, Spanish interface) drafts a request for technical assistance on
invasive species (GBF Target 6) through the record form and submits it to the helpdesk; the
helpdesk (central portal) validates it; Carlos sees the ranked providers with their reasons
(the Chilean institute working in Spanish first, the Spanish university network among them);
the helpdesk confirms the match and both sides are e-mailed. Screenshots go to test-artifacts/.

Portals by host name: ``localhost`` is Peru's portal, ``127.0.0.1`` the central portal (the
default, where provider profiles are published and the helpdesk works).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from clearinghouse.cooperation import services
from clearinghouse.portals.models import Membership, PortalKind, Role
from clearinghouse.records import services as record_services
from clearinghouse.workflows.models import Request
from tests.factories import PASSWORD, make_portal, make_user, valid_document

pytestmark = pytest.mark.browser

TITLE = "Control de especies exóticas invasoras en los humedales de Puno"
PROBLEM = (
    "La rana toro y la trucha arcoíris amenazan a las especies nativas del lago Titicaca. "
    "Necesitamos capacitación técnica para el control y la erradicación de especies invasoras."
)
TIMEOUT_MS = 10_000


def _profile(central: Any, username: str, **changes: Any) -> Any:
    user = make_user(username=username)
    Membership.objects.create(portal=central, user=user, role=Role.CONTRIBUTOR)
    record = record_services.create_draft(
        central, user, "bbiProfile", valid_document("bbiProfile", **changes)
    )
    record_services._publish_now(record, user)
    record.refresh_from_db()
    return record


@pytest.fixture
def sites(live_server: Any, vocab: None) -> dict[str, Any]:
    peru = make_portal("pe", "PE", hosts=["localhost"], languages=["es", "en"])
    central = make_portal(
        "central",
        hosts=["127.0.0.1"],
        kind=PortalKind.CENTRAL,
        languages=["en", "fr", "es", "ar", "ru", "zh"],
        is_default=True,
    )
    make_user(peru, Role.AUTHORIZED_USER, username="carlos")
    make_user(central, Role.SECRETARIAT, username="laila")
    chile = _profile(
        central,
        "ieb",
        header={"languages": ["es"]},
        title={"es": "Instituto de Ecología y Biodiversidad"},
        organization="Instituto de Ecología y Biodiversidad",
        country={"identifier": "cl"},
        coverageRegions=[{"identifier": "m49-419"}],
        expertise={
            "es": "Control y erradicación de especies exóticas invasoras en islas y "
            "humedales; capacitación de guardaparques."
        },
        operationalLanguages=[{"identifier": "LANG-ES"}],
        gbfTargets=[{"identifier": "GBF-TARGET-06"}],
        cbdSubjects=[{"identifier": "CBD-SUBJECT-IAS"}],
        completedAssignments=6,
        emails=["contacto@ieb.example.cl"],
    )
    spain = _profile(
        central,
        "redunis",
        header={"languages": ["es"]},
        title={"es": "Red de Universidades por la Biodiversidad"},
        organization="Red de Universidades por la Biodiversidad",
        country={"identifier": "es"},
        coverageRegions=[],
        expertise={"es": "Formación universitaria en conservación y gestión de ecosistemas."},
        operationalLanguages=[{"identifier": "LANG-ES"}, {"identifier": "LANG-EN"}],
        gbfTargets=[{"identifier": "GBF-TARGET-03"}],
        emails=["secretaria@redunis.example.es"],
    )
    base = live_server.url
    assert base.startswith("http://localhost:"), base
    return {
        "peru": base,
        "central": base.replace("localhost", "127.0.0.1", 1),
        "chile": chile,
        "spain": spain,
    }


def _new_page(browser: Any, locale: str) -> Any:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale=locale)
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def _log_in(page: Any, base: str, lang: str, username: str) -> None:
    page.goto(f"{base}/{lang}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/{lang}/editor/")


def _wait_for_mail(count: int) -> None:
    """The live server sends after its commit, in its own thread: give it a moment."""
    deadline = time.monotonic() + 5
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def test_request_assistance_rank_and_match(
    browser: Any, sites: dict[str, Any], artifacts: Path
) -> None:
    from playwright.sync_api import expect

    started = time.monotonic()
    peru, central = sites["peru"], sites["central"]

    # -- Carlos drafts his request in Spanish through the record form. -----------------
    carlos = _new_page(browser, "es-PE")
    _log_in(carlos, peru, "es", "carlos")
    carlos.goto(f"{peru}/es/editor/new/bbiRequest/?languages=es")
    expect(carlos.locator("html")).to_have_attribute("lang", "es")
    carlos.fill("#id_title__es", TITLE)
    carlos.fill("#id_problem__es", PROBLEM)
    carlos.select_option("#id_country", "pe")
    carlos.select_option("#id_assistanceTypes", ["AT-TRAINING"])
    carlos.select_option("#id_workingLanguages", ["LANG-ES"])
    carlos.select_option("#id_gbfTargets", ["GBF-TARGET-06"])
    carlos.select_option("#id_cbdSubjects", ["CBD-SUBJECT-IAS"])
    carlos.select_option("#id_beneficiaryTypes", ["BT-GOVERNMENT"])
    carlos.locator("button[name=action][value=save]").click()
    carlos.wait_for_url(re.compile(r"/es/editor/drafts/[^/]+/$"))
    expect(carlos.locator("[aria-invalid=true]")).to_have_count(0)

    # ...and submits it to the helpdesk from the cooperation page.
    carlos.goto(f"{peru}/es/cooperation/")
    ready = carlos.locator("main li", has_text=TITLE)
    ready.locator("form[action*='/cooperation/submit/'] button").click()
    carlos.wait_for_url(re.compile(r"/es/cooperation/requests/\d+/$"))
    item = Request.objects.get(kind=services.KIND)
    assert item.state == services.SUBMITTED
    assert item.portal.code == "central"  # the helpdesk's queue
    assert item.data["document"]["gbfTargets"] == [{"identifier": "GBF-TARGET-06"}]
    expect(carlos.locator("h1")).to_have_text(TITLE)

    # -- The helpdesk validates it. ----------------------------------------------------
    laila = _new_page(browser, "en-GB")
    _log_in(laila, central, "en", "laila")
    laila.goto(f"{central}/en/cooperation/")
    laila.locator("main table tr", has_text=TITLE).get_by_role("link", name=str(item.pk)).click()
    laila.wait_for_url(f"{central}/en/cooperation/requests/{item.pk}/")
    laila.locator("button[name=action][value=validate]").click()
    laila.wait_for_url(f"{central}/en/cooperation/requests/{item.pk}/")
    item.refresh_from_db()
    assert item.state == services.VALIDATED

    # -- Carlos sees the ranked providers, each with its reasons. -----------------------
    carlos.reload()
    ranked = carlos.locator("ol.suggestions > li")
    expect(ranked).to_have_count(2)
    expect(ranked.nth(0).locator("h3")).to_contain_text("Instituto de Ecología y Biodiversidad")
    expect(ranked.nth(1).locator("h3")).to_contain_text("Red de Universidades por la Biodiversidad")
    first = ranked.nth(0)
    expect(first.locator("tbody tr")).to_have_count(6)  # one reason per score component
    expect(first).to_contain_text("Meta 6")  # the GBF target, named in Spanish
    expect(first.locator("form[action$='/confirm/']")).to_have_count(0)  # not his to confirm
    carlos.screenshot(path=str(artifacts / "coop-1-ranked-providers-es.png"), full_page=True)

    # -- The helpdesk confirms the Chilean institute; both sides are e-mailed. ----------
    mail.outbox.clear()
    laila.reload()
    top = laila.locator("ol.suggestions > li").first
    expect(top.locator("h3")).to_contain_text("Instituto de Ecología y Biodiversidad")
    top.locator("form[action$='/confirm/'] button").click()
    laila.wait_for_url(f"{central}/en/cooperation/requests/{item.pk}/")
    expect(laila.locator("main")).to_contain_text("Instituto de Ecología y Biodiversidad")
    item.refresh_from_db()
    assert item.state == services.MATCHED
    assert item.data["match"]["profile"] == sites["chile"].uid
    laila.screenshot(path=str(artifacts / "coop-2-match-confirmed-en.png"), full_page=True)

    _wait_for_mail(2)
    recipients = {tuple(sorted(m.to)): m for m in mail.outbox}
    assert ("carlos@example.org",) in recipients, recipients
    assert ("contacto@ieb.example.cl", "ieb@example.org") in recipients, recipients
    to_carlos = recipients[("carlos@example.org",)]
    assert TITLE in to_carlos.subject
    assert "Instituto de Ecología y Biodiversidad" in to_carlos.body
    assert f"/cooperation/requests/{item.pk}/" in to_carlos.body
    assert len(mail.outbox) == 2

    # Carlos's page now shows the matched provider and the next step.
    carlos.reload()
    expect(carlos.locator("main")).to_contain_text("Instituto de Ecología y Biodiversidad")
    expect(carlos.locator("button[name=action][value=agree]")).to_have_count(1)
    carlos.context.close()
    laila.context.close()

    # -- Anyone can read the figures: two providers, one request, matched. ---------------
    visitor = _new_page(browser, "es-ES")
    visitor.goto(f"{central}/es/cooperation/dashboard/")
    expect(visitor.locator("#providers-total")).to_have_text("2")
    expect(visitor.locator("#requests-total")).to_have_text("1")
    expect(visitor.locator("#match-rate")).to_have_text("100 %")
    expect(visitor.locator("main")).to_contain_text("Meta 6")
    visitor.screenshot(path=str(artifacts / "coop-3-dashboard-es.png"), full_page=True)
    visitor.context.close()
    assert time.monotonic() - started < 60
