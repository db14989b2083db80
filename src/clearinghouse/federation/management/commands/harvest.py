import re
import sys
import time
from typing import Any, TextIO

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from clearinghouse.federation.harvest import due_sources, run_source
from clearinghouse.federation.models import HarvestJob, HarvestSource, JobStatus
from clearinghouse.portals.models import Portal

DURATION = re.compile(r"^(\d+)\s*([mhd]?)$")
UNIT_MINUTES = {"": 1, "m": 1, "h": 60, "d": 24 * 60}


def parse_minutes(option: str, value: str, allow_zero: bool = False) -> int:
    """``30m``, ``6h``, ``1d`` or a number of minutes."""
    match = DURATION.match(value.strip().lower())
    minutes = int(match.group(1)) * UNIT_MINUTES[match.group(2)] if match else -1
    if minutes < 0 or (minutes == 0 and not allow_zero):
        raise CommandError(
            _("%(option)s: %(value)r is not a duration such as 30m, 6h or 1d.")
            % {"option": option, "value": value}
        )
    return minutes


class ProgressBar:
    """One line redrawn after every page: ``[#####-----] 12,500/100,000 records …``."""

    WIDTH = 30

    def __init__(self, out: TextIO, source: HarvestSource, redraw: bool) -> None:
        self.out, self.source, self.redraw = out, source, redraw
        self.first: tuple[float, int] | None = None  # (time, records) at the first page

    def __call__(self, job: HarvestJob) -> None:
        fetched, now = job.fetched, time.monotonic()
        if self.first is None:
            self.first = (now, fetched)
        elapsed = now - self.first[0]
        rate = (fetched - self.first[1]) / elapsed if elapsed > 0 else 0.0
        if job.expected:
            share = min(fetched / job.expected, 1.0)
            filled = int(share * self.WIDTH)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            count = f"[{bar}] {fetched:,}/{job.expected:,} records ({share:.0%})"
        else:
            count = f"{fetched:,} records"
        line = (
            f"{self.source.pk} {self.source.name}: {count}, {job.pages} pages, "
            f"{job.created:,} created, {job.updated:,} updated, {job.deleted:,} deleted, "
            f"{job.quarantined:,} quarantined, {rate:,.0f} records/s"
        )
        self.out.write(("\r" + line) if self.redraw else line + "\n")
        self.out.flush()

    def close(self) -> None:
        if self.redraw:
            self.out.write("\n")
            self.out.flush()


class Command(BaseCommand):
    help = (
        "Harvest remote OAI-PMH sources (another portal's /oai, format cbd) into local portals. "
        "With --add, register a source first. Interrupted or timed-out harvests resume from "
        "their last resumption token; complete ones continue incrementally. With --due (for "
        "cron, every minute), run only the scheduled sources whose next run has come."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sources", nargs="*", type=int, help="source ids (default: all)")
        parser.add_argument("--add", metavar="BASE_URL", help="register this /oai URL")
        parser.add_argument("--portal", help="code of the local portal (with --add)")
        parser.add_argument("--name", default="", help="name of the source (with --add)")
        parser.add_argument("--set", default="", help="harvest only this set (with --add)")
        parser.add_argument("--full", action="store_true", help="ignore the last harvest date")
        parser.add_argument(
            "--due",
            action="store_true",
            help="run the scheduled sources whose next run has come (safe from cron every "
            "minute: a source being harvested is not started twice)",
        )
        parser.add_argument(
            "--every", metavar="DURATION", help="schedule the sources: every 30m, 6h, 1d, …"
        )
        parser.add_argument(
            "--no-schedule", action="store_true", help="take the sources off the schedule"
        )
        parser.add_argument(
            "--timeout", metavar="DURATION", help="time limit of a job (30m, 2h; 0: none)"
        )
        parser.add_argument(
            "--progress",
            action="store_true",
            help="show the progress bar even when the output is not a terminal",
        )
        parser.add_argument("--no-run", action="store_true", help="only register or schedule")

    def handle(self, *args: Any, **opts: Any) -> None:
        every = parse_minutes("--every", opts["every"]) if opts["every"] else None
        timeout = (
            parse_minutes("--timeout", opts["timeout"], allow_zero=True)
            if opts["timeout"] is not None
            else None
        )
        if opts["add"]:
            try:
                URLValidator(schemes=["http", "https"])(opts["add"])
            except ValidationError:
                raise CommandError(
                    _("--add: %(value)r is not an http(s) URL of an OAI-PMH endpoint.")
                    % {"value": opts["add"]}
                ) from None
            portal = Portal.objects.filter(code=opts["portal"] or "").first()
            if portal is None:
                raise CommandError(_("--add needs --portal CODE of an existing portal"))
            source, _created = HarvestSource.objects.get_or_create(
                base_url=opts["add"],
                portal=portal,
                set_spec=opts["set"],
                defaults={"name": opts["name"] or opts["add"]},
            )
            self.stdout.write(f"source {source.pk}: {source.base_url} → {portal.code}")
            if not opts["sources"]:
                opts["sources"] = [source.pk]
        if opts["sources"]:
            unknown = set(opts["sources"]) - set(
                HarvestSource.objects.filter(pk__in=opts["sources"]).values_list("pk", flat=True)
            )
            if unknown:
                raise CommandError(
                    _("No harvest source with id %(ids)s.")
                    % {"ids": ", ".join(map(str, sorted(unknown)))}
                )
        if every is not None or timeout is not None or opts["no_schedule"]:
            self._configure(opts["sources"], every, timeout, opts["no_schedule"])
        if opts["no_run"]:
            return
        if opts["due"]:
            sources = list(due_sources())
            if opts["sources"]:
                sources = [s for s in sources if s.pk in opts["sources"]]
        else:
            queryset = HarvestSource.objects.filter(enabled=True).order_by("pk")
            if opts["sources"]:
                queryset = queryset.filter(pk__in=opts["sources"])
            sources = list(queryset)
        failed = False
        for source in sources:
            full = opts["full"] or (opts["due"] and source.run_requested_full)
            err: TextIO = self.stderr  # type: ignore[assignment]
            redraw = bool(getattr(sys.stderr, "isatty", lambda: False)())
            bar = ProgressBar(err, source, redraw) if (redraw or opts["progress"]) else None
            job = run_source(source, full=full, on_page=bar)
            if bar is not None:
                bar.close()
            if job is None:
                self.stdout.write(
                    _("%(id)s %(name)s: already being harvested by another process; not started.")
                    % {"id": source.pk, "name": source.name}
                )
                failed = failed or not opts["due"]
                continue
            self._report(source, job)
            complete = job.status == JobStatus.DONE or (
                opts["due"] and job.status == JobStatus.TIMED_OUT
            )
            failed = failed or not complete
        if failed:
            raise CommandError(_("some harvests did not complete (see above)"))

    def _configure(
        self, ids: list[int], every: int | None, timeout: int | None, unschedule: bool
    ) -> None:
        if not ids:
            raise CommandError(_("--every, --timeout and --no-schedule need source ids or --add"))
        for source in HarvestSource.objects.filter(pk__in=ids).order_by("pk"):
            if every is not None:
                source.scheduled, source.interval_minutes = True, every
            if unschedule:
                source.scheduled = False
            if timeout is not None:
                source.timeout_minutes = timeout
            source.save(update_fields=["scheduled", "interval_minutes", "timeout_minutes"])
            self.stdout.write(
                f"source {source.pk}: "
                + (f"every {source.interval_minutes} min" if source.scheduled else "not scheduled")
                + f", time limit {source.timeout_minutes or '∞'} min"
            )

    def _report(self, source: HarvestSource, job: HarvestJob) -> None:
        self.stdout.write(
            f"{source.pk} {source.name}: {job.status}, {job.pages} pages, "
            f"{job.created} created, {job.updated} updated, {job.unchanged} unchanged, "
            f"{job.deleted} deleted, {job.quarantined} quarantined"
        )
        if job.error:
            self.stdout.write(f"  {job.error}")
        for entry in job.report:
            self.stdout.write(
                f"  quarantined {entry['identifier'] or '(no identifier)'} "
                f"{entry['datestamp']}: {entry['problem']}"
            )
