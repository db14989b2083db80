"""Publication and deletion requests, declared on the generic workflow engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clearinghouse.portals import permissions
from clearinghouse.records import services
from clearinghouse.records.models import Draft, Record
from clearinghouse.records.types import get_type
from clearinghouse.workflows import engine, notify
from clearinghouse.workflows.models import Request

PENDING, APPROVED, REJECTED, CANCELLED, EXPIRED = (
    "pending",
    "approved",
    "rejected",
    "cancelled",
    "expired",
)
STATES = (PENDING, APPROVED, REJECTED, CANCELLED, EXPIRED)
MAX_NOTE = 1000


def _is_reference(request: Request) -> bool:
    record = request.record
    return bool(record and record.portal.is_central and not get_type(record.schema).national)


def _can_decide(request: Request, user: Any) -> bool:
    return permissions.can_publish(user, request.portal, reference=_is_reference(request))


def _is_requester(request: Request, user: Any) -> bool:
    return bool(user and user.is_authenticated and request.created_by_id == user.pk)


def _unlock(request: Request, user: Any, comment: str) -> None:
    if request.record is not None:
        Draft.objects.filter(record=request.record).update(under_review=False)
    notify.decision(request)


def _publish(request: Request, user: Any, comment: str) -> None:
    assert request.record is not None
    Draft.objects.filter(record=request.record).update(under_review=False)
    services._publish_now(request.record, user)
    notify.decision(request)


def _delete(request: Request, user: Any, comment: str) -> None:
    assert request.record is not None
    services.delete_record(request.record, user)
    # Deleting removed the draft: a pending publication request has nothing left to publish.
    for pending in Request.objects.filter(record=request.record, kind="publish", state=PENDING):
        engine.perform(pending, "reject", user, _("The record was deleted."))
    notify.decision(request)


def _declare(kind: str, on_approve: engine.Effect) -> engine.Workflow:
    wf = engine.Workflow(
        kind=kind,
        states=STATES,
        initial=PENDING,
        final=frozenset({APPROVED, REJECTED, CANCELLED, EXPIRED}),
    )
    wf.action("approve", {PENDING}, APPROVED, _can_decide, on_approve)
    wf.action("reject", {PENDING}, REJECTED, _can_decide, _unlock, needs_comment=True)
    wf.action("cancel", {PENDING}, CANCELLED, _is_requester, _unlock)
    wf.action("expire", {PENDING}, EXPIRED, lambda r, u: False, _unlock)
    return engine.register(wf)


PUBLISH = _declare("publish", _publish)
DELETE = _declare("delete", _delete)


def _expiry() -> dt.datetime:
    return timezone.now() + dt.timedelta(days=settings.CLEARINGHOUSE_REQUEST_EXPIRY_DAYS)


def _check_note(note: str) -> None:
    if len(note) > MAX_NOTE:
        raise services.RecordError(
            _("The note may have at most %(limit)s characters.") % {"limit": MAX_NOTE}
        )


def request_publication(record: Record, user: Any, note: str = "", batch_id: str = "") -> Request:
    """Ask the publishing authority to publish the draft. The draft must be complete and
    valid, and is locked until the request is decided."""
    if not permissions.can_request_publication(user, record.portal):
        raise services.Forbidden(_("You cannot request publication on this portal."))
    _check_note(note)
    with transaction.atomic():
        draft = Draft.objects.select_for_update().filter(record=record).first()
        if draft is None:
            raise services.RecordError(_("There is no draft to publish."))
        if draft.under_review:
            raise services.Locked(_("A publication request for this draft is already pending."))
        services.check_valid(record.schema, draft.document, record.portal, record.uid)
        draft.under_review = True
        draft.locked_by = None
        draft.locked_until = None
        draft.save(update_fields=["under_review", "locked_by", "locked_until"])
        request = engine.open_request(
            PUBLISH,
            portal=record.portal,
            record=record,
            created_by=user,
            note=note,
            batch_id=batch_id,
            expires_at=_expiry(),
        )
        notify.new_request(request)
    return request


def request_deletion(record: Record, user: Any, note: str = "") -> Request:
    if not permissions.can_request_publication(user, record.portal):
        raise services.Forbidden(_("You cannot request deletion on this portal."))
    _check_note(note)
    if not record.is_public:
        raise services.RecordError(_("Only published records can be deleted."))
    if Request.objects.filter(record=record, kind=DELETE.kind, state=PENDING).exists():
        raise services.RecordError(_("A deletion request for this record is already pending."))
    with transaction.atomic():
        request = engine.open_request(
            DELETE,
            portal=record.portal,
            record=record,
            created_by=user,
            note=note,
            expires_at=_expiry(),
        )
        notify.new_request(request)
    return request


def decide_batch(
    batch_id: str, portal_id: int, action: str, user: Any, comment: str = ""
) -> list[Request]:
    """Approve or reject every pending request of a batch (one click for 40 uploads)."""
    pending = Request.objects.filter(portal_id=portal_id, batch_id=batch_id, state=PENDING)
    return [engine.perform(r, action, user, comment) for r in pending]


def expire_requests(now: dt.datetime | None = None) -> int:
    """Expire pending requests past their date; returns how many expired."""
    due = Request.objects.filter(state=PENDING, expires_at__lt=now or timezone.now())
    count = 0
    for request in due:
        engine.perform(request, "expire", None, _("Expired without a decision."))
        count += 1
    return count
