"""Index size of three ways to index Chinese, on the Chinese texts the product ships:

- ``bigrams``: overlapping character bigrams only (index tokens version 1);
- ``bigrams + run tails``: plus the last character of each run (version 2, the choice);
- ``bigrams + every character``: plus a unigram for every character.

Corpus: the Chinese texts of the SDG goals and 169 targets (vocabularies/data/sdg.json), the
Chinese country and region names (UNSD-cn.csv), the Chinese labels of the seed vocabularies and
the Chinese records of the labelled search corpus (tests/data/search_eval.json), each text one
document, repeated ``--copies`` times (default 20) so that page overheads do not dominate.
Prints token counts, distinct terms and the size of an FTS5 table (SQLite file, after
VACUUM); with ``--pg URL`` also the summed size of the PostgreSQL ``simple`` tsvectors.

    .venv/bin/python bench/cjk_index_size.py [--copies 20] [--pg postgres://…/db]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from clearinghouse.search.text import CJK_RUN, fold, tokens  # noqa: E402

DATA = ROOT / "src" / "clearinghouse" / "vocabularies" / "data"


def _zh(value: object) -> list[str]:
    """Every Chinese string in a JSON value (dicts with a "zh" key, recursively)."""
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "zh" and isinstance(item, str):
                out.append(item)
            elif key == "zh" and isinstance(item, list):
                out.extend(x for x in item if isinstance(x, str))
            else:
                out.extend(_zh(item))
    elif isinstance(value, list):
        for item in value:
            out.extend(_zh(item))
    return out


def corpus() -> list[str]:
    texts = _zh(json.loads((DATA / "sdg.json").read_text(encoding="utf-8")))
    texts += _zh(json.loads((DATA / "seed.json").read_text(encoding="utf-8")))
    with open(DATA / "UNSD-cn.csv", encoding="utf-8-sig", newline="") as fh:
        for row in csv.reader(fh):
            texts.extend(cell for cell in row if CJK_RUN.search(cell))
    evaluation = json.loads((ROOT / "tests" / "data" / "search_eval.json").read_text("utf-8"))
    texts += _zh(evaluation["records"])
    return [t for t in dict.fromkeys(texts) if CJK_RUN.search(t)]


def every_char(text: str) -> str:
    out: list[str] = []
    for raw in tokens(text):
        out.append(raw)
    for run in CJK_RUN.findall(text.lower()):
        if len(run) > 1:
            out.extend(run)
    return " ".join(out)


VARIANTS: dict[str, Callable[[str], str]] = {
    "bigrams (v1)": lambda text: " ".join(tokens(text)),
    "bigrams + run tails (v2, chosen)": fold,
    "bigrams + every character": every_char,
}


def sqlite_size(docs: list[str]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "fts.db")
        db = sqlite3.connect(path)
        db.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='unicode61')")
        db.executemany("INSERT INTO t (body) VALUES (?)", [(d,) for d in docs])
        db.commit()
        db.execute("INSERT INTO t(t) VALUES ('optimize')")
        db.commit()
        db.execute("VACUUM")
        db.close()
        return os.path.getsize(path)


def pg_size(url: str, docs: list[str]) -> int:
    import psycopg

    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT SUM(pg_column_size(to_tsvector('simple', d))) FROM unnest(%s::text[]) AS d",
            [docs],
        )
        row = cur.fetchone()
    return int(row[0] or 0) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=20)
    parser.add_argument("--pg", default="", help="a PostgreSQL URL: also size the tsvectors")
    args = parser.parse_args()
    texts = corpus()
    chars = sum(len(r) for t in texts for r in CJK_RUN.findall(t))
    runs = sum(len(CJK_RUN.findall(t)) for t in texts)
    print(
        f"{len(texts)} Chinese texts, {chars} CJK characters in {runs} runs; × {args.copies} copies"
    )
    header = "| index tokens | tokens | distinct terms | FTS5 file | vs v1 |"
    if args.pg:
        header += " PG tsvectors | vs v1 |"
    print(header)
    print("|---|---|---|---|---|" + ("---|---|" if args.pg else ""))
    base_sqlite = base_pg = 0
    for name, fn in VARIANTS.items():
        folded = [fn(t) for t in texts]
        n_tokens = sum(len(f.split()) for f in folded)
        terms = len({w for f in folded for w in f.split()})
        size = sqlite_size(folded * args.copies)
        base_sqlite = base_sqlite or size
        line = (
            f"| {name} | {n_tokens * args.copies:,} | {terms:,} | {size / 1024:,.0f} KiB | "
            f"{(size / base_sqlite - 1) * 100:+.1f} % |"
        )
        if args.pg:
            psize = pg_size(args.pg, folded * args.copies)
            base_pg = base_pg or psize
            line += f" {psize / 1024:,.0f} KiB | {(psize / base_pg - 1) * 100:+.1f} % |"
        print(line)


if __name__ == "__main__":
    main()
