import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from clearinghouse.federation import akn
from clearinghouse.portals.cli import author
from clearinghouse.portals.models import Portal


class Command(BaseCommand):
    help = (
        "Import decisions from Akoma Ntoso 3.0 XML files (one language each). Every file is "
        "validated against the AKN schema and the decision record type first; if any has an "
        "error, nothing is stored. A decision is created, or updated when one with the same "
        "FRBR work URI exists on the portal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="AKN XML files ('-' reads standard input)")
        parser.add_argument("--portal", default="", help="code of the portal (default: central)")
        parser.add_argument("--user", default="", help="username recorded as the author")
        parser.add_argument("--publish", action="store_true", help="publish at once")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        portals = Portal.objects.all()
        portal = (
            portals.filter(code=opts["portal"]).first()
            if opts["portal"]
            else portals.filter(kind="central").first()
        )
        if portal is None:
            raise CommandError(f"No portal with code {opts['portal'] or '(central)'!r}")
        user = author(opts["user"])
        files = []
        for name in opts["files"]:
            try:
                data = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
            except OSError as exc:
                raise CommandError(f"{name}: cannot read: {exc}") from exc
            files.append((name, data))
        with translation.override("en"):
            result = akn.import_files(portal, files, user, publish=opts["publish"])
            if opts["json"]:
                self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
            else:
                for report in result.reports:
                    for error in report.schema_errors:
                        self.stdout.write(f"{report.name}: {error}")
                    for issue in report.issues:
                        self.stdout.write(f"{report.name}: {issue.property}: {issue.message()}")
                    if report.uid:
                        verb = "created" if report.created else "updated"
                        self.stdout.write(
                            f"{report.name}: {verb} {report.uid} ({report.work}, {report.language})"
                        )
        if not result.imported:
            failed = sum(1 for r in result.reports if not r.ok)
            raise CommandError(
                f"{failed} of {len(result.reports)} files have errors: nothing was imported."
            )
