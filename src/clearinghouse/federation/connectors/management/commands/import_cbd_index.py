from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from clearinghouse.federation.connectors.cbd_index import CbdIndexConnector, new_source
from clearinghouse.federation.connectors.management.commands._common import (
    portal_or_error,
    run,
)


class Command(BaseCommand):
    help = (
        "Import records from the CBD's Solr index (/api/v2013/index) into a portal: record "
        "types that exist here, keyed by identifier_s (re-running updates, never duplicates), "
        "realm and source address kept as provenance. An interrupted import resumes at its "
        "last page."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--portal", required=True, help="code of the local portal")
        parser.add_argument(
            "--q",
            default="",
            help="Solr query (default: realm_ss:chm, and the portal's government_s)",
        )
        parser.add_argument("--base-url", default="", help="index address (setting by default)")
        parser.add_argument("--rows", type=int, default=100, help="documents per page")
        parser.add_argument("--timeout", type=float, default=0, help="seconds per request")
        parser.add_argument("--restart", action="store_true", help="start again from page 1")

    def handle(self, *args: Any, **opts: Any) -> None:
        portal = portal_or_error(opts["portal"])
        source = new_source(portal, opts["q"], opts["base_url"])
        connector = CbdIndexConnector(rows=max(1, opts["rows"]), timeout=opts["timeout"])
        run(self, source, connector, **opts)
