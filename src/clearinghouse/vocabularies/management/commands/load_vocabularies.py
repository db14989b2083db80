from django.core.management.base import BaseCommand

from clearinghouse.vocabularies.seed import load_all


class Command(BaseCommand):
    help = (
        "Load (or refresh) the vocabularies we ship: GBF, SDG, Aichi targets, countries, "
        "controlled lists, and the published crosswalks."
    )

    def handle(self, *args: object, **options: object) -> None:
        counts = load_all()
        self.stdout.write(", ".join(f"{k}: {v}" for k, v in counts.items()))
