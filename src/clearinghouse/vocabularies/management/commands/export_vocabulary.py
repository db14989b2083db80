import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearinghouse.vocabularies import skos
from clearinghouse.vocabularies.models import ConceptScheme


class Command(BaseCommand):
    help = "Export concept schemes as SKOS (Turtle, RDF/XML, JSON-LD) or CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("schemes", nargs="*", help="scheme identifiers (default: all)")
        parser.add_argument("--format", choices=sorted(skos.FORMATS), default="ttl")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args: object, **options: object) -> None:
        wanted = list(options["schemes"])  # type: ignore[call-overload]
        schemes = ConceptScheme.objects.all()
        if wanted:
            schemes = schemes.filter(identifier__in=wanted)
            missing = set(wanted) - {s.identifier for s in schemes}
            if missing:
                raise CommandError(f"Unknown scheme(s): {', '.join(sorted(missing))}")
        text = skos.export(str(options["format"]), list(schemes))
        if options["output"]:
            with open(str(options["output"]), "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)
