"""The two lexical index backends: SQLite FTS5 and PostgreSQL full-text search.

Both keep three tables, created and swapped by the backend itself (not by Django models, so a
full rebuild can fill a shadow copy and swap it in one transaction):

- ``search_record`` — one row per indexed record (portal, type, date, titles);
- ``search_facet`` — (record, facet, value) rows: type, portal, country, region, target, …;
- ``search_text`` — one row per record and language: raw title and body for snippets, plus the
  full-text index: an FTS5 table ``search_fts`` over the folded text (SQLite), or a ``tsvector``
  column with a GIN index (PostgreSQL, one text-search configuration per language).

The shadow copy carries the suffix ``_new``. While it exists, incremental updates are written
to both copies, so a rebuild that runs for hours misses nothing.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, transaction

from clearinghouse.search.documents import Entry
from clearinghouse.search.text import ParsedQuery, fold, stem

LIVE = ""
SHADOW = "_new"
PG_CONFIGS = {
    "en": "english",
    "fr": "french",
    "es": "spanish",
    "ru": "russian",
    "ar": "simple",
    "zh": "simple",
}
Hit = tuple[int, float]  # (record id, score: higher is better)


def _in(ids: Sequence[int]) -> str:
    return ",".join(str(int(i)) for i in ids) or "NULL"


class Backend:
    vendor = ""

    # --- schema ---------------------------------------------------------------------------
    def table_exists(self, name: str) -> bool:
        return name in connection.introspection.table_names(include_views=False)

    def suffixes(self) -> list[str]:
        """Copies that receive writes: the live one and the shadow while a rebuild runs."""
        tables = set(connection.introspection.table_names(include_views=False))
        return [s for s in (LIVE, SHADOW) if f"search_record{s}" in tables]

    def create(self, suffix: str) -> None:
        tag = secrets.token_hex(3)
        with connection.cursor() as cur:
            cur.execute(
                f"CREATE TABLE search_record{suffix} (record_id BIGINT PRIMARY KEY, uid "
                f"VARCHAR(80) NOT NULL, portal_id BIGINT NOT NULL, schema VARCHAR(64) NOT NULL, "
                f"published_at VARCHAR(40) NOT NULL, titles TEXT NOT NULL)"
            )
            cur.execute(
                f"CREATE INDEX ix_srec_portal_{tag} ON search_record{suffix} "
                f"(portal_id, published_at)"
            )
            cur.execute(
                f"CREATE TABLE search_facet{suffix} (record_id BIGINT NOT NULL, "
                f"facet VARCHAR(16) NOT NULL, value VARCHAR(128) NOT NULL)"
            )
            cur.execute(f"CREATE INDEX ix_sfac_fv_{tag} ON search_facet{suffix} (facet, value)")
            cur.execute(f"CREATE INDEX ix_sfac_rec_{tag} ON search_facet{suffix} (record_id)")
            self._create_text(cur, suffix, tag)
            if suffix == SHADOW:
                # How far a rebuild got (records published meanwhile land in the shadow too,
                # so its highest record id says nothing).
                cur.execute("CREATE TABLE search_rebuild_progress (last_id BIGINT NOT NULL)")
                cur.execute("INSERT INTO search_rebuild_progress (last_id) VALUES (0)")

    def _create_text(self, cur: Any, suffix: str, tag: str) -> None:
        raise NotImplementedError

    def drop(self, suffix: str) -> None:
        with connection.cursor() as cur:
            for table in self._tables(suffix):
                cur.execute(f"DROP TABLE IF EXISTS {table}")
            if suffix == SHADOW:
                cur.execute("DROP TABLE IF EXISTS search_rebuild_progress")

    def progress(self) -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT last_id FROM search_rebuild_progress")
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def set_progress(self, last_id: int) -> None:
        with connection.cursor() as cur:
            cur.execute("UPDATE search_rebuild_progress SET last_id = %s", [last_id])

    def _tables(self, suffix: str) -> list[str]:
        return [f"search_record{suffix}", f"search_facet{suffix}", f"search_text{suffix}"]

    def swap(self) -> None:
        """Replace the live tables by the shadow copy in one transaction."""
        with transaction.atomic(), connection.cursor() as cur:
            for live, new in zip(self._tables(LIVE), self._tables(SHADOW), strict=True):
                cur.execute(f"DROP TABLE IF EXISTS {live}")
                cur.execute(f"ALTER TABLE {new} RENAME TO {live}")
            cur.execute("DROP TABLE IF EXISTS search_rebuild_progress")

    # --- writes ---------------------------------------------------------------------------
    def write(
        self,
        entries: Iterable[Entry],
        removed: Iterable[int] = (),
        suffixes: list[str] | None = None,
    ) -> None:
        entries = list(entries)
        gone = [*removed, *(e.record_id for e in entries)]
        with transaction.atomic(), connection.cursor() as cur:
            for suffix in self.suffixes() if suffixes is None else suffixes:
                if gone:
                    self._delete(cur, suffix, gone)
                if not entries:
                    continue
                cur.executemany(
                    f"INSERT INTO search_record{suffix} (record_id, uid, portal_id, schema, "
                    f"published_at, titles) VALUES (%s, %s, %s, %s, %s, %s)",
                    [
                        (
                            e.record_id,
                            e.uid,
                            e.portal_id,
                            e.schema,
                            e.published_at.isoformat(),
                            json.dumps(e.titles, ensure_ascii=False),
                        )
                        for e in entries
                    ],
                )
                cur.executemany(
                    f"INSERT INTO search_facet{suffix} (record_id, facet, value) "
                    f"VALUES (%s, %s, %s)",
                    [(e.record_id, f, v[:128]) for e in entries for f, v in e.facets],
                )
                self._insert_text(cur, suffix, entries)

    def _delete(self, cur: Any, suffix: str, ids: list[int]) -> None:
        for table in self._tables(suffix):
            cur.execute(f"DELETE FROM {table} WHERE record_id IN ({_in(ids)})")

    def _insert_text(self, cur: Any, suffix: str, entries: list[Entry]) -> None:
        raise NotImplementedError

    def count(self, suffix: str = LIVE) -> int:
        with connection.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM search_record{suffix}")
            row = cur.fetchone()
        return int(row[0]) if row else 0

    # --- reads ----------------------------------------------------------------------------
    def match(
        self, query: ParsedQuery, portal_id: int | None, limit: int, any_term: bool = False
    ) -> list[Hit]:
        raise NotImplementedError

    def records(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        with connection.cursor() as cur:
            for chunk in _chunks(ids):
                cur.execute(
                    f"SELECT record_id, uid, portal_id, schema, published_at, titles FROM "
                    f"search_record WHERE record_id IN ({_in(chunk)})"
                )
                for rid, uid, portal_id, schema, published_at, titles in cur.fetchall():
                    out[rid] = {
                        "uid": uid,
                        "portal_id": portal_id,
                        "schema": schema,
                        "published_at": published_at,
                        "titles": json.loads(titles),
                    }
        return out

    def scope_ids(self, portal_id: int | None) -> list[int]:
        with connection.cursor() as cur:
            if portal_id is None:
                cur.execute("SELECT record_id FROM search_record")
            else:
                cur.execute("SELECT record_id FROM search_record WHERE portal_id = %s", [portal_id])
            return [r[0] for r in cur.fetchall()]

    def facets(self, ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
        out: dict[int, list[tuple[str, str]]] = {}
        with connection.cursor() as cur:
            for chunk in _chunks(ids):
                cur.execute(
                    f"SELECT record_id, facet, value FROM search_facet "
                    f"WHERE record_id IN ({_in(chunk)})"
                )
                for rid, facet, value in cur.fetchall():
                    out.setdefault(rid, []).append((facet, value))
        return out

    def with_values(self, values: Sequence[str], portal_id: int | None, limit: int) -> list[int]:
        """Records tagged with any of these concept identifiers (newest first)."""
        if not values:
            return []
        marks = ",".join(["%s"] * len(values))
        sql = (
            f"SELECT DISTINCT f.record_id, r.published_at FROM search_facet f JOIN search_record "
            f"r ON r.record_id = f.record_id WHERE f.facet IN ('target', 'subject', 'country', "
            f"'region') AND f.value IN ({marks})"
        )
        params: list[Any] = list(values)
        if portal_id is not None:
            sql += " AND r.portal_id = %s"
            params.append(portal_id)
        sql += " ORDER BY r.published_at DESC LIMIT %s"
        params.append(limit)
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return [r[0] for r in cur.fetchall()]

    def texts(self, ids: Sequence[int]) -> dict[int, list[tuple[str, str, str]]]:
        out: dict[int, list[tuple[str, str, str]]] = {}
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT record_id, lang, title, body FROM search_text "
                f"WHERE record_id IN ({_in(ids)})"
            )
            for rid, lang, title, body in cur.fetchall():
                out.setdefault(rid, []).append((lang, title, body))
        return out


def _chunks(ids: Sequence[int], size: int = 5000) -> Iterable[Sequence[int]]:
    ids = list(ids)
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


class SQLiteBackend(Backend):
    """FTS5 with the ``unicode61`` tokenizer over pre-folded text (see ``search.text``):
    word-level BM25 for alphabetic scripts, character bigrams for Chinese. Queries use
    :func:`~clearinghouse.search.text.stem` prefixes (``restau*``) since FTS5 has no
    stemmer for most of the six languages."""

    vendor = "sqlite"

    def _tables(self, suffix: str) -> list[str]:
        return [*super()._tables(suffix), f"search_fts{suffix}"]

    def _create_text(self, cur: Any, suffix: str, tag: str) -> None:
        cur.execute(
            f"CREATE TABLE search_text{suffix} (id INTEGER PRIMARY KEY, record_id BIGINT NOT "
            f"NULL, lang VARCHAR(8) NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL)"
        )
        cur.execute(f"CREATE INDEX ix_stext_rec_{tag} ON search_text{suffix} (record_id)")
        cur.execute(
            f"CREATE VIRTUAL TABLE search_fts{suffix} USING fts5(title, body, "
            f"tokenize = 'unicode61 remove_diacritics 2')"
        )

    def _delete(self, cur: Any, suffix: str, ids: list[int]) -> None:
        cur.execute(
            f"DELETE FROM search_fts{suffix} WHERE rowid IN "
            f"(SELECT id FROM search_text{suffix} WHERE record_id IN ({_in(ids)}))"
        )
        for table in super()._tables(suffix):
            cur.execute(f"DELETE FROM {table} WHERE record_id IN ({_in(ids)})")

    def _insert_text(self, cur: Any, suffix: str, entries: list[Entry]) -> None:
        cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM search_text{suffix}")
        next_id = int(cur.fetchone()[0]) + 1
        rows, folded = [], []
        for e in entries:
            for doc in e.docs:
                rows.append((next_id, e.record_id, doc.lang, doc.title, doc.body))
                folded.append((next_id, fold(doc.title), fold(doc.body)))
                next_id += 1
        cur.executemany(
            f"INSERT INTO search_text{suffix} (id, record_id, lang, title, body) "
            f"VALUES (%s, %s, %s, %s, %s)",
            rows,
        )
        cur.executemany(
            f"INSERT INTO search_fts{suffix} (rowid, title, body) VALUES (%s, %s, %s)", folded
        )

    @staticmethod
    def expression(query: ParsedQuery, any_term: bool = False) -> str:
        """An FTS5 query built only from folded word tokens, each double-quoted."""
        parts = []
        for term in query.terms:
            s = stem(term)
            parts.append(f'"{s}"*' if s != term or len(term) >= 5 else f'"{term}"')
        for phrase in query.phrases:
            parts.append('"' + " ".join(phrase) + '"')
        return (" OR " if any_term else " AND ").join(parts)

    def match(
        self, query: ParsedQuery, portal_id: int | None, limit: int, any_term: bool = False
    ) -> list[Hit]:
        sql = (
            "WITH m AS MATERIALIZED (SELECT rowid AS id, bm25(search_fts, 4.0, 1.0) AS s "
            "FROM search_fts WHERE search_fts MATCH %s) "
            "SELECT t.record_id, MIN(m.s) AS score FROM m JOIN search_text t ON t.id = m.id "
        )
        params: list[Any] = [self.expression(query, any_term)]
        if portal_id is not None:
            sql += "JOIN search_record r ON r.record_id = t.record_id WHERE r.portal_id = %s "
            params.append(portal_id)
        sql += "GROUP BY t.record_id ORDER BY score LIMIT %s"
        params.append(limit)
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return [(rid, -float(score)) for rid, score in cur.fetchall()]


class PostgresBackend(Backend):
    """PostgreSQL full-text search: ``english``/``french``/``spanish``/``russian``
    configurations (Snowball stemming) for those languages, ``simple`` for Arabic and Chinese
    (Chinese as character bigrams, Arabic with the article stripped; see ``search.text``)."""

    vendor = "postgresql"

    def _create_text(self, cur: Any, suffix: str, tag: str) -> None:
        cur.execute(
            f"CREATE TABLE search_text{suffix} (id BIGSERIAL PRIMARY KEY, record_id BIGINT NOT "
            f"NULL, lang VARCHAR(8) NOT NULL, cfg REGCONFIG NOT NULL, title TEXT NOT NULL, "
            f"body TEXT NOT NULL, tsv TSVECTOR NOT NULL)"
        )
        cur.execute(f"CREATE INDEX ix_stext_rec_{tag} ON search_text{suffix} (record_id)")
        cur.execute(f"CREATE INDEX ix_stext_tsv_{tag} ON search_text{suffix} USING GIN (tsv)")

    def _insert_text(self, cur: Any, suffix: str, entries: list[Entry]) -> None:
        rows = []
        for e in entries:
            for doc in e.docs:
                cfg = PG_CONFIGS.get(doc.lang, "simple")
                folded = (cfg, fold(doc.title), cfg, fold(doc.body))
                rows.append((e.record_id, doc.lang, cfg, doc.title, doc.body, *folded))
        cur.executemany(
            f"INSERT INTO search_text{suffix} (record_id, lang, cfg, title, body, tsv) VALUES "
            f"(%s, %s, %s::regconfig, %s, %s, setweight(to_tsvector(%s::regconfig, %s), 'A') "
            f"|| setweight(to_tsvector(%s::regconfig, %s), 'B'))",
            rows,
        )

    @staticmethod
    def tsquery(query: ParsedQuery, cfg: str, any_term: bool = False) -> str:
        parts = []
        for term in query.terms:
            if cfg == "simple" and len(term) >= 5 and stem(term) != term:
                parts.append(f"'{stem(term)}':*")
            else:
                parts.append(f"'{term}'")
        for phrase in query.phrases:
            parts.append("(" + " <-> ".join(f"'{w}'" for w in phrase) + ")")
        return (" | " if any_term else " & ").join(parts)

    def match(
        self, query: ParsedQuery, portal_id: int | None, limit: int, any_term: bool = False
    ) -> list[Hit]:
        conds: list[str] = []
        ranks: list[str] = []
        params: list[Any] = []
        rank_params: list[Any] = []
        for cfg in sorted(set(PG_CONFIGS.values())):
            q = self.tsquery(query, cfg, any_term)
            conds.append(f"(t.cfg = '{cfg}'::regconfig AND t.tsv @@ to_tsquery('{cfg}', %s))")
            params.append(q)
            ranks.append(f"WHEN '{cfg}'::regconfig THEN to_tsquery('{cfg}', %s)")
            rank_params.append(q)
        sql = (
            f"SELECT t.record_id, MAX(ts_rank(t.tsv, CASE t.cfg {' '.join(ranks)} END)) AS score "
            f"FROM search_text t "
        )
        where = " OR ".join(conds)
        if portal_id is not None:
            sql += (
                f"JOIN search_record r ON r.record_id = t.record_id "
                f"WHERE r.portal_id = %s AND ({where}) "
            )
            all_params: list[Any] = [*rank_params, portal_id, *params]
        else:
            sql += f"WHERE {where} "
            all_params = [*rank_params, *params]
        sql += "GROUP BY t.record_id ORDER BY score DESC, t.record_id LIMIT %s"
        all_params.append(limit)
        with connection.cursor() as cur:
            cur.execute(sql, all_params)
            return [(rid, float(score)) for rid, score in cur.fetchall()]


def get_backend() -> Backend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        return SQLiteBackend()
    raise RuntimeError(f"No search backend for {connection.vendor}")
