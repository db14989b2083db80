"""Lookups shared by the import commands: the portal named by ``--portal`` and the author
named by ``--user``, each refused with the same message when it does not exist."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from clearinghouse.portals.models import Portal


def portal_by_code(code: str) -> Portal:
    portal = Portal.objects.filter(code=code).first()
    if portal is None:
        raise CommandError(f"No portal with code {code!r}")
    return portal


def author(username: str) -> Any:
    """The user recorded as the author, or None when no username is given."""
    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user {username!r}")
    return user
