from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearinghouse.portals.services import ProvisionError, provision_portal


class Command(BaseCommand):
    help = "Provision a national portal in one step: country, languages, host names, manager."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--country", required=True, help="ISO 3166 alpha-2, e.g. BJ")
        parser.add_argument("--languages", required=True, help="comma-separated, e.g. fr,en")
        parser.add_argument("--manager", required=True, help="e-mail of the first manager")
        parser.add_argument("--host", action="append", default=[], help="host name (repeat)")
        parser.add_argument("--code", default="", help="portal code (default: country)")
        parser.add_argument(
            "--status", default="prepublished", help="prepublished | live | archived"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            result = provision_portal(
                country=opts["country"],
                languages=[x.strip() for x in opts["languages"].split(",") if x.strip()],
                manager_email=opts["manager"],
                hosts=opts["host"] or None,
                code=opts["code"],
                status=opts["status"],
            )
        except ProvisionError as exc:
            raise CommandError(str(exc)) from exc
        portal = result.portal
        self.stdout.write(self.style.SUCCESS(f"Portal {portal.code} ({portal.country}) created"))
        self.stdout.write(f"  status:    {portal.status}")
        self.stdout.write(f"  languages: {', '.join(portal.languages)}")
        for host in result.hosts:
            self.stdout.write(f"  host:      http://{host}/")
        self.stdout.write(f"  manager:   {result.manager.email}")
        if result.password:
            self.stdout.write(f"  password:  {result.password}  (shown once; change it)")
