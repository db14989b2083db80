"""``clearinghouse oai_set add|list|remove``: OAI-PMH sets defined by stored queries."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clearinghouse.federation import sets
from clearinghouse.federation.models import StoredSet
from clearinghouse.portals.models import Portal

# The model's fields, as the command's arguments.
ARGUMENTS = {
    "__all__": "--type/--country/--target",
    "record_types": "--type",
    "countries": "--country",
    "targets": "--target",
}


class Command(BaseCommand):
    help = (
        "OAI-PMH sets defined by stored queries: 'add' a set query:<spec> of a portal's records "
        "of the given types (--type), countries (--country) and GBF targets (--target): all "
        "kinds given must match, any value of a kind; 'list' them; 'remove' one."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="store a set")
        add.add_argument("--portal", required=True, help="the portal's code, e.g. bj")
        add.add_argument("--spec", required=True, help="the set's slug: set spec query:<slug>")
        add.add_argument("--name", required=True, help="the set's name (setName)")
        add.add_argument("--description", default="", help="a longer description")
        add.add_argument(
            "--type", action="append", default=[], dest="types", help="a record type (repeat)"
        )
        add.add_argument(
            "--country", action="append", default=[], dest="countries", help="ISO2, e.g. BJ"
        )
        add.add_argument(
            "--target", action="append", default=[], dest="targets", help="e.g. GBF-TARGET-02"
        )
        listing = actions.add_parser("list", help="list the stored sets")
        listing.add_argument("--portal", default="", help="only this portal's sets")
        remove = actions.add_parser("remove", help="remove a set")
        remove.add_argument("--portal", required=True, help="the portal's code")
        remove.add_argument("--spec", required=True, help="the set's slug")

    def handle(self, *args: Any, **opts: Any) -> None:
        getattr(self, f"_{opts['action']}")(opts)

    def _portal(self, code: str) -> Portal:
        portal = Portal.objects.filter(code=code).first()
        if portal is None:
            raise CommandError(_("--portal: there is no portal %(code)r.") % {"code": code})
        return portal

    @staticmethod
    def _slug(spec: str) -> str:
        if not spec or slugify(spec) != spec or not sets.SET_SPEC.match(f"query:{spec}"):
            raise CommandError(
                _(
                    "--spec: %(spec)r is not a slug (lower-case letters, digits, "
                    "hyphens, underscores)."
                )
                % {"spec": spec}
            )
        return spec

    def _add(self, opts: dict[str, Any]) -> None:
        portal = self._portal(opts["portal"])
        spec = self._slug(opts["spec"])
        name = opts["name"].strip()
        if not name:
            raise CommandError(_("--name: the name is empty."))
        types, countries, targets = sets.normalize_criteria(
            opts["types"], opts["countries"], opts["targets"]
        )
        errors = sets.criteria_errors(types, countries, targets)
        if errors:
            raise CommandError(
                "\n".join(
                    f"{ARGUMENTS[field]}: {message}"
                    for field, messages in errors.items()
                    for message in messages
                )
            )
        with transaction.atomic():
            if StoredSet.objects.filter(portal=portal, spec=spec).exists():
                raise CommandError(
                    _("--spec: the portal %(portal)s already has a set %(spec)r.")
                    % {"portal": portal.code, "spec": f"query:{spec}"}
                )
            stored = StoredSet.objects.create(
                portal=portal,
                spec=spec,
                name=name,
                description=opts["description"],
                record_types=types,
                countries=countries,
                targets=targets,
            )
        self.stdout.write(
            _("Added %(spec)s to %(portal)s.")
            % {
                "spec": stored.set_spec,
                "portal": portal.code,
            }
        )

    def _list(self, opts: dict[str, Any]) -> None:
        found = StoredSet.objects.select_related("portal").order_by("portal__code", "spec")
        if opts["portal"]:
            found = found.filter(portal=self._portal(opts["portal"]))
        for s in found:
            criteria = "; ".join(
                f"{label}: {', '.join(values)}"
                for label, values in (
                    ("types", s.record_types),
                    ("countries", [c.upper() for c in s.countries]),
                    ("targets", s.targets),
                )
                if values
            )
            self.stdout.write(f"{s.portal.code}\t{s.set_spec}\t{s.name}\t{criteria}")

    def _remove(self, opts: dict[str, Any]) -> None:
        portal = self._portal(opts["portal"])
        deleted, _rows = StoredSet.objects.filter(portal=portal, spec=opts["spec"]).delete()
        if not deleted:
            raise CommandError(
                _("--spec: the portal %(portal)s has no set %(spec)r.")
                % {"portal": portal.code, "spec": f"query:{opts['spec']}"}
            )
        self.stdout.write(
            _("Removed query:%(spec)s from %(portal)s.")
            % {
                "spec": opts["spec"],
                "portal": portal.code,
            }
        )
