from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearinghouse.federation.connectors.management.commands._common import (
    portal_or_error,
    run,
)
from clearinghouse.federation.connectors.panorama import COUNTRY, PanoramaConnector, new_source


class Command(BaseCommand):
    help = (
        "Import PANORAMA solutions of a country (/api/v1/solutions?country_iso_2[]=XX) into a "
        "portal as case studies, keyed by the solution id (re-running updates, never "
        "duplicates). An interrupted import resumes at its last page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--portal", required=True, help="code of the local portal")
        parser.add_argument("--country", default="", help="ISO alpha-2 (default: the portal's)")
        parser.add_argument("--base-url", default="", help="solutions API (setting by default)")
        parser.add_argument("--timeout", type=float, default=0, help="seconds per request")
        parser.add_argument("--restart", action="store_true", help="start again from page 1")

    def handle(self, *args: Any, **opts: Any) -> None:
        portal = portal_or_error(opts["portal"])
        country = (opts["country"] or portal.country).upper()
        if not COUNTRY.match(country):
            raise CommandError("--country needs an ISO alpha-2 code (the portal has none)")
        source = new_source(portal, country, opts["base_url"])
        run(self, source, PanoramaConnector(timeout=opts["timeout"]), **opts)
