"""Anonymous readers on slow links revalidate record pages instead of downloading them again,
and never see a stale page after a new revision is published."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.records import services
from tests.factories import valid_document
from tests.helpers import published, web

pytestmark = pytest.mark.django_db


def test_unchanged_page_answers_304_to_its_etag(benin: Any, jean: Any) -> None:
    record = published(benin, jean)
    client = web()
    first = client.get(f"/fr/r/{record.uid}/")
    assert first.status_code == 200
    etag = first["ETag"]
    again = client.get(f"/fr/r/{record.uid}/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""


def test_a_new_revision_changes_the_page_and_its_etag(benin: Any, jean: Any) -> None:
    record = published(benin, jean)
    client = web()
    before = client.get(f"/en/r/{record.uid}/")
    assert "Mangrove restoration guide" in before.content.decode()
    services.edit_published(record, jean)
    title = {"fr": "Guide révisé", "en": "Revised mangrove guide"}
    services.update_draft(record, jean, valid_document("resource", title=title))
    services.publish(record, jean)

    after = client.get(f"/en/r/{record.uid}/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert "Revised mangrove guide" in after.content.decode()


def test_each_language_has_its_own_page(benin: Any, jean: Any) -> None:
    record = published(benin, jean)
    client = web()
    english = client.get(f"/en/r/{record.uid}/")
    french = client.get(f"/fr/r/{record.uid}/", HTTP_IF_NONE_MATCH=english["ETag"])
    assert french.status_code == 200
    assert 'lang="fr"' in french.content.decode()


def test_deleted_record_is_gone_even_after_being_cached(benin: Any, jean: Any) -> None:
    record = published(benin, jean)
    client = web()
    assert client.get(f"/en/r/{record.uid}/").status_code == 200
    services.delete_record(record, jean)
    assert client.get(f"/en/r/{record.uid}/").status_code == 410


def test_signed_in_editors_get_the_live_page(benin: Any, jean: Any) -> None:
    record = published(benin, jean)
    page = web(user=jean).get(f"/en/r/{record.uid}/")
    assert page.status_code == 200
    assert "ETag" not in page
    assert "Request deletion" in page.content.decode()
