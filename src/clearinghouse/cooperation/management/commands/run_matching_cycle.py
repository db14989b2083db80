from typing import Any

from django.core.management.base import BaseCommand

from clearinghouse.cooperation.services import run_cycle


class Command(BaseCommand):
    help = (
        "Run one matching cycle over validated requests for technical assistance; requests "
        "unmatched after two cycles are flagged for the last-resort fund (helpdesk notified)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        stats = run_cycle()
        self.stdout.write(
            f"{stats['requests']} requests, {stats['with_suggestions']} with suggestions, "
            f"{stats['escalated']} escalated"
        )
