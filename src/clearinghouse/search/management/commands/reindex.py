"""Rebuild the search index into a shadow copy, then swap it in (the live index stays usable).

Resumable: the shadow copy survives an interruption, and a new run continues after the highest
record it had reached (``--restart`` starts over). Records published meanwhile are written to
both copies by the incremental indexer, so nothing is lost.

An index whose tokens are older than ``search.text.TOKENS_VERSION`` (e.g. built before single
Chinese characters were indexed) is re-tokenised in place from its stored text by
``--refold``, and by ``--pending`` (the cron run) the first time it sees it; a full rebuild
also brings it up to date."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from clearinghouse.records.models import Record
from clearinghouse.search import consistency, indexing, pgvector, semantic, thesaurus
from clearinghouse.search.backends import LIVE, SHADOW, get_backend
from clearinghouse.search.text import TOKENS_VERSION


def progress(done: int, total: int, started: float, out: Any, unit: str = "records") -> None:
    width = 30
    frac = done / total if total else 1.0
    bar = "#" * int(frac * width)
    rate = done / max(time.monotonic() - started, 1e-6)
    out.write(f"\r[{bar:<{width}}] {done}/{total} {unit} ({rate:.0f}/s)")
    out.flush()


def vector_upkeep(command: BaseCommand, out: Any, rebuild_cache: bool) -> None:
    """After (re)indexing: the one-time pgvector backfill when the server has pgvector
    (resumable), the shared vector file rewritten on a full rebuild; then which path serves
    semantic search."""
    if pgvector.extension_available() and pgvector.ensure():
        state = pgvector.state()
        if state is not None and not state[1]:
            command.stdout.write(
                f"Copying sentence vectors into pgvector (after record {state[0]})."
            )
            started = time.monotonic()

            def show(done: int, total: int) -> None:
                if out is not None:
                    progress(done, total, started, out, "vectors")

            copied = pgvector.backfill(progress=show)
            if out is not None:
                out.write("\n")
            command.stdout.write(f"{copied} vector(s) copied into pgvector.")
    if rebuild_cache and semantic.available() and semantic.rebuild_cache():
        command.stdout.write("Shared vector file rewritten.")
    command.stdout.write(f"Semantic search: {semantic.vector_path()}.")


class Command(BaseCommand):
    help = "Rebuild the search index (and sentence vectors) into a shadow copy and swap it in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=200)
        parser.add_argument("--restart", action="store_true", help="discard a partial rebuild")
        parser.add_argument(
            "--no-vectors", action="store_true", help="skip sentence vectors (lexical only)"
        )
        parser.add_argument(
            "--pending",
            action="store_true",
            help="only repair records left stale by failed index writes (quick; run from cron)",
        )
        parser.add_argument(
            "--refold",
            action="store_true",
            help="only re-tokenise the stored text in place (after a change of index tokens)",
        )
        parser.add_argument(
            "--stop-after", type=int, default=0, help="stop after N records (to test resuming)"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        backend = get_backend()
        thesaurus.invalidate()
        if opts["refold"] or (opts["pending"] and backend.tokens_outdated()):
            self.refold(backend, opts)
            if not opts["pending"]:
                return
        if opts["pending"]:
            if not backend.table_exists("search_record"):
                backend.create(LIVE)
            repaired = consistency.repair(opts["batch"])
            self.stdout.write(f"{repaired} pending record(s) re-indexed.")
            vector_upkeep(self, self.stdout if opts["verbosity"] else None, rebuild_cache=False)
            return
        if not backend.table_exists("search_record"):
            backend.create(LIVE)
        if opts["restart"]:
            backend.drop(SHADOW)
        if backend.table_exists("search_record_new"):
            after = backend.progress()
            self.stdout.write(f"Resuming a rebuild after record {after}.")
        else:
            backend.create(SHADOW)
            after = 0
        public = Record.objects.filter(published__isnull=False, deleted_at__isnull=True)
        total = public.count()
        done = public.filter(pk__lte=after).count()
        started = time.monotonic()
        out = self.stdout if opts["verbosity"] else None
        stop_after = opts["stop_after"]
        processed = 0
        while True:
            ids = list(
                public.filter(pk__gt=after)
                .order_by("pk")
                .values_list("pk", flat=True)[: opts["batch"]]
            )
            if not ids:
                break
            records = list(Record.objects.filter(pk__in=ids).select_related("published", "portal"))
            entries, _gone = indexing.build_entries(records)
            with transaction.atomic():
                backend.write(entries, suffixes=[SHADOW])
                backend.set_progress(ids[-1])
            if not opts["no_vectors"]:
                indexing.vectors(entries)
            after = ids[-1]
            done += len(ids)
            processed += len(ids)
            if out is not None:
                progress(done, total, started, out)
            if stop_after and processed >= stop_after:
                if out is not None:
                    out.write("\nStopped; run again to resume.\n")
                return
        if out is not None:
            if not processed:
                progress(done, total, started, out)
            out.write("\n")
        backend.swap()
        consistency.repair(opts["batch"])  # markers left by failed writes before the rebuild
        self.stdout.write(self.style.SUCCESS(f"Search index rebuilt: {backend.count()} records."))
        vector_upkeep(self, out, rebuild_cache=not opts["no_vectors"])
        sys.stdout.flush()

    def refold(self, backend: Any, opts: dict[str, Any]) -> None:
        if not backend.table_exists("search_record"):
            backend.create(LIVE)
        before = backend.tokens_version()
        self.stdout.write(
            f"Re-tokenising the stored text (index tokens version {before} → "
            f"{TOKENS_VERSION}); no record is re-parsed."
        )
        started = time.monotonic()
        out = self.stdout if opts["verbosity"] else None

        def report(suffix: str, done: int, total: int) -> None:
            if out is not None:
                progress(done, total, started, out, f"documents{suffix and ' (shadow copy)'}")

        n = backend.refold(max(opts["batch"], 1), report, opts["stop_after"])
        if out is not None:
            out.write("\n")
        if backend.tokens_outdated():
            self.stdout.write(f"{n} document(s) re-tokenised; stopped, run again to resume.")
        else:
            self.stdout.write(self.style.SUCCESS(f"{n} document(s) re-tokenised."))
