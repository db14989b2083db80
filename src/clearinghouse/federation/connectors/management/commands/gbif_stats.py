from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearinghouse.federation.connectors.gbif import latest, take_snapshot
from clearinghouse.federation.connectors.http import ConnectorError
from clearinghouse.portals.models import Portal


class Command(BaseCommand):
    help = (
        "Fetch GBIF's statistics for a country (occurrences, datasets, publishers, top "
        "publishing countries) and store them as today's snapshot, shown on the country's "
        "portal. Without --country: every national portal's country."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--country", action="append", default=[], help="ISO alpha-2, e.g. BJ")
        parser.add_argument("--base-url", default="", help="GBIF API (setting by default)")
        parser.add_argument("--timeout", type=float, default=0, help="seconds per request")

    def handle(self, *args: Any, **opts: Any) -> None:
        countries = [c.upper() for c in opts["country"]] or sorted(
            set(Portal.objects.exclude(country="").values_list("country", flat=True))
        )
        if not countries:
            raise CommandError("No country: give --country XX or provision a national portal.")
        failed = []
        for country in countries:
            previous = latest(country)
            try:
                snap = take_snapshot(country, opts["base_url"], timeout=opts["timeout"])
            except ConnectorError as error:
                kept = (
                    f"the snapshot of {previous.date} is kept"
                    if previous
                    else "there is no earlier snapshot"
                )
                self.stderr.write(f"{country}: {error} ({kept}).")
                failed.append(country)
                continue
            top = ", ".join(f"{e['country']} {e['count']:,}" for e in snap.publishing_countries)
            self.stdout.write(
                f"{country} {snap.date}: {snap.occurrences:,} occurrences, "
                f"{snap.datasets_with_occurrences:,} datasets with occurrences, "
                f"{snap.datasets_published:,} datasets published, {snap.publishers:,} publishers; "
                f"top publishing countries: {top or '-'}"
            )
        if failed:
            raise CommandError(f"GBIF statistics failed for {', '.join(failed)}")
