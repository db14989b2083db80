"""An index built by the earlier layout (before ``search_facet.published_at``; on SQLite, text
rows numbered 1, 2, 3 …) is copied into the current one by the migration's upgrade, in SQL,
and answers the same searches and facet counts as an index built fresh."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from clearinghouse.search import service
from clearinghouse.search.backends import SLOTS, get_backend

pytestmark = pytest.mark.django_db


def _answer(portal: Any) -> tuple[int, list[int], dict[str, dict[str, int]]]:
    results = service.search("biodiversity", portal, mode="lexical", page_size=50)
    facets = {f.name: {v.value: v.count for v in f.values} for f in results.facets}
    return results.total, sorted(h.record_id for h in results.hits), facets


def _to_earlier_layout() -> None:
    """Rewrite the live index as the earlier code laid it out."""
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE search_facet_old AS SELECT record_id, facet, value FROM search_facet"
        )
        cur.execute("DROP TABLE search_facet")
        cur.execute("ALTER TABLE search_facet_old RENAME TO search_facet")
        if connection.vendor == "sqlite":
            # Text rows were numbered in insertion order, the full-text rows sharing the ids.
            cur.execute(
                "CREATE TABLE search_text_old (id INTEGER PRIMARY KEY, record_id BIGINT NOT "
                "NULL, lang VARCHAR(8) NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL)"
            )
            cur.execute(
                "INSERT INTO search_text_old (record_id, lang, title, body) "
                "SELECT record_id, lang, title, body FROM search_text ORDER BY id DESC"
            )
            cur.execute(
                "CREATE VIRTUAL TABLE search_fts_old USING fts5(title, body, "
                "tokenize = 'unicode61 remove_diacritics 2')"
            )
            cur.execute(
                "INSERT INTO search_fts_old (rowid, title, body) SELECT o.id, f.title, f.body "
                "FROM search_text_old o JOIN search_text t ON t.record_id = o.record_id "
                "AND t.lang = o.lang JOIN search_fts f ON f.rowid = t.id"
            )
            cur.execute("DROP TABLE search_fts")
            cur.execute("DROP TABLE search_text")
            cur.execute("ALTER TABLE search_text_old RENAME TO search_text")
            cur.execute("ALTER TABLE search_fts_old RENAME TO search_fts")


def test_an_index_of_the_earlier_layout_is_upgraded_in_place(
    publish_corpus: Callable, central: Any
) -> None:
    publish_corpus()
    fresh = _answer(central)
    assert fresh[0] > 6

    backend = get_backend()
    _to_earlier_layout()
    assert backend.outdated()

    backend.upgrade()

    assert not backend.outdated()
    assert _answer(central) == fresh
    if connection.vendor == "sqlite":
        # Text ids name their record again (record id × slots + language slot).
        with connection.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM search_text WHERE id / {SLOTS} <> record_id")
            assert cur.fetchone()[0] == 0


def test_an_fts5_index_without_prefix_indexes_is_upgraded_by_the_migration(
    publish_corpus: Callable, central: Any
) -> None:
    """Migration 0005: the FTS5 table gains the prefix indexes the query stems use; the
    answers stay the same (prefix queries read the prefix index instead of merging words)."""
    from clearinghouse.search.backends import FTS_PREFIXES, upgrade_layout

    if connection.vendor != "sqlite":
        pytest.skip("FTS5 only")
    publish_corpus()
    fresh = _answer(central)
    stemmed = service.search("restauración", central, mode="lexical", page_size=50, expand=False)
    assert stemmed.total >= 1  # a prefix query ("restau"*)
    with connection.cursor() as cur:
        cur.execute(
            "CREATE VIRTUAL TABLE search_fts_old USING fts5(title, body, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
        cur.execute(
            "INSERT INTO search_fts_old (rowid, title, body) SELECT rowid, title, body FROM search_fts"
        )
        cur.execute("DROP TABLE search_fts")
        cur.execute("ALTER TABLE search_fts_old RENAME TO search_fts")
    backend = get_backend()
    assert backend.outdated()

    upgrade_layout()

    assert not backend.outdated()
    with connection.cursor() as cur:
        cur.execute("SELECT sql FROM sqlite_master WHERE name = 'search_fts'")
        assert f"prefix = '{FTS_PREFIXES}'" in cur.fetchone()[0]
    assert _answer(central) == fresh
    again = service.search("restauración", central, mode="lexical", page_size=50, expand=False)
    assert [h.record_id for h in again.hits] == [h.record_id for h in stemmed.hits]
