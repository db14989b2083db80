from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from clearinghouse.federation import iati
from clearinghouse.portals.cli import author, portal_by_code


class Command(BaseCommand):
    help = (
        "Import an IATI 2.03 activity file as capacity-building initiatives (drafts) of a "
        "portal, keyed by iati-identifier: the file is validated against the official schema "
        "and every activity against the record rules first; on any error nothing is stored "
        "and every error is printed with its line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="IATI activity XML file")
        parser.add_argument("--portal", required=True, help="code of the portal")
        parser.add_argument("--user", default="", help="username recorded as the author")

    def handle(self, *args: Any, **opts: Any) -> None:
        portal = portal_by_code(opts["portal"])
        user = author(opts["user"])
        try:
            data = Path(opts["file"]).read_bytes()
        except OSError as exc:
            raise CommandError(f"{opts['file']}: {exc.strerror or exc}") from exc
        with translation.override("en"):
            try:
                result = iati.import_activities(portal, data, user)
            except iati.IatiError as exc:
                raise CommandError(f"{opts['file']}: {exc}") from exc
            for problem in result.problems:
                self.stdout.write(f"{opts['file']}:{problem}")
            if not result.imported:
                raise CommandError(
                    f"{len(result.problems)} errors: nothing was imported from {opts['file']}."
                )
            for item in result.activities:
                verb = "created" if item.created else "updated"
                self.stdout.write(f"{item.identifier}: {verb} draft {item.uid}")
            self.stdout.write(
                f"{len(result.activities)} activities imported as drafts "
                f"({result.created} new, {result.updated} updated)."
            )
