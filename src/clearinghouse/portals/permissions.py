"""Role checks. A user's rights on one portal never leak to another."""

from __future__ import annotations

from typing import Any

from clearinghouse.portals.models import Membership, Portal, Role

DRAFTERS = {Role.MANAGER, Role.PUBLISHING_AUTHORITY, Role.AUTHORIZED_USER, Role.CONTRIBUTOR}
REQUESTERS = {Role.MANAGER, Role.PUBLISHING_AUTHORITY, Role.AUTHORIZED_USER}
PUBLISHERS = {Role.MANAGER, Role.PUBLISHING_AUTHORITY}


def roles_on(user: Any, portal: Portal) -> set[str]:
    if user is None or not user.is_authenticated:
        return set()
    cache = getattr(user, "_portal_roles", None)
    if cache is None:
        cache = {}
        user._portal_roles = cache
    if portal.pk not in cache:
        cache[portal.pk] = set(
            Membership.objects.filter(user=user, portal=portal).values_list("role", flat=True)
        )
    roles: set[str] = cache[portal.pk]
    return roles


def can_read_drafts(user: Any, portal: Portal) -> bool:
    return bool(roles_on(user, portal) & (DRAFTERS | {Role.SECRETARIAT}))


def can_draft(user: Any, portal: Portal) -> bool:
    return bool(roles_on(user, portal) & DRAFTERS)


def can_request_publication(user: Any, portal: Portal) -> bool:
    return bool(roles_on(user, portal) & REQUESTERS)


def can_publish(user: Any, portal: Portal, reference: bool = False) -> bool:
    roles = roles_on(user, portal)
    if reference:
        # Reference records (not owned by a country) are approved by the Secretariat.
        return Role.SECRETARIAT in roles or (portal.is_central and Role.MANAGER in roles)
    return bool(roles & PUBLISHERS)


def can_manage(user: Any, portal: Portal) -> bool:
    return Role.MANAGER in roles_on(user, portal) or bool(user and user.is_superuser)
