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

Layout choices made for a million records (see docs/search.md, "Scale"):

- ``search_facet`` repeats the record's ``published_at``, with covering indexes
  ``(facet, value, published_at, record_id)`` (records tagged with a concept, newest first,
  read in index order) and ``(record_id, facet, value)`` (facet rows of the candidates);
- on SQLite a text row's id (and its FTS5 rowid) is ``record_id * 8 + language index``, so a
  full-text match yields the record without a join.
"""

from __future__ import annotations

import json
import math
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from django.db import connection, transaction

from clearinghouse.records.i18n import UN_LANGUAGES
from clearinghouse.search.documents import Entry
from clearinghouse.search.text import TOKENS_VERSION, ParsedQuery, fold, is_cjk_char, stem

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
WINDOW = 5000  # documents ranked at most per query (the most recently indexed matches)


def window() -> int:
    """``CLEARINGHOUSE_SEARCH_WINDOW``: how many matching documents are ranked by relevance at
    most. A query matching more (a common word among millions of documents) ranks its most
    recently indexed ``window`` matches and estimates its total; ``0`` ranks every match."""
    from django.conf import settings

    return max(0, int(getattr(settings, "CLEARINGHOUSE_SEARCH_WINDOW", WINDOW)))


@dataclass
class Matches:
    """Full-text matches: the best records by relevance, and how many records match in all
    (exact, or estimated when only a window of the matches was ranked)."""

    hits: list[Hit]
    total: int
    estimated: bool = False


LANG_SLOT = {lang: i for i, lang in enumerate(UN_LANGUAGES)}  # SQLite text id = record * 8 + slot
SLOTS = 8


@lru_cache(maxsize=16384)
def _fold_line(line: str) -> str:
    return fold(line)


def fold_text(text: str) -> str:
    """``fold(text)``, line by line with the lines memoised: a document body ends with the
    labels of its concepts, the same lines in thousands of records (5× faster indexing)."""
    return " ".join(f for f in map(_fold_line, text.split("\n")) if f)


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
                f"facet VARCHAR(16) NOT NULL, value VARCHAR(128) NOT NULL, "
                f"published_at VARCHAR(40) NOT NULL DEFAULT '')"
            )
            cur.execute(
                f"CREATE INDEX ix_sfac_fvp_{tag} ON search_facet{suffix} "
                f"(facet, value, published_at, record_id)"
            )
            cur.execute(
                f"CREATE INDEX ix_sfac_recfv_{tag} ON search_facet{suffix} "
                f"(record_id, facet, value)"
            )
            self._create_text(cur, suffix, tag)
            if suffix == LIVE:  # a new, empty index: current tokens
                self._set_meta(cur, "tokens", str(TOKENS_VERSION))
            if suffix == SHADOW:
                # How far a rebuild got (records published meanwhile land in the shadow too,
                # so its highest record id says nothing).
                cur.execute("CREATE TABLE search_rebuild_progress (last_id BIGINT NOT NULL)")
                cur.execute("INSERT INTO search_rebuild_progress (last_id) VALUES (0)")

    def _create_text(self, cur: Any, suffix: str, tag: str) -> None:
        raise NotImplementedError

    def outdated(self) -> bool:
        """Whether the live tables have the layout before ``search_facet.published_at``."""
        if not self.table_exists("search_facet"):
            return False
        with connection.cursor() as cur:
            columns = connection.introspection.get_table_description(cur, "search_facet")
        return "published_at" not in {c.name for c in columns}

    # --- token version (search.text.TOKENS_VERSION) ----------------------------------------
    def _set_meta(self, cur: Any, name: str, value: str) -> None:
        cur.execute(
            "CREATE TABLE IF NOT EXISTS search_meta (name VARCHAR(32) PRIMARY KEY, "
            "value VARCHAR(64) NOT NULL)"
        )
        cur.execute("DELETE FROM search_meta WHERE name = %s", [name])
        cur.execute("INSERT INTO search_meta (name, value) VALUES (%s, %s)", [name, value])

    def tokens_version(self) -> int:
        """The token version the live index was built with (1: before ``search_meta``)."""
        if not self.table_exists("search_meta"):
            return 1
        with connection.cursor() as cur:
            cur.execute("SELECT value FROM search_meta WHERE name = 'tokens'")
            row = cur.fetchone()
        return int(row[0]) if row else 1

    def tokens_outdated(self) -> bool:
        return self.table_exists("search_record") and self.tokens_version() < TOKENS_VERSION

    def _meta(self, name: str) -> str | None:
        if not self.table_exists("search_meta"):
            return None
        with connection.cursor() as cur:
            cur.execute("SELECT value FROM search_meta WHERE name = %s", [name])
            row = cur.fetchone()
        return str(row[0]) if row else None

    def refold(self, batch: int = 500, report: Any = None, stop_after: int = 0) -> int:
        """Re-tokenise the stored raw text of every document in place (the FTS5 rows, or the
        ``tsvector``), live and shadow copies; no record is re-parsed. Each batch commits
        with the last id done (``search_meta``): an interrupted run leaves a usable index,
        and the next run, while the tokens are still outdated, resumes after it. The token
        version is set when every document is done. ``stop_after``: stop after about that
        many documents (to test resuming). Returns the number of documents re-tokenised."""
        resume = self.tokens_outdated()
        done = 0
        for suffix in self.suffixes():
            key = f"refold{suffix or '_live'}"
            after = int(self._meta(key) or -1) if resume else -1
            with connection.cursor() as cur:
                cur.execute(f"SELECT COUNT(*) FROM search_text{suffix}")
                total = int(cur.fetchone()[0])
                cur.execute(f"SELECT COUNT(*) FROM search_text{suffix} WHERE id <= %s", [after])
                here = int(cur.fetchone()[0])  # done by an interrupted run
            while True:
                if stop_after and done >= stop_after:
                    return done
                with transaction.atomic(), connection.cursor() as cur:
                    cur.execute(
                        f"SELECT id, title, body FROM search_text{suffix} WHERE id > %s "
                        f"ORDER BY id LIMIT %s",
                        [after, batch],
                    )
                    rows = cur.fetchall()
                    if not rows:
                        break
                    self._refold_rows(cur, suffix, rows)
                    after = rows[-1][0]
                    self._set_meta(cur, key, str(after))
                done += len(rows)
                here += len(rows)
                if report is not None:
                    report(suffix, here, total)
        with transaction.atomic(), connection.cursor() as cur:
            self._set_meta(cur, "tokens", str(TOKENS_VERSION))
            cur.execute("DELETE FROM search_meta WHERE name LIKE %s", ["refold%"])
        return done

    def _refold_rows(self, cur: Any, suffix: str, rows: list[tuple[int, str, str]]) -> None:
        raise NotImplementedError

    def upgrade(self) -> None:
        """Copy an index of the earlier layout into the current one (SQL only, no re-parsing
        of records), then swap it in. Vectors are untouched; the tokens stay as they were."""
        version = self.tokens_version()
        self.drop(SHADOW)
        self.create(SHADOW)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(
                "INSERT INTO search_record_new SELECT record_id, uid, portal_id, schema, "
                "published_at, titles FROM search_record"
            )
            cur.execute(
                "INSERT INTO search_facet_new (record_id, facet, value, published_at) "
                "SELECT f.record_id, f.facet, f.value, r.published_at FROM search_facet f "
                "JOIN search_record r ON r.record_id = f.record_id"
            )
            self._copy_text(cur)
        self.swap()
        with connection.cursor() as cur:
            self._set_meta(cur, "tokens", str(version))

    def _copy_text(self, cur: Any) -> None:
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
            self._set_meta(cur, "tokens", str(TOKENS_VERSION))  # the shadow was built anew
            cur.execute("DELETE FROM search_meta WHERE name LIKE %s", ["refold%"])

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
                    f"INSERT INTO search_facet{suffix} (record_id, facet, value, published_at) "
                    f"VALUES (%s, %s, %s, %s)",
                    [
                        (e.record_id, f, v[:128], e.published_at.isoformat())
                        for e in entries
                        for f, v in e.facets
                    ],
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
    ) -> Matches:
        """The best ``limit`` records by their best document's relevance.

        A broad query is ranked within a window: the ``window()`` most recently indexed
        matching documents (an index walk in descending id order that stops there), and its
        total is extrapolated from how much of the index the window spans. Below the window
        every match is ranked and the total is exact."""
        raise NotImplementedError

    @staticmethod
    def _collect(
        rows: Iterable[tuple[int, float]], limit: int, higher_is_better: bool
    ) -> tuple[list[Hit], int, int]:
        """(record, score) rows in rank order → the first ``limit`` records at their best
        document, the number of distinct records among all the rows, and the rows read."""
        out: dict[int, float] = {}
        seen: set[int] = set()
        n = 0
        for rid, score in rows:
            n += 1
            seen.add(rid)
            if rid not in out and len(out) < limit:
                out[rid] = float(score) if higher_is_better else -float(score)
        return list(out.items()), len(seen), n

    def _extrapolate(self, records: int, lowest_id: int, id_range: tuple[int, int]) -> int:
        """Records matching in the whole index, from ``records`` found in the window of
        document ids ``[lowest_id, top]`` (documents are spread evenly enough over ids:
        the same generator of ids fills the whole index)."""
        bottom, top = id_range
        covered = max(1, top - lowest_id + 1)
        return max(records, round(records * (top - bottom + 1) / covered))

    def _id_range(self) -> tuple[int, int]:
        with connection.cursor() as cur:
            # Two subqueries: each is one index lookup (a single MIN and MAX over the same
            # table makes SQLite scan it).
            cur.execute(
                "SELECT (SELECT MIN(id) FROM search_text), (SELECT MAX(id) FROM search_text)"
            )
            low, high = cur.fetchone()
        return int(low or 0), int(high or 0)

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

    def indexed(self, ids: Sequence[int]) -> set[int]:
        """Which of these records are in the index (drops stale vectors of removed records)."""
        out: set[int] = set()
        with connection.cursor() as cur:
            for chunk in _chunks(ids):
                cur.execute(
                    f"SELECT record_id FROM search_record WHERE record_id IN ({_in(chunk)})"
                )
                out.update(r[0] for r in cur.fetchall())
        return out

    def having(self, ids: Sequence[int], facet: str, values: Sequence[str]) -> set[int]:
        """Which of these records have one of these values of ``facet``."""
        out: set[int] = set()
        if not ids or not values:
            return out
        marks = ",".join(["%s"] * len(values))
        with connection.cursor() as cur:
            for chunk in _chunks(ids):
                among, params = self.among("record_id", chunk)
                cur.execute(
                    f"SELECT record_id FROM search_facet WHERE {among} AND facet = %s "
                    f"AND value IN ({marks})",
                    [*params, facet, *values],
                )
                out.update(r[0] for r in cur.fetchall())
        return out

    def among(self, column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
        """A condition "``column`` is one of ``ids``" and its parameters: a literal list
        (PostgreSQL overrides it with an array parameter)."""
        return f"{column} IN ({_in(ids)})", []

    def value_counts(
        self, ids: Sequence[int], facets: Sequence[str] = ()
    ) -> dict[str, dict[str, int]]:
        """facet → value → number of these records with it (all facets, or only ``facets``),
        counted in SQL on the covering index ``(record_id, facet, value)``."""
        out: dict[str, dict[str, int]] = {}
        if not ids:
            return out
        where, params = "", list(facets)
        if facets:
            where = f" AND facet IN ({','.join(['%s'] * len(facets))})"
        with connection.cursor() as cur:
            for chunk in _chunks(ids):
                # Materialised: else SQLite scans the whole (facet, value, …) index to group
                # in order, instead of seeking the candidates' rows.
                among, ids_param = self.among("record_id", chunk)
                cur.execute(
                    f"WITH c AS MATERIALIZED (SELECT facet, value FROM search_facet WHERE "
                    f"{among}{where}) "
                    f"SELECT facet, value, COUNT(*) FROM c GROUP BY facet, value",
                    [*ids_param, *params],
                )
                for facet, value, n in cur.fetchall():
                    counts = out.setdefault(facet, {})
                    counts[value] = counts.get(value, 0) + int(n)
        return out

    def dates(self, ids: Sequence[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        with connection.cursor() as cur:
            for chunk in _chunks(ids):
                among, params = self.among("record_id", chunk)
                cur.execute(
                    f"SELECT record_id, published_at FROM search_record WHERE {among}", params
                )
                out.update(cur.fetchall())
        return out

    def with_values(self, values: Sequence[str], portal_id: int | None, limit: int) -> list[int]:
        """Records tagged with any of these concept identifiers (newest first).

        One index-ordered read of at most ``limit`` rows per (facet, value) on the covering
        index ``(facet, value, published_at, record_id)``, merged: a concept tagged on 100,000
        records costs no more than one tagged on 2,000. A concept is looked up only under the
        facet its scheme is indexed as."""
        from clearinghouse.records.types import REGIONS
        from clearinghouse.search import thesaurus
        from clearinghouse.search.documents import SCHEME_FACETS

        if not values:
            return []
        schemes = thesaurus.get().scheme
        facet_of = {**SCHEME_FACETS, REGIONS: "region"}
        # Only schemes that become facets can match (indicators, goals, SDGs never do: a
        # query naming "biodiversité" expands to 165 concepts, 20 of them taggable).
        pairs = [
            (facet_of[scheme], v)
            for v in dict.fromkeys(values)
            if (scheme := schemes.get(v)) in facet_of
        ]
        if not pairs:
            return []
        best: dict[int, str] = {}
        with connection.cursor() as cur:
            for start in range(0, len(pairs), 100):  # SQLite allows 500 compound SELECTs
                parts: list[str] = []
                params: list[Any] = []
                for i, (facet, value) in enumerate(pairs[start : start + 100]):
                    if portal_id is None:
                        parts.append(
                            "SELECT * FROM (SELECT record_id, published_at FROM search_facet "
                            "WHERE facet = %s AND value = %s ORDER BY published_at DESC "
                            f"LIMIT %s) AS s{i}"
                        )
                        params += [facet, value, limit]
                    else:
                        parts.append(
                            "SELECT * FROM (SELECT f.record_id, f.published_at FROM search_facet "
                            "f JOIN search_record r ON r.record_id = f.record_id WHERE f.facet = "
                            "%s AND f.value = %s AND r.portal_id = %s ORDER BY f.published_at "
                            f"DESC LIMIT %s) AS s{i}"
                        )
                        params += [facet, value, portal_id, limit]
                cur.execute(
                    " UNION ALL ".join(parts) + " ORDER BY published_at DESC LIMIT %s",
                    [*params, limit],
                )
                for rid, published_at in cur.fetchall():
                    best[rid] = max(published_at, best.get(rid, ""))
        ordered = sorted(best, key=lambda rid: (best[rid], rid), reverse=True)
        return ordered[:limit]

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


def fts_tokens(query: ParsedQuery) -> list[tuple[str, bool]]:
    """Each query term or phrase as (folded text, matched as a prefix?): a stemmed term
    (``restau``), a long one and a single Chinese character (水 → 水下, 水…) are prefixes;
    a phrase is one when it ends with a single Chinese character."""
    out = []
    for term in query.terms:
        s = stem(term)  # unchanged when not a prefix
        out.append((s, s != term or len(term) >= 5 or is_cjk_char(term)))
    for phrase in query.phrases:
        out.append((" ".join(phrase), is_cjk_char(phrase[-1])))
    return out


def window_needles(query: ParsedQuery) -> list[str]:
    """One needle per query term or phrase, found in space-padded folded text the way the
    FTS5 expression matches tokens: ``" restau"`` (a prefix) or ``" sea "`` (the whole
    token)."""
    return [f" {text}" if prefix else f" {text} " for text, prefix in fts_tokens(query)]


def bm25_window(
    lengths: np.ndarray, title_tf: np.ndarray, body_tf: np.ndarray, any_term: bool
) -> np.ndarray:
    """BM25 of n documents from their lengths in tokens (n) and the frequencies of each
    query term in their title and body (n × terms), the statistics taken from the documents
    themselves (see ``SQLiteBackend._rank_window``)."""
    k1, b, w_title, w_body = 1.2, 0.75, 4.0, 1.0
    n = len(lengths)
    if not n:
        return np.zeros(0)
    norm = k1 * (1 - b + b * lengths / max(1e-9, float(lengths.mean())))
    freqs = w_title * title_tf + w_body * body_tf
    score = np.zeros(n)
    for f in freqs.T:
        if any_term:  # documents hold different terms: weigh rarer ones higher
            having = float(np.count_nonzero(f))
            idf = max(1e-6, math.log((n - having + 0.5) / (having + 0.5) + 1))
        else:
            idf = 1.0
        score += idf * f * (k1 + 1) / (f + norm)
    return score


# Prefix indexes (in characters) for the stems queries use: ``text.stem`` cuts a word of 5 or 6
# letters to 4 or 5, a longer one to 6. Without them FTS5 answers ``"restau"*`` by merging the
# postings of every word with that prefix before returning the first row — for a common stem
# most of a second at a million records; with them, one posting list read incrementally
# (measured: p95 of the window walk 155 ms → 6 ms at a million records, docs/benchmarks.md).
FTS_PREFIXES = "4 5 6"


class SQLiteBackend(Backend):
    """FTS5 with the ``unicode61`` tokenizer over pre-folded text (see ``search.text``):
    word-level BM25 for alphabetic scripts, character bigrams for Chinese. Queries use
    :func:`~clearinghouse.search.text.stem` prefixes (``restau*``) since FTS5 has no
    stemmer for most of the six languages."""

    vendor = "sqlite"

    def _tables(self, suffix: str) -> list[str]:
        return [*super()._tables(suffix), f"search_fts{suffix}"]

    def _create_text(self, cur: Any, suffix: str, tag: str) -> None:
        # id = record_id * 8 + language slot: the FTS5 rowid names its record.
        cur.execute(
            f"CREATE TABLE search_text{suffix} (id INTEGER PRIMARY KEY, record_id BIGINT NOT "
            f"NULL, lang VARCHAR(8) NOT NULL, title TEXT NOT NULL, body TEXT NOT NULL)"
        )
        cur.execute(f"CREATE INDEX ix_stext_rec_{tag} ON search_text{suffix} (record_id)")
        cur.execute(
            f"CREATE VIRTUAL TABLE search_fts{suffix} USING fts5(title, body, "
            f"tokenize = 'unicode61 remove_diacritics 2', prefix = '{FTS_PREFIXES}')"
        )

    def outdated(self) -> bool:
        """Also: an FTS5 table without the prefix indexes (before ``search.0005``)."""
        if super().outdated():
            return True
        with connection.cursor() as cur:
            cur.execute("SELECT sql FROM sqlite_master WHERE name = 'search_fts'")
            row = cur.fetchone()
        return row is not None and "prefix" not in row[0]

    def _delete(self, cur: Any, suffix: str, ids: list[int]) -> None:
        cur.executemany(
            f"DELETE FROM search_fts{suffix} WHERE rowid BETWEEN %s AND %s",
            [(rid * SLOTS, rid * SLOTS + SLOTS - 1) for rid in ids],
        )
        for table in super()._tables(suffix):
            cur.execute(f"DELETE FROM {table} WHERE record_id IN ({_in(ids)})")

    def _copy_text(self, cur: Any) -> None:
        slot = " ".join(f"WHEN '{lang}' THEN {i}" for lang, i in LANG_SLOT.items())
        new_id = f"t.record_id * {SLOTS} + CASE t.lang {slot} ELSE {SLOTS - 1} END"
        cur.execute(
            f"INSERT INTO search_text_new (id, record_id, lang, title, body) SELECT {new_id}, "
            f"t.record_id, t.lang, t.title, t.body FROM search_text t"
        )
        cur.execute(
            f"INSERT INTO search_fts_new (rowid, title, body) SELECT {new_id}, f.title, f.body "
            f"FROM search_text t JOIN search_fts f ON f.rowid = t.id"
        )

    def _refold_rows(self, cur: Any, suffix: str, rows: list[tuple[int, str, str]]) -> None:
        cur.execute(f"DELETE FROM search_fts{suffix} WHERE rowid IN ({_in([r[0] for r in rows])})")
        cur.executemany(
            f"INSERT INTO search_fts{suffix} (rowid, title, body) VALUES (%s, %s, %s)",
            [(i, fold(title), fold_text(body)) for i, title, body in rows],
        )

    def _insert_text(self, cur: Any, suffix: str, entries: list[Entry]) -> None:
        rows, folded = [], []
        for e in entries:
            for doc in e.docs:
                text_id = e.record_id * SLOTS + LANG_SLOT.get(doc.lang, SLOTS - 1)
                rows.append((text_id, e.record_id, doc.lang, doc.title, doc.body))
                folded.append((text_id, fold(doc.title), fold_text(doc.body)))
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
        parts = [f'"{text}"*' if prefix else f'"{text}"' for text, prefix in fts_tokens(query)]
        return (" OR " if any_term else " AND ").join(parts)

    def match(
        self, query: ParsedQuery, portal_id: int | None, limit: int, any_term: bool = False
    ) -> Matches:
        """The best ``limit`` records by their best document's BM25 (see ``Backend.match``).

        1. The window: the newest ``window() + 1`` matching documents, in descending rowid
           order — FTS5 walks the posting lists backwards and stops there.
        2. More match than the window: the window's documents are ranked here
           (``_rank_window``) and the total extrapolated.
        3. Otherwise (most queries): FTS5's top-N sort by BM25 over every match, no join: a
           record has at most one document per language, so the best ``limit × 6``
           documents hold the best ``limit`` records; the total is exact."""
        expr = self.expression(query, any_term)
        size = window()
        per_doc = limit * len(UN_LANGUAGES)
        scope, scope_params = "", []
        if portal_id is not None:
            scope = (
                f" AND rowid / {SLOTS} IN (SELECT record_id FROM search_record "
                f"WHERE portal_id = %s)"
            )
            scope_params = [portal_id]
        with connection.cursor() as cur:
            if size:  # the window: the newest matching documents, and whether one more matches
                cur.execute(
                    f"SELECT rowid FROM search_fts WHERE search_fts MATCH %s{scope} "
                    f"ORDER BY rowid DESC LIMIT %s",
                    [expr, *scope_params, size + 1],
                )
                newest = [r[0] for r in cur.fetchall()]
                if len(newest) > size:
                    return self._rank_window(query, any_term, newest[:size], limit)
            cur.execute(
                f"SELECT rowid, bm25(search_fts, 4.0, 1.0) AS s FROM search_fts "
                f"WHERE search_fts MATCH %s{scope} ORDER BY s LIMIT %s",
                [expr, *scope_params, max(per_doc, size)],
            )
            rows = ((rowid // SLOTS, score) for rowid, score in cur)
            hits, records, read = self._collect(rows, limit, higher_is_better=False)
        if read < max(per_doc, size):  # every match was read
            return Matches(hits, records)
        return Matches(hits, self._count(expr, scope, scope_params))

    def _rank_window(
        self, query: ParsedQuery, any_term: bool, rowids: list[int], limit: int
    ) -> Matches:
        """BM25 over the window's documents, computed here from their indexed (folded) text.

        FTS5's ``bm25()`` first counts every document of each phrase in the whole index (its
        IDF): for a common word, a pass over hundreds of thousands of postings that the
        window is there to avoid. Within an AND query every document holds every term, so
        the IDF only weighs terms against each other; it is estimated from the window, a
        sample of the matches. Same formula and weights as the FTS5 ranking (k1 1.2, b 0.75,
        title 4, body 1)."""
        scored = self.window_scores(query, any_term, rowids)
        scored.sort(key=lambda item: (-item[1], -item[0]))
        hits, records, _read = self._collect(
            ((rowid // SLOTS, score) for rowid, score in scored), limit, higher_is_better=True
        )
        return Matches(hits, self._extrapolate(records, min(rowids), self._id_range()), True)

    def window_scores(
        self, query: ParsedQuery, any_term: bool, rowids: Sequence[int]
    ) -> list[tuple[int, float]]:
        """(rowid, BM25) of these documents, from the indexed (folded) text FTS5 keeps in
        its ``%_content`` table: lengths and term frequencies are substring counts in the
        space-padded text (``str.count``, C speed: 5,000 documents in about 10 ms; the same
        counts with SQLite's ``replace()`` took three times as long)."""
        needles = window_needles(query)
        with connection.cursor() as cur:
            cur.execute(f"SELECT id, c0, c1 FROM search_fts_content WHERE id IN ({_in(rowids)})")
            docs = cur.fetchall()
        n = len(docs)
        if not n:
            return []
        titles = [f" {d[1]} " for d in docs]
        bodies = [f" {d[2]} " for d in docs]

        def counts(texts: list[str], needle: str) -> np.ndarray:
            return np.fromiter((t.count(needle) for t in texts), np.float64, n)

        lengths = counts(titles, " ") + counts(bodies, " ") - 2.0
        title_tf = np.column_stack([counts(titles, needle) for needle in needles])
        body_tf = np.column_stack([counts(bodies, needle) for needle in needles])
        score = bm25_window(lengths, title_tf, body_tf, any_term)
        return list(zip((d[0] for d in docs), score.tolist(), strict=True))

    def _count(self, expr: str, scope: str, scope_params: list[Any]) -> int:
        """Records matching: needed only with the window off (a query below the window has
        every match read by the ranking query)."""
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT COUNT(DISTINCT rowid / {SLOTS}) FROM search_fts "
                f"WHERE search_fts MATCH %s{scope}",
                [expr, *scope_params],
            )
            return int(cur.fetchone()[0])


class PostgresBackend(Backend):
    """PostgreSQL full-text search: ``english``/``french``/``spanish``/``russian``
    configurations (Snowball stemming) for those languages, ``simple`` for Arabic and Chinese
    (Chinese as character bigrams, Arabic with the article stripped; see ``search.text``)."""

    vendor = "postgresql"

    def among(self, column: str, ids: Sequence[int]) -> tuple[str, list[Any]]:
        """An array parameter: hashed by PostgreSQL, where a long literal list is compared
        row by row (8 ms instead of 24 for 4,000 candidates at a million records)."""
        return f"{column} = ANY(%s)", [[int(i) for i in ids]]

    def _create_text(self, cur: Any, suffix: str, tag: str) -> None:
        cur.execute(
            f"CREATE TABLE search_text{suffix} (id BIGSERIAL PRIMARY KEY, record_id BIGINT NOT "
            f"NULL, lang VARCHAR(8) NOT NULL, cfg REGCONFIG NOT NULL, title TEXT NOT NULL, "
            f"body TEXT NOT NULL, tsv TSVECTOR NOT NULL)"
        )
        cur.execute(f"CREATE INDEX ix_stext_rec_{tag} ON search_text{suffix} (record_id)")
        cur.execute(f"CREATE INDEX ix_stext_tsv_{tag} ON search_text{suffix} USING GIN (tsv)")

    def _copy_text(self, cur: Any) -> None:
        cur.execute(
            "INSERT INTO search_text_new (record_id, lang, cfg, title, body, tsv) "
            "SELECT record_id, lang, cfg, title, body, tsv FROM search_text ORDER BY id"
        )

    def _refold_rows(self, cur: Any, suffix: str, rows: list[tuple[int, str, str]]) -> None:
        cur.executemany(
            f"UPDATE search_text{suffix} SET tsv = setweight(to_tsvector(cfg, %s), 'A') || "
            f"setweight(to_tsvector(cfg, %s), 'B') WHERE id = %s",
            [(fold(title), fold_text(body), i) for i, title, body in rows],
        )

    def _insert_text(self, cur: Any, suffix: str, entries: list[Entry]) -> None:
        rows = []
        for e in entries:
            for doc in e.docs:
                cfg = PG_CONFIGS.get(doc.lang, "simple")
                folded = (cfg, fold(doc.title), cfg, fold_text(doc.body))
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
            if is_cjk_char(term):  # 水 → '水':* (every bigram starting with it)
                parts.append(f"'{term}':*")
            elif cfg == "simple" and len(term) >= 5 and stem(term) != term:
                parts.append(f"'{stem(term)}':*")
            else:
                parts.append(f"'{term}'")
        for phrase in query.phrases:
            star = ":*" if is_cjk_char(phrase[-1]) else ""
            parts.append("(" + " <-> ".join(f"'{w}'" for w in phrase) + star + ")")
        return (" | " if any_term else " & ").join(parts)

    def match(
        self, query: ParsedQuery, portal_id: int | None, limit: int, any_term: bool = False
    ) -> Matches:
        """The best ``limit`` records by their best document's ``ts_rank`` (see
        ``Backend.match``). The window walk reads the newest ``PG_SCAN`` documents newest
        first until ``window() + 1`` match; a query that fills the window, or matches at least
        ``PG_SAMPLE_MIN`` of them (a common word: tens of thousands of matches), is ranked
        within them with an estimated total. Otherwise every match is ranked from the GIN
        index: a record has at most one document per language, so the best ``limit × 6``
        documents hold the best ``limit`` records."""
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
        size = window()
        per_doc = limit * len(UN_LANGUAGES)
        where = " OR ".join(conds)
        scope, scope_params = "", []
        if portal_id is not None:
            scope = " AND t.record_id IN (SELECT record_id FROM search_record WHERE portal_id = %s)"
            scope_params = [portal_id]
        cases = " ".join(ranks)
        with transaction.atomic(), connection.cursor() as cur:
            if size:
                # 1. The newest PG_SCAN documents, newest first, until size + 1 match: a
                # bounded walk of the primary key (the planner, left alone, would walk it
                # for a common word — fine — but also for an uncommon one, through the
                # whole table).
                cur.execute(
                    f"SELECT w.record_id, ts_rank(w.tsv, CASE w.cfg {cases} END), w.id FROM "
                    f"(SELECT t.id, t.record_id, t.cfg, "
                    f"t.tsv FROM (SELECT id, record_id, cfg, tsv FROM search_text ORDER BY id "
                    f"DESC LIMIT {PG_SCAN}) AS t WHERE ({where}){scope} ORDER BY t.id DESC "
                    f"LIMIT {int(size) + 1}) AS w",
                    [*rank_params, *params, *scope_params],
                )
                rows = cur.fetchall()
                if len(rows) > size or len(rows) >= PG_SAMPLE_MIN:
                    return self._ranked_window(rows, size, limit)
            # 2. Few matches among the newest documents: every match, from the GIN index
            # (enough memory for an exact bitmap: a lossy one rechecks whole pages).
            cur.execute("SET LOCAL work_mem = '64MB'")
            cur.execute(
                f"SELECT t.record_id, ts_rank(t.tsv, CASE t.cfg {cases} END) AS score "
                f"FROM search_text AS t WHERE ({where}){scope} "
                f"ORDER BY score DESC, t.record_id LIMIT {int(per_doc)}",
                [*rank_params, *params, *scope_params],
            )
            ranked = cur.fetchall()
            hits, records, read = self._collect(ranked, limit, True)
            if read < per_doc:
                return Matches(hits, records)
            cur.execute(
                f"SELECT COUNT(DISTINCT t.record_id) FROM search_text t WHERE ({where}){scope}",
                [*params, *scope_params],
            )
            return Matches(hits, int(cur.fetchone()[0]))

    def _ranked_window(self, rows: list[tuple[int, float, int]], size: int, limit: int) -> Matches:
        """Rank the window's documents (rows: record, score, document id, newest first)
        and extrapolate the total: from where the window ends when it is full, else from
        the share of the newest ``PG_SCAN`` documents that matched."""
        rows = rows[:size]
        ranked = sorted(rows, key=lambda r: (-r[1], r[0]))
        hits, records, _read = self._collect(((r, s) for r, s, _i in ranked), limit, True)
        low, high = self._id_range()
        if len(rows) == size:
            total = self._extrapolate(records, rows[-1][2], (low, high))
        elif high - low + 1 <= PG_SCAN:  # the walk read the whole index: every match
            return Matches(hits, records)
        else:  # every match among the newest PG_SCAN documents
            total = max(records, round(records * (high - low + 1) / PG_SCAN))
        return Matches(hits, total, True)


# PostgreSQL: how many of the newest documents the window walk reads at most, and how many
# matches among them make the query broad enough to rank just those (an estimated
# PG_SAMPLE_MIN × 6,000,000 / 50,000 = 24,000 matching documents at a million records).
PG_SCAN = 50_000
PG_SAMPLE_MIN = 200


def upgrade_layout() -> None:
    """Bring the live index to the current layout (migrations ``0003`` and ``0005``): create
    it if missing, or copy an outdated one into the current layout in SQL. A rebuild of the
    earlier layout that was in progress is dropped (``reindex`` starts a new one)."""
    backend = get_backend()
    if not backend.table_exists("search_record"):
        backend.create(LIVE)
    elif backend.outdated():
        backend.upgrade()
    else:
        return
    if backend.table_exists(f"search_record{SHADOW}"):
        backend.drop(SHADOW)


def get_backend() -> Backend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    if connection.vendor == "sqlite":
        return SQLiteBackend()
    raise RuntimeError(f"No search backend for {connection.vendor}")
