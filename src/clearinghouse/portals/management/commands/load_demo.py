from typing import Any

from django.core.management.base import BaseCommand

from clearinghouse.portals.demo import DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = "Load demo portals, accounts and records (does nothing if already loaded)."

    def handle(self, *args: Any, **opts: Any) -> None:
        result = load_demo()
        if not result["created"]:
            self.stdout.write("Demo content already loaded.")
        self.stdout.write(self.style.SUCCESS("Demo portals:"))
        self.stdout.write("  central portal:          http://127.0.0.1:8000/")
        self.stdout.write("  Benin's national portal: http://localhost:8000/")
        self.stdout.write(self.style.SUCCESS(f"Demo accounts (password: {DEMO_PASSWORD}):"))
        self.stdout.write("  amina  authorized user, Benin (drafts, requests publication)")
        self.stdout.write("  jean   publishing authority, Benin (reviews, publishes)")
        self.stdout.write("  laila  Secretariat reviewer and manager, central portal; helpdesk")
        self.stdout.write("  carlos Peru: requests technical assistance")
        self.stdout.write("  chen, ieb, redunis  providers of technical assistance")
