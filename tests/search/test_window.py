"""The ranking window: a query matching more documents than ``CLEARINGHOUSE_SEARCH_WINDOW``
ranks only its most recently indexed matches and estimates its total (so a common word among
millions of documents costs no more than a narrow query); below the window nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clearinghouse.search import service
from clearinghouse.search.backends import get_backend
from clearinghouse.search.text import parse_query
from tests.search import corpus

pytestmark = pytest.mark.django_db
HOST = {"HTTP_HOST": "central.testserver"}


def _ids(results: Any) -> list[int]:
    return [h.record_id for h in results.hits]


def test_below_the_window_ranking_and_total_are_exact(
    publish_corpus: Callable, central: Any, settings: Any
) -> None:
    publish_corpus()
    settings.CLEARINGHOUSE_SEARCH_WINDOW = 0  # rank every match
    everything = service.search("biodiversity", central, mode="lexical", page_size=100)
    settings.CLEARINGHOUSE_SEARCH_WINDOW = 5000
    windowed = service.search("biodiversity", central, mode="lexical", page_size=100)
    assert everything.total > 10
    assert _ids(windowed) == _ids(everything) and windowed.total == everything.total
    assert not windowed.total_estimated and not everything.total_estimated


def test_a_broad_query_ranks_the_newest_matches_and_estimates_its_total(
    publish_corpus: Callable, central: Any, settings: Any
) -> None:
    publish_corpus()
    settings.CLEARINGHOUSE_SEARCH_WINDOW = 0
    exact = service.search("biodiversity", central, mode="lexical", page_size=100, expand=False)
    matching = sorted(_ids(exact), reverse=True)
    assert len(matching) == exact.total > 12

    settings.CLEARINGHOUSE_SEARCH_WINDOW = 6  # documents
    broad = service.search("biodiversity", central, mode="lexical", page_size=100, expand=False)
    assert broad.total_estimated
    # Only the newest matching records were ranked (6 documents belong to at most 6 records).
    assert set(_ids(broad)) <= set(matching[:6]) and len(broad.hits) >= 1
    # The estimate is the right order of magnitude, and never less than what was ranked.
    assert len(broad.hits) <= broad.total and exact.total / 3 <= broad.total <= exact.total * 3
    # Facets stand for every match too: scaled and marked.
    assert broad.facets_approximate
    types = next(f for f in broad.facets if f.name == "type").values
    assert sum(v.count for v in types) > len(broad.hits)


def test_a_rare_word_is_never_windowed(
    publish_corpus: Callable, central: Any, settings: Any
) -> None:
    records = publish_corpus()
    settings.CLEARINGHOUSE_SEARCH_WINDOW = 6
    found = get_backend().match(parse_query("biodiversity"), None, 100)
    assert found.estimated
    # A word of one record only: at most six documents (one per language), ranked in full.
    settings.CLEARINGHOUSE_SEARCH_WINDOW = 0
    words = {w for r in records.values() for t in r.title.values() for w in t.split()}
    rare_words = [
        w
        for w in sorted(words)
        if w.isalpha() and get_backend().match(parse_query(w), None, 9).total == 1
    ]
    assert rare_words
    settings.CLEARINGHOUSE_SEARCH_WINDOW = 6
    for word in rare_words:
        rare = get_backend().match(parse_query(word), None, 100)
        assert not rare.estimated and rare.total == len(rare.hits) == 1, word


def test_the_window_keeps_a_national_portal_to_its_own_records(
    publish_corpus: Callable, settings: Any
) -> None:
    publish_corpus()
    portals = corpus.portals()
    national = next(p for code, p in portals.items() if code != "central")
    settings.CLEARINGHOUSE_SEARCH_WINDOW = 0
    exact = service.search("biodiversity", national, mode="lexical", page_size=100)
    settings.CLEARINGHOUSE_SEARCH_WINDOW = 2
    windowed = service.search("biodiversity", national, mode="lexical", page_size=100)
    assert exact.hits and windowed.hits
    assert {h.portal_id for h in windowed.hits} == {national.pk}
    assert set(_ids(windowed)) <= set(_ids(exact))


def test_the_page_and_the_api_say_the_total_is_an_estimate(
    publish_corpus: Callable, client: Any, settings: Any
) -> None:
    publish_corpus()
    exact = client.get("/api/search?q=biodiversity&mode=lexical", **HOST).json()
    assert exact["total_estimated"] is False
    page = client.get("/en/search?q=biodiversity&mode=lexical", **HOST).content.decode()
    assert "about " not in page

    settings.CLEARINGHOUSE_SEARCH_WINDOW = 6
    broad = client.get("/api/search?q=biodiversity&mode=lexical", **HOST).json()
    assert broad["total_estimated"] is True and broad["total"] >= len(broad["results"])
    page = client.get("/en/search?q=biodiversity&mode=lexical", **HOST).content.decode()
    assert f"about {broad['total']} records found" in page
    assert "only the most recently indexed matches are ranked" in page
    fr = client.get("/fr/search?q=biodiversity&mode=lexical", **HOST).content.decode()
    assert "about " not in fr  # translated (the catalogue is compiled by make messages)


def test_the_window_ranking_agrees_with_fts5_bm25(publish_corpus: Callable, settings: Any) -> None:
    """The window's own BM25 (statistics from the window's documents) orders documents
    nearly as FTS5's bm25() does over the whole index."""
    from django.db import connection

    from clearinghouse.search.backends import SQLiteBackend

    if connection.vendor != "sqlite":
        pytest.skip("FTS5 only")
    publish_corpus()
    for q in ("biodiversity", "restauración ecosistemas", "保护"):
        parsed = parse_query(q)
        with connection.cursor() as cur:
            cur.execute(
                "SELECT rowid FROM search_fts WHERE search_fts MATCH %s "
                "ORDER BY bm25(search_fts, 4.0, 1.0), rowid DESC",
                [SQLiteBackend.expression(parsed)],
            )
            fts5 = [r[0] for r in cur.fetchall()]
        assert len(fts5) >= 4, q
        scored = SQLiteBackend().window_scores(parsed, False, fts5)
        ours = [r for r, _s in sorted(scored, key=lambda x: (-x[1], -x[0]))]
        assert sorted(ours) == sorted(fts5)  # the same documents
        top = max(3, len(fts5) // 4)
        shared = len(set(ours[:top]) & set(fts5[:top]))
        assert shared >= 0.6 * top, (q, ours[:top], fts5[:top])


def test_postgresql_ranks_a_common_word_within_the_newest_documents(
    publish_corpus: Callable, central: Any, settings: Any, monkeypatch: Any
) -> None:
    """PostgreSQL bounds the walk to the newest PG_SCAN documents: a word matching at least
    PG_SAMPLE_MIN of them is ranked there, with a total extrapolated from that share."""
    from django.db import connection

    from clearinghouse.search import backends

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    publish_corpus()
    settings.CLEARINGHOUSE_SEARCH_WINDOW = 0
    exact = service.search("biodiversity", central, mode="lexical", page_size=100, expand=False)
    settings.CLEARINGHOUSE_SEARCH_WINDOW = 5000
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM search_text")
        documents = cur.fetchone()[0]
        cur.execute(f"SELECT record_id FROM search_text ORDER BY id DESC LIMIT {documents // 2}")
        newest = {r[0] for r in cur.fetchall()}
    monkeypatch.setattr(backends, "PG_SCAN", documents // 2)
    monkeypatch.setattr(backends, "PG_SAMPLE_MIN", 3)
    sampled = service.search("biodiversity", central, mode="lexical", page_size=100, expand=False)
    assert sampled.total_estimated
    assert set(_ids(sampled)) <= newest & set(_ids(exact)) and sampled.hits
    assert exact.total / 3 <= sampled.total <= exact.total * 3
    # A word of fewer matches among them is ranked in full, from the GIN index.
    monkeypatch.setattr(backends, "PG_SAMPLE_MIN", 10_000)
    full = service.search("biodiversity", central, mode="lexical", page_size=100, expand=False)
    assert not full.total_estimated and _ids(full) == _ids(exact)
