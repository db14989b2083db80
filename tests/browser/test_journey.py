"""The publication journey in a real browser, in French, then read in Arabic and Chinese.

An authorized user drafts a library resource through the form, meets a validation error
next to the field she forgot, fixes it and requests publication; the publishing authority
approves it from the review queue; an anonymous visitor finds the record on the public
portal and switches to Arabic, where the page is right-to-left and the French title is shown
with a note saying so. Screenshots go to test-artifacts/.

The portal is chosen by host name: the live server answers on ``localhost`` (Benin's portal)
and on ``127.0.0.1`` (the central portal, also the default).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.portals.models import PortalKind, Role
from clearinghouse.records.models import Record
from clearinghouse.workflows.models import Request
from tests.factories import PASSWORD, make_portal, make_user

pytestmark = pytest.mark.browser

TITLE = "Guide de restauration des zones humides du Bénin"
NOTE = "Nouveau guide pour l'atelier national de juin."
TIMEOUT_MS = 10_000


@pytest.fixture
def sites(live_server: Any, vocab: None) -> dict[str, str]:
    benin = make_portal("bj", "BJ", hosts=["localhost"], languages=["fr", "en"])
    central = make_portal(
        "central",
        hosts=["127.0.0.1"],
        kind=PortalKind.CENTRAL,
        languages=["en", "fr", "es", "ar", "ru", "zh"],
        is_default=True,
    )
    central.name = {"en": "Clearing-House Mechanism", "zh": "信息交换所机制 — 中央门户"}
    central.save()
    make_user(benin, Role.AUTHORIZED_USER, username="amina")
    make_user(benin, Role.PUBLISHING_AUTHORITY, username="jean")
    base = live_server.url
    assert base.startswith("http://localhost:"), base
    return {"benin": base, "central": base.replace("localhost", "127.0.0.1", 1)}


def _new_page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    return context.new_page()


def _log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/fr/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/fr/editor/")


def _messages(page: Any) -> str:
    return page.locator("ul.messages").inner_text()


def test_draft_review_publish_and_read_in_arabic(
    browser: Any, sites: dict[str, str], artifacts: Path
) -> None:
    from playwright.sync_api import expect

    base = sites["benin"]

    # -- Amina drafts a library resource in French and forgets the authors. -----------
    amina = _new_page(browser)
    _log_in(amina, base, "amina")
    amina.goto(f"{base}/fr/editor/new/resource/?languages=fr")
    expect(amina.locator("h1")).to_contain_text("Ressource documentaire")
    amina.fill("#id_title__fr", TITLE)
    amina.select_option("#id_resourceTypes", ["RT-GUIDANCE"])
    amina.fill("#id_organizations", "Ministère du Cadre de Vie et du Développement durable")
    amina.fill("#id_publicationDate", "2025-06-05")
    amina.fill("#id_resourceLinks", "https://example.org/bj/zones-humides.pdf")
    amina.fill(
        "#id_summary__fr",
        "Méthodes de restauration des zones humides côtières, avec le suivi de la "
        "régénération et la participation des communautés.",
    )
    amina.select_option("#id_cbdSubjects", ["CBD-SUBJECT-RESTORATION"])
    amina.select_option("#id_gbfTargets", ["GBF-TARGET-02"])
    amina.get_by_role("button", name="Demander la publication").click()

    # The draft is kept; the missing field is marked where it is, in French.
    amina.wait_for_url(re.compile(r"/fr/editor/drafts/[^/]+/\?check=1$"))
    assert "ne peut pas encore être publié" in _messages(amina)
    authors = amina.locator("#id_authors")
    expect(authors).to_have_attribute("aria-invalid", "true")
    expect(authors).to_have_attribute("aria-describedby", "id_authors-err")
    field = amina.locator("form.record .field", has=authors)
    expect(field.locator("label")).to_have_text("Auteurs *")
    expect(field.locator("#id_authors-err")).to_have_text("Ce champ est obligatoire.")
    expect(amina.locator("[aria-invalid=true]")).to_have_count(1)
    expect(amina.locator("#id_title__fr")).to_have_value(TITLE)
    amina.screenshot(path=str(artifacts / "1-validation-error-fr.png"), full_page=True)

    # She fixes it and requests publication with a note.
    authors.fill("Direction générale des Eaux, Forêts et Chasse")
    amina.fill("#id_note", NOTE)
    amina.get_by_role("button", name="Demander la publication").click()
    amina.wait_for_url(f"{base}/fr/editor/")
    assert "Publication demandée" in _messages(amina)
    expect(amina.locator("tbody tr").last).to_contain_text("en attente")
    request = Request.objects.get(state="pending")
    assert request.note == NOTE
    amina.context.close()

    # -- Jean approves the request from the review queue. -----------------------------
    jean = _new_page(browser)
    _log_in(jean, base, "jean")
    jean.goto(f"{base}/fr/editor/reviews/")
    expect(jean.locator("h1")).to_have_text("File d\u2019examen")
    row = jean.locator("tbody tr", has_text=TITLE)
    expect(row).to_contain_text(NOTE)
    expect(row).to_contain_text("amina")
    row.get_by_role("link", name=TITLE).click()
    jean.wait_for_url(f"{base}/fr/editor/requests/{request.pk}/")
    expect(jean.locator("h1")).to_have_text(TITLE)
    expect(jean.locator("main")).to_contain_text(NOTE)
    expect(jean.locator("main .meta").first).to_contain_text("publication")
    expect(jean.locator("main ol")).to_contain_text("amina · demande → en attente")
    jean.screenshot(path=str(artifacts / "2-review-request-fr.png"), full_page=True)
    jean.get_by_role("button", name="Approuver").click()
    jean.wait_for_url(f"{base}/fr/editor/reviews/")
    assert "Effectué" in _messages(jean) and "approbation" in _messages(jean)
    expect(jean.locator("main")).to_contain_text("Rien à examiner.")
    jean.context.close()

    record = Record.objects.get(published__isnull=False)
    assert record.title == {"fr": TITLE}

    # -- An anonymous visitor finds the record in French... ---------------------------
    visitor = _new_page(browser)
    visitor.goto(f"{base}/fr/")
    expect(visitor.locator("html")).to_have_attribute("lang", "fr")
    expect(visitor.locator("#latest-h")).to_have_text("Dernières publications")
    visitor.get_by_role("link", name="Ressources documentaires").click()
    visitor.wait_for_url(f"{base}/fr/records/resource/")
    expect(visitor.locator("main .meta").first).to_contain_text("1 fiche")
    visitor.get_by_role("link", name=TITLE).click()
    visitor.wait_for_url(f"{base}/fr/r/{record.uid}/")
    expect(visitor.locator("h1")).to_have_text(TITLE)
    expect(visitor.locator("main")).to_contain_text("Auteurs")
    expect(visitor.locator("p.fallback")).to_have_count(0)

    # ...then reads it in Arabic: right to left, French title, and a note saying so.
    visitor.locator("nav.langs a[hreflang=ar]").click()
    visitor.wait_for_url(f"{base}/ar/r/{record.uid}/")
    html = visitor.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    assert visitor.evaluate("getComputedStyle(document.body).direction") == "rtl"
    title = visitor.locator("h1")
    expect(title).to_have_text(TITLE)
    expect(title).to_have_attribute("lang", "fr")
    note = visitor.locator("p.fallback")
    expect(note).to_be_visible()
    expect(note).to_contain_text("هذا السجل غير متاح بلغتك")
    expect(note).to_contain_text("الفرنسية")  # the language's name, not its code
    expect(visitor.locator("nav.main")).to_contain_text("الصفحة الرئيسية")
    visitor.screenshot(path=str(artifacts / "3-record-ar.png"), full_page=True)

    # Chinese: the same record, and the central portal (another host) in its own name.
    visitor.locator("nav.langs a[hreflang=zh]").click()
    visitor.wait_for_url(f"{base}/zh/r/{record.uid}/")
    expect(visitor.locator("html")).to_have_attribute("dir", "ltr")
    expect(visitor.locator("p.fallback")).to_contain_text("现以法语显示")
    visitor.screenshot(path=str(artifacts / "4-record-zh.png"), full_page=True)
    visitor.goto(f"{sites['central']}/zh/")
    expect(visitor.locator("h1")).to_have_text("信息交换所机制 — 中央门户")
    expect(visitor.locator("main")).to_contain_text("尚未发布任何内容。")
    expect(visitor.get_by_role("link", name=TITLE)).to_have_count(0)
    visitor.screenshot(path=str(artifacts / "5-central-home-zh.png"), full_page=True)
    visitor.context.close()
