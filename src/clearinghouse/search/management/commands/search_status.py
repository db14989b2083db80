"""Where search stands: the lexical index, the stored vectors and which path serves semantic
search (pgvector, the shared memory-mapped file, or each process's memory)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection

from clearinghouse.search import pgvector, semantic, vector_cache
from clearinghouse.search.backends import get_backend
from clearinghouse.search.models import RecordVector


class Command(BaseCommand):
    help = "Show the search index's size and which path serves semantic search."

    def handle(self, *args: Any, **opts: Any) -> None:
        backend = get_backend()
        indexed = backend.count() if backend.table_exists("search_record") else 0
        out = self.stdout
        out.write(f"Database: {connection.vendor}")
        out.write(f"Records in the search index: {indexed}")
        out.write(f"Sentence vectors stored: {RecordVector.objects.count()}")
        out.write(f"Semantic search: {semantic.vector_path()}")
        if connection.vendor == "postgresql":
            if not pgvector.extension_available():
                out.write("pgvector: not available on this server (vectors searched in numpy)")
            else:
                state = pgvector.state()
                if state is None:
                    out.write(
                        "pgvector: available; its table is created on the next publication "
                        "or `clearinghouse reindex --pending`"
                    )
                else:
                    done = "complete" if state[1] else f"in progress (after record {state[0]})"
                    out.write(f"pgvector: {pgvector.count()} vectors, backfill {done}")
        cache = vector_cache.describe()
        if vector_cache.root() is None:
            out.write("Shared vector file: off (CLEARINGHOUSE_VECTOR_CACHE)")
        elif cache is None:
            out.write(
                f"Shared vector file: none yet in {vector_cache.directory()} (written from "
                f"{vector_cache.minimum()} vectors on, at the first semantic query)"
            )
        else:
            written = dt.datetime.fromtimestamp(cache["written_at"], tz=dt.UTC)
            out.write(
                f"Shared vector file: {cache['rows']} vectors × {cache['width']} "
                f"({cache['bytes'] / 1e6:.1f} MB) in {cache['folder']}, written "
                f"{written:%Y-%m-%d %H:%M:%S} UTC"
            )
