import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearinghouse.federation import warc


class Command(BaseCommand):
    help = (
        "Archive a portal's public pages (homes, browse pages, record pages in each language, "
        "files, static assets; vocabulary pages with --vocab) into a WARC 1.1 file "
        "(gzip). Same host only and bounded; an interrupted run is resumed by the next run "
        "with the same OUTPUT."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", help="the WARC file to write, e.g. benin.warc.gz")
        parser.add_argument(
            "--portal",
            default="http://127.0.0.1:8000",
            help="the portal's address: https://host[:port] (a bare host name means https)",
        )
        parser.add_argument("--record", default="", help="archive only this record (uid)")
        parser.add_argument("--vocab", action="store_true", help="also vocabulary pages")
        parser.add_argument("--max-pages", type=int, default=5000, help="most fetches (5000)")
        parser.add_argument(
            "--max-mb", type=int, default=100, help="skip responses larger than this (100 MB)"
        )
        parser.add_argument("--delay", type=float, default=0.0, help="seconds between fetches")
        parser.add_argument("--workers", type=int, default=1, help="fetches at a time, 1 to 16 (1)")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["max_pages"] < 1 or opts["max_mb"] < 1 or opts["delay"] < 0:
            raise CommandError("--max-pages and --max-mb must be positive, --delay not negative.")
        if not 1 <= opts["workers"] <= 16:
            raise CommandError("--workers must be from 1 to 16.")
        output = Path(opts["output"])
        if output.is_dir():
            raise CommandError(f"{output} is a directory; give a file name (….warc.gz).")
        limits = warc.Limits(
            max_fetches=opts["max_pages"],
            max_bytes=opts["max_mb"] * 1024 * 1024,
            delay_s=opts["delay"],
            vocab=opts["vocab"],
            workers=opts["workers"],
        )
        try:
            result = warc.snapshot(
                opts["portal"],
                output,
                record_uid=opts["record"],
                limits=limits,
                progress=None if opts["quiet"] else sys.stderr,
            )
        except warc.SnapshotError as exc:
            raise CommandError(str(exc)) from exc
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(result.statuses.items()))
        self.stdout.write(
            f"{result.path}: {result.total} pages archived "
            f"({result.fetched} fetched now, {result.resumed} resumed); status {statuses or '-'}"
        )
        for problem in result.skipped:
            self.stdout.write(f"skipped {problem}")
        if result.truncated:
            self.stdout.write(f"stopped at --max-pages {limits.max_fetches}")
