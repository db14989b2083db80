"""Related records on record pages: shared concepts and closest in meaning, at most 5."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from clearinghouse.records import services
from clearinghouse.search import related, semantic

pytestmark = pytest.mark.django_db


def test_related_by_shared_target_across_languages(publish_corpus: Callable) -> None:
    records = publish_corpus("r01", "r02", "r03", "r04", "r05", "r06", "r07", "r11")
    found = related.find(records["r03"].pk, None, "en")
    assert 0 < len(found) <= 5
    ids = [r.record_id for r in found]
    assert records["r03"].pk not in ids
    assert len(set(ids)) == len(ids)
    restoration = {records[k].pk for k in ("r01", "r02", "r04", "r05", "r06")}
    assert sum(1 for i in ids if i in restoration) >= 3
    assert any(r.reason.startswith("same GBF target: ") for r in found), [
        (r.reason, r.score) for r in found
    ]


def test_related_is_a_fixed_number_of_queries(
    publish_corpus: Callable, django_assert_max_num_queries: Any
) -> None:
    records = publish_corpus("r01", "r02", "r03", "r04", "r05", "r06", "r07")
    related.find(records["r07"].pk, None, "en")  # vocabulary and vectors loaded
    with django_assert_max_num_queries(4):
        assert len(related.find(records["r01"].pk, None, "en")) == 5


def test_related_degrades_to_concepts_without_model(
    publish_corpus: Callable, monkeypatch: Any
) -> None:
    records = publish_corpus("r01", "r02", "r07")
    monkeypatch.setattr(semantic, "available", lambda: False)
    found = related.find(records["r01"].pk, None, "en")
    assert [r.record_id for r in found] == [records["r02"].pk]
    assert found[0].reason.startswith("same GBF target: ")


def test_deleted_records_are_not_related(
    publish_corpus: Callable, django_capture_on_commit_callbacks: Any
) -> None:
    records = publish_corpus("r01", "r02", "r05")
    publisher = get_user_model().objects.get(username="corpus-publisher")
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_record(records["r02"], publisher)
    ids = [r.record_id for r in related.find(records["r01"].pk, None, "en")]
    assert records["r02"].pk not in ids and records["r05"].pk in ids


def test_record_page_lists_related(
    publish_corpus: Callable, client: Any, django_assert_max_num_queries: Any
) -> None:
    records = publish_corpus("r03", "r07", "r01", "r02")
    client.get(f"/en/r/{records['r07'].uid}/", HTTP_HOST="central.testserver")  # warm caches
    # the page's own (vocabulary labels of this record included) + savepoint 2 + related 4
    # (facets, concept rows, vector stamp, titles) + hosts 2
    with django_assert_max_num_queries(16):
        resp = client.get(f"/en/r/{records['r03'].uid}/", HTTP_HOST="central.testserver")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "Related records" in html
    assert "same GBF target" in html or "closest in meaning" in html
    assert "bj.testserver" in html  # r01 lives on the Benin portal


def test_related_records_in_the_json_api(
    publish_corpus: Callable, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    records = publish_corpus("r03", "r07", "r01", "r02", "r05", "r11")
    host = {"HTTP_HOST": "central.testserver"}
    resp = client.get(f"/api/records/{records['r03'].uid}/related", **host)
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["uid"] == records["r03"].uid
    found = body["results"]
    uids = [r["uid"] for r in found]
    assert 0 < len(found) <= 5 and records["r03"].uid not in uids
    scores = [r["score"] for r in found]
    assert scores == sorted(scores, reverse=True)
    assert all(r["reason"] for r in found)
    by_uid = {r["uid"]: r for r in found}
    assert by_uid[records["r01"].uid]["reason"].startswith("same GBF target: ")
    # Absolute links: a record of another portal on that portal's host.
    assert by_uid[records["r01"].uid]["url"] == f"https://bj.testserver/en/r/{records['r01'].uid}/"
    # The reader's language (Accept-Language) for titles and reasons.
    fr = client.get(
        f"/api/records/{records['r03'].uid}/related", HTTP_ACCEPT_LANGUAGE="fr", **host
    ).json()["results"]
    assert any(r["title"].startswith("Guide de restauration des mangroves") for r in fr)

    limited = client.get(f"/api/records/{records['r03'].uid}/related?limit=1", **host).json()
    assert [r["uid"] for r in limited["results"]] == uids[:1]

    # Deleted and unknown records: 404 with a message; a deleted one is never related.
    publisher = get_user_model().objects.get(username="corpus-publisher")
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_record(records["r01"], publisher)
    gone = client.get(f"/api/records/{records['r01'].uid}/related", **host)
    assert gone.status_code == 404 and records["r01"].uid in gone.json()["detail"]
    assert client.get("/api/records/xx-000000000000/related", **host).status_code == 404
    again = client.get(f"/api/records/{records['r03'].uid}/related", **host).json()
    assert records["r01"].uid not in [r["uid"] for r in again["results"]]

    # A national portal relates only its own records.
    bj = client.get(f"/api/records/{records['r03'].uid}/related", HTTP_HOST="bj.testserver")
    assert bj.status_code == 404  # r03 lives on the central portal

    spec = client.get("/api/openapi.json", **host).json()
    operation = spec["paths"]["/api/records/{uid}/related"]["get"]
    assert set(operation["responses"]) == {"200", "404"}
