from django.core.management.base import BaseCommand

from clearinghouse.vocabularies.seed import load_all


class Command(BaseCommand):
    help = "Load (or refresh) the GBF, country and controlled-list vocabularies we ship."

    def handle(self, *args: object, **options: object) -> None:
        counts = load_all()
        self.stdout.write(", ".join(f"{k}: {v} concepts" for k, v in counts.items()))
