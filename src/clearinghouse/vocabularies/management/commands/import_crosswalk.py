from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearinghouse.vocabularies import crosswalk


class Command(BaseCommand):
    help = (
        "Import a crosswalk CSV (header from,relation,to,source): SKOS mapping relations "
        "between concepts of different schemes, by identifier or URI. Every row is checked "
        "first; on any problem nothing is stored and every problem is listed with its line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--portal",
            help="portal code: a national portal may only map its own concepts (to any concept)",
        )
        parser.add_argument("--source", default="", help="source for rows that name none")

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["file"]))
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        portal = None
        if options["portal"]:
            from clearinghouse.portals.models import Portal

            portal = Portal.objects.filter(code=str(options["portal"])).first()
            if portal is None:
                raise CommandError(f"No portal with code {options['portal']!r}.")
        try:
            report = crosswalk.import_crosswalk(
                path.read_bytes(), portal=portal, source=str(options["source"] or "")
            )
        except crosswalk.CrosswalkFailed as failed:
            for problem in failed.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"{len(failed.problems)} problem(s): nothing was imported."
            ) from None
        self.stdout.write(
            f"{report.rows} row(s): {report.added} new mapping(s) on {report.concepts} concept(s)."
        )
