"""A small declared state machine for requests.

A ``Workflow`` lists its states and its actions; each action names the states it may start
from, the state it leads to, who may take it and what it does. Everything else — the audit
trail, the history, the refusal of illegal moves — is done here once for every workflow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clearinghouse.portals.models import AuditEntry
from clearinghouse.workflows.models import Request, RequestEvent

Guard = Callable[[Request, Any], bool]
Effect = Callable[[Request, Any, str], None]


class WorkflowError(Exception):
    """Base class: the message is meant for the person who tried the action."""


class IllegalTransition(WorkflowError):
    pass


class NotAllowed(WorkflowError):
    pass


@dataclass(frozen=True)
class Action:
    name: str
    sources: frozenset[str]
    target: str
    allowed: Guard
    effect: Effect | None = None
    needs_comment: bool = False


@dataclass
class Workflow:
    kind: str
    states: tuple[str, ...]
    initial: str
    final: frozenset[str]
    actions: dict[str, Action] = field(default_factory=dict)

    def action(
        self,
        name: str,
        sources: set[str],
        target: str,
        allowed: Guard,
        effect: Effect | None = None,
        needs_comment: bool = False,
    ) -> None:
        unknown = (sources | {target}) - set(self.states)
        if unknown:
            raise ValueError(f"{self.kind}.{name}: unknown states {sorted(unknown)}")
        self.actions[name] = Action(
            name, frozenset(sources), target, allowed, effect, needs_comment
        )

    def available(self, request: Request, user: Any) -> list[str]:
        return [
            a.name
            for a in self.actions.values()
            if request.state in a.sources and (user is None or a.allowed(request, user))
        ]


REGISTRY: dict[str, Workflow] = {}


def register(workflow: Workflow) -> Workflow:
    REGISTRY[workflow.kind] = workflow
    return workflow


def workflow_for(request: Request) -> Workflow:
    return REGISTRY[request.kind]


def open_request(workflow: Workflow, **fields: Any) -> Request:
    """Create a request in the workflow's initial state, with its first history entry."""
    request = Request.objects.create(kind=workflow.kind, state=workflow.initial, **fields)
    RequestEvent.objects.create(
        request=request,
        action="create",
        to_state=workflow.initial,
        user=fields.get("created_by"),
        comment=fields.get("note", ""),
    )
    return request


def perform(request: Request, action_name: str, user: Any, comment: str = "") -> Request:
    """Take ``action_name`` on ``request``; refuse clearly if the move is illegal or forbidden.

    ``user`` None means the system itself (expiry), which is always allowed."""
    workflow = workflow_for(request)
    action = workflow.actions.get(action_name)
    if action is None:
        raise IllegalTransition(
            _("“%(action)s” is not an action of %(kind)s requests. Possible actions: %(list)s.")
            % {"action": action_name, "kind": workflow.kind, "list": ", ".join(workflow.actions)}
        )
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=request.pk)
        if locked.state not in action.sources:
            allowed = workflow.available(locked, None)
            raise IllegalTransition(
                _("Cannot %(action)s a request that is %(state)s. Possible now: %(list)s.")
                % {
                    "action": action_name,
                    "state": locked.state,
                    "list": ", ".join(allowed) or _("nothing (the request is closed)"),
                }
            )
        if user is not None and not action.allowed(locked, user):
            raise NotAllowed(
                _("You are not allowed to %(action)s this request.") % {"action": action_name}
            )
        if action.needs_comment and not comment.strip():
            raise NotAllowed(_("Please give a comment explaining the decision."))
        previous = locked.state
        locked.state = action.target
        if action.target in workflow.final:
            locked.decided_by = user
            locked.decided_at = timezone.now()
            locked.comment = comment
        locked.save()
        RequestEvent.objects.create(
            request=locked,
            action=action_name,
            from_state=previous,
            to_state=action.target,
            user=user,
            comment=comment,
        )
        AuditEntry.objects.create(
            portal=locked.portal,
            user=user,
            action=f"{locked.kind}.{action_name}",
            target=locked.record.uid if locked.record else f"request:{locked.pk}",
            details={
                "request": locked.pk,
                "from": previous,
                "to": action.target,
                "comment": comment,
            },
        )
        if action.effect is not None:
            action.effect(locked, user, comment)
    return locked
