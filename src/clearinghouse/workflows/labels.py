"""The words readers see for the requests' kinds, states and actions, which are stored as
English codes ("publish", "pending", "approve"). Unknown codes are shown as they are."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

KINDS = {
    "publish": _("publication"),
    "delete": _("deletion"),
}
STATES = {
    "pending": _("pending"),
    "approved": _("approved"),
    "rejected": _("rejected"),
    "cancelled": _("cancelled"),
    "expired": _("expired"),
}
ACTIONS = {
    "create": _("request"),
    "approve": _("approval"),
    "reject": _("rejection"),
    "cancel": _("cancellation"),
    "expire": _("expiry"),
}


def kind_label(kind: str) -> str:
    return str(KINDS.get(kind, kind))


def state_label(state: str) -> str:
    return str(STATES.get(state, state))


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))
