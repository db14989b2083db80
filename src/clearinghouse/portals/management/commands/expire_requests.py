from typing import Any

from django.core.management.base import BaseCommand

from clearinghouse.workflows.publication import expire_requests


class Command(BaseCommand):
    help = "Expire pending requests past their expiry date (run daily)."

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(f"{expire_requests()} requests expired")
