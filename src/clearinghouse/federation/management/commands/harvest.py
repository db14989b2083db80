from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearinghouse.federation.harvest import Harvester
from clearinghouse.federation.models import HarvestSource, JobStatus
from clearinghouse.portals.models import Portal


class Command(BaseCommand):
    help = (
        "Harvest remote OAI-PMH sources (another portal's /oai, format cbd) into local portals. "
        "With --add, register a source first. Interrupted harvests resume from their last "
        "resumption token; complete ones continue incrementally."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("sources", nargs="*", type=int, help="source ids (default: all)")
        parser.add_argument("--add", metavar="BASE_URL", help="register this /oai URL")
        parser.add_argument("--portal", help="code of the local portal (with --add)")
        parser.add_argument("--name", default="", help="name of the source (with --add)")
        parser.add_argument("--set", default="", help="harvest only this set (with --add)")
        parser.add_argument("--full", action="store_true", help="ignore the last harvest date")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["add"]:
            portal = Portal.objects.filter(code=opts["portal"] or "").first()
            if portal is None:
                raise CommandError("--add needs --portal CODE of an existing portal")
            source, _ = HarvestSource.objects.get_or_create(
                base_url=opts["add"],
                portal=portal,
                set_spec=opts["set"],
                defaults={"name": opts["name"] or opts["add"]},
            )
            self.stdout.write(f"source {source.pk}: {source.base_url} → {portal.code}")
            if not opts["sources"]:
                opts["sources"] = [source.pk]
        sources = HarvestSource.objects.filter(enabled=True).order_by("pk")
        if opts["sources"]:
            sources = sources.filter(pk__in=opts["sources"])
        failed = False
        for source in sources:
            job = Harvester().harvest(source, full=opts["full"])
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
            failed = failed or job.status != JobStatus.DONE
        if failed:
            raise CommandError("some harvests did not complete (see above)")
