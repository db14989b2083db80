"""The vocabulary picker filter in a real browser: typing a country's Russian name in a French
form leaves the country (labelled in French) among the visible options."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.portals.models import Role
from clearinghouse.vocabularies.models import Concept
from tests.factories import PASSWORD, make_portal, make_user

pytestmark = pytest.mark.browser

VISIBLE = "s => Array.from(s.options).filter(o => !o.hidden).map(o => o.value)"


def test_filter_box_finds_labels_in_any_language(
    live_server: Any, vocab: None, browser: Any, artifacts: Any
) -> None:
    benin = make_portal("bj", "BJ", hosts=["localhost"], languages=["fr", "en"])
    make_user(benin, Role.AUTHORIZED_USER, username="amina")
    country = next(
        c
        for c in Concept.objects.filter(scheme__identifier="countries")
        if c.pref_labels.get("en") == "Benin"
    )
    base = live_server.url
    context = browser.new_context(locale="fr-FR")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{base}/fr/accounts/login/")
    page.fill("input[name=username]", "amina")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/fr/editor/")
    page.goto(f"{base}/fr/editor/new/resource/?languages=fr")
    select = page.locator("select[multiple][data-vocab=countries]").first
    box = page.locator("input.vocab-filter").first
    assert box.is_visible()
    total = len(select.evaluate(VISIBLE))
    assert total > 100
    box.fill("Бенин")  # Russian: matches on the server only
    page.wait_for_function(
        "id => Array.from(document.querySelector('select[data-vocab=countries]').options)"
        ".some(o => o.value === id && !o.hidden)",
        arg=country.identifier,
    )
    visible = select.evaluate(VISIBLE)
    assert country.identifier in visible and len(visible) < 5
    box.fill("")
    assert len(select.evaluate(VISIBLE)) == total
    page.screenshot(path=str(artifacts / "vocab-picker.png"))
    context.close()
