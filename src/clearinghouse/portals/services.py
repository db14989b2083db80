"""Portal actions: provisioning a national portal in one step."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from clearinghouse.portals.models import (
    AuditEntry,
    Membership,
    Portal,
    PortalHost,
    PortalKind,
    PortalStatus,
    Role,
)
from clearinghouse.records.i18n import UN_LANGUAGES
from clearinghouse.vocabularies.models import Concept


class ProvisionError(ValueError):
    pass


@dataclass
class Provisioned:
    portal: Portal
    manager: Any
    password: str | None  # None when the manager account already existed
    hosts: list[str]


def provision_portal(
    country: str,
    languages: list[str],
    manager_email: str,
    hosts: list[str] | None = None,
    code: str = "",
    status: str = PortalStatus.PREPUBLISHED,
    kind: str = PortalKind.NATIONAL,
    password: str | None = None,
) -> Provisioned:
    """Create a national portal with its host names and first manager, or explain why not."""
    country = country.strip().upper()
    problems = []
    concept = Concept.objects.filter(
        scheme__identifier="countries", identifier=country.lower()
    ).first()
    if kind == PortalKind.NATIONAL and concept is None:
        problems.append(
            f"country {country!r} is not an ISO 3166 alpha-2 code we know "
            "(load the vocabularies first: clearinghouse load_vocabularies)"
        )
    bad_langs = [lang for lang in languages if lang not in UN_LANGUAGES]
    if not languages or bad_langs:
        problems.append(f"languages must be among {', '.join(UN_LANGUAGES)} (got {languages})")
    if status not in PortalStatus.values:
        problems.append(f"status must be one of {', '.join(PortalStatus.values)}")
    if "@" not in manager_email:
        problems.append(f"manager e-mail {manager_email!r} is not an e-mail address")
    code = code or country.lower()
    hosts = [h.lower() for h in (hosts or [f"{code}.localhost"])]
    if Portal.objects.filter(code=code).exists():
        problems.append(f"a portal with code {code!r} already exists")
    taken = list(PortalHost.objects.filter(host__in=hosts).values_list("host", flat=True))
    if taken:
        problems.append(f"host names already used: {', '.join(taken)}")
    if problems:
        raise ProvisionError("; ".join(problems))
    names = dict(concept.pref_labels) if concept else {"en": "Central portal"}
    user_model = get_user_model()
    with transaction.atomic():
        portal = Portal.objects.create(
            code=code,
            kind=kind,
            country=country if kind == PortalKind.NATIONAL else "",
            name={lang: f"{label}" for lang, label in names.items()},
            languages=languages,
            default_language=languages[0],
            status=status,
        )
        for host in hosts:
            PortalHost.objects.create(portal=portal, host=host)
        manager = user_model.objects.filter(email__iexact=manager_email).first()
        new_password = None
        if manager is None:
            new_password = password or secrets.token_urlsafe(12)
            manager = user_model.objects.create_user(
                username=manager_email.lower(),
                email=manager_email.lower(),
                password=new_password,
            )
        Membership.objects.create(portal=portal, user=manager, role=Role.MANAGER)
        AuditEntry.objects.create(
            portal=portal,
            user=None,
            action="portal.provision",
            target=code,
            details={"hosts": hosts, "manager": manager_email},
        )
    return Provisioned(portal, manager, new_password, hosts)


def grant(portal: Portal, user: Any, role: str) -> Membership:
    if role not in Role.values:
        raise ProvisionError(f"role must be one of {', '.join(Role.values)}")
    membership, _created = Membership.objects.get_or_create(portal=portal, user=user, role=role)
    return membership
