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

    def handle(self, *args: object, **options: object) -> None:
        path = Path(str(options["file"]))
        fmt = str(options["format"] or SUFFIXES.get(path.suffix.lower(), ""))
        if not fmt:
            raise CommandError(f"Cannot tell the format of {path.name}; pass --format.")
        scheme = options["scheme"]
        try:
            report = skos.import_graph(
                skos.read(path.read_bytes(), fmt), str(scheme) if scheme else None
            )
        except skos.ImportFailed as failed:
            for violation in failed.violations:
                self.stderr.write(str(violation))
            raise CommandError(
                f"{len(failed.violations)} violation(s): nothing was imported."
            ) from None
        self.stdout.write(
            f"{report.schemes} scheme(s), {report.concepts} concept(s) "
            f"({report.created} new) imported."
        )
