"""Saved searches: save from the search page, list and delete, e-mail alerts (idempotent)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
