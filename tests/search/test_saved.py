"""Saved searches: save from the search page, list and delete, e-mail alerts (idempotent)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command

from clearinghouse.search.models import SavedSearch

pytestmark = pytest.mark.django_db
CENTRAL = {"HTTP_HOST": "central.testserver"}


@pytest.fixture
def reader(db: Any) -> Any:
    return get_user_model().objects.create_user("reader", "reader@example.org", "pw")


def test_save_list_delete(client: Any, central: Any, reader: Any) -> None:
    assert client.post("/en/search/save", {"q": "forest"}, **CENTRAL).status_code == 302
    assert not SavedSearch.objects.exists()  # anonymous: sent to sign in
    client.force_login(reader)
    resp = client.post(
        "/en/search/save", {"q": "restoration", "target": "GBF-TARGET-02"}, **CENTRAL
    )
    assert resp.status_code == 302
    saved = SavedSearch.objects.get()
    assert (saved.query, saved.filters, saved.language) == (
        "restoration",
        {"target": ["GBF-TARGET-02"]},
        "en",
    )
    page = client.get("/en/search/saved/", **CENTRAL).content.decode()
    assert "restoration" in page
    client.post(f"/en/search/saved/{saved.pk}/delete", **CENTRAL)
    assert not SavedSearch.objects.exists()


def test_alerts_send_new_matches_once(
    publish_corpus: Callable, central: Any, reader: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    publish_corpus("r01")
    SavedSearch.objects.create(user=reader, portal=central, query="restoration", language="en")
    call_command("send_search_alerts")
    assert mail.outbox == []  # r01 was published before the search was saved
    records = publish_corpus("r02", "r07")
    call_command("send_search_alerts")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert records["r02"].uid in body and records["r07"].uid not in body
    assert mail.outbox[0].to == ["reader@example.org"]
    call_command("send_search_alerts")
    assert len(mail.outbox) == 1  # idempotent: nothing new since the last alert
    assert SavedSearch.objects.get().last_alert_at is not None


def _follow(client: Any, url: str, method: str = "get") -> Any:
    """Follow an absolute link from an e-mail with the test client (host and scheme kept)."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return getattr(client, method)(path, HTTP_HOST=parts.netloc, secure=parts.scheme == "https")


def test_alert_links_work_without_logging_in(
    publish_corpus: Callable, central: Any, reader: Any, client: Any
) -> None:
    saved = SavedSearch.objects.create(
        user=reader, portal=central, query="restauration", language="fr"
    )
    records = publish_corpus("r01", "r02", "r03")
    call_command("send_search_alerts")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    # In the subscriber's language (the saved search's).
    assert message.subject.startswith("Nouvelles fiches pour votre recherche")
    body = message.body
    links = re.findall(r"https?://\S+", body)
    record_links = {u for u in links if "/r/" in u}
    # Each new record links to its own portal's host, in the subscriber's language.
    assert f"https://bj.testserver/fr/r/{records['r01'].uid}/" in record_links
    assert f"https://pe.testserver/fr/r/{records['r02'].uid}/" in record_links
    assert f"https://central.testserver/fr/r/{records['r03'].uid}/" in record_links
    for url in record_links:
        page = _follow(client, url)
        assert page.status_code == 200, url
    page = _follow(client, f"https://bj.testserver/fr/r/{records['r01'].uid}/")
    assert "mangroves" in page.content.decode()

    search_link = next(u for u in links if "/search?" in u)
    assert search_link.startswith("https://central.testserver/fr/search?q=restauration")
    results = _follow(client, search_link).content.decode()
    assert records["r02"].uid in results and records["r01"].uid in results

    # The unsubscribe link: in the body, in the List-Unsubscribe header, works signed out.
    unsubscribe = next(u for u in links if "/unsubscribe/" in u)
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    assert "/unsubscribe/" in message.alternatives[0][0]  # the HTML part too
    confirm = _follow(client, unsubscribe)
    assert confirm.status_code == 200 and "restauration" in confirm.content.decode()
    assert SavedSearch.objects.filter(pk=saved.pk).exists()  # GET changes nothing
    done = _follow(client, unsubscribe, "post")
    assert done.status_code == 200
    assert not SavedSearch.objects.filter(pk=saved.pk).exists()
    assert _follow(client, unsubscribe, "post").status_code == 404  # already gone


def test_unsubscribe_tokens_cannot_be_forged(central: Any, reader: Any, client: Any) -> None:
    from clearinghouse.search import alerts

    mine = SavedSearch.objects.create(user=reader, portal=central, query="forest")
    other_user = get_user_model().objects.create_user("other", "o@example.org", "pw")
    theirs = SavedSearch.objects.create(user=other_user, portal=central, query="coral")
    token = alerts.unsubscribe_token(mine)
    forged = token.replace(token.split(":")[0], alerts.unsubscribe_token(theirs).split(":")[0])
    for bad in (forged, token[:-2] + "xx", "nonsense"):
        resp = client.post(f"/en/search/unsubscribe/{bad}/", **CENTRAL)
        assert resp.status_code == 404
    assert SavedSearch.objects.count() == 2


def test_hybrid_saved_search_also_alerts_records_close_in_meaning(
    publish_corpus: Callable, central: Any, reader: Any, client: Any
) -> None:
    from clearinghouse.search import semantic

    if not semantic.available():
        pytest.skip("the sentence encoder is not installed")
    client.force_login(reader)
    client.post("/en/search/save", {"q": "wetland rehabilitation", "mode": "hybrid"}, **CENTRAL)
    saved = SavedSearch.objects.get()
    assert saved.mode == "hybrid"
    records = publish_corpus("r04", "r05", "r11")  # Russian peatlands, Chinese wetlands
    call_command("send_search_alerts")
    body = mail.outbox[0].body
    assert records["r05"].uid in body or records["r04"].uid in body
    assert records["r11"].uid not in body  # invasive species on islands: not close
