import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from clearinghouse.federation import cbdjson
from clearinghouse.portals.cli import author, portal_by_code


class Command(BaseCommand):
    help = (
        'Import CBD record JSON documents (one document, a list, or {"documents": [...]}) '
        "as drafts of a portal. Every document is validated first; if any has an error, "
        "nothing is imported and every error is reported with its CBD code."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="JSON files ('-' reads standard input)")
        parser.add_argument("--portal", required=True, help="code of the portal")
        parser.add_argument("--user", default="", help="username recorded as the author")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        portal = portal_by_code(opts["portal"])
        user = author(opts["user"])
        documents: list[Any] = []
        for name in opts["files"]:
            try:
                text = sys.stdin.read() if name == "-" else Path(name).read_text("utf-8")
                documents += cbdjson.documents_of(json.loads(text))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise CommandError(f"{name}: cannot read JSON: {exc}") from exc
        with translation.override("en"):
            try:
                result = cbdjson.import_documents(portal, documents, user)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            if opts["json"]:
                self.stdout.write(json.dumps(result.as_cbd(), ensure_ascii=False, indent=2))
            else:
                self._print(result)
        if not result.imported:
            raise CommandError(
                f"{len(result.failed)} of {len(result.reports)} documents have errors: "
                "nothing was imported."
            )

    def _print(self, result: cbdjson.ImportResult) -> None:
        for report in result.reports:
            name = report.identifier or "(no identifier)"
            label = f"#{report.index} {name} [{report.schema or '?'}]"
            if report.uid:
                self.stdout.write(f"{label}: imported as draft {report.uid}")
            for issue in report.issues:
                self.stdout.write(f"{label}: {issue.code} {issue.property}: {issue.message()}")
        if result.imported:
            self.stdout.write(f"{len(result.reports)} documents imported as drafts.")
