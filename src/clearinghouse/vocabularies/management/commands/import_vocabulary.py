from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearinghouse.vocabularies import skos

SUFFIXES = {".ttl": "ttl", ".rdf": "rdf", ".xml": "rdf", ".jsonld": "jsonld", ".json": "jsonld"}
SUFFIXES[".csv"] = "csv"


class Command(BaseCommand):
    help = (
        "Import a SKOS file (Turtle, RDF/XML, JSON-LD or CSV). The file is checked first "
        "(SKOS integrity, references); on any violation nothing is stored and every "
        "violation is listed with its concept URI."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--format", choices=sorted(skos.FORMATS), help="default: by suffix")
        parser.add_argument(
            "--scheme", help="scheme identifier for concepts that name none (skos:inScheme)"
        )
        parser.add_argument(
            "--portal",
            help="portal code: import as that national portal's vocabulary (new schemes belong "
            "to it; shared schemes and other portals' schemes are refused)",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="deprecate (owl:deprecated, kept and still resolving) the concepts of the "
            "file's schemes that the file no longer lists",
        )

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["file"]))
        fmt = str(options["format"] or SUFFIXES.get(path.suffix.lower(), ""))
        if not fmt:
            raise CommandError(f"Cannot tell the format of {path.name}; pass --format.")
        scheme = options["scheme"]
        portal = None
        if options["portal"]:
            from clearinghouse.portals.models import Portal

            portal = Portal.objects.filter(code=str(options["portal"])).first()
            if portal is None:
                raise CommandError(f"No portal with code {options['portal']!r}.")
        try:
            report = skos.import_graph(
                skos.read(path.read_bytes(), fmt),
                str(scheme) if scheme else None,
                portal=portal,
                replace=bool(options["replace"]),
            )
        except skos.ImportFailed as failed:
            for violation in failed.violations:
                self.stderr.write(str(violation))
            raise CommandError(
                f"{len(failed.violations)} violation(s): nothing was imported."
            ) from None
        self.stdout.write(
            f"{report.schemes} scheme(s), {report.concepts} concept(s) "
            f"({report.created} new, {report.deprecated} deprecated) imported."
        )
