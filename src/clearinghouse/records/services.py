"""Record actions: every state change to records goes through one of these functions.

Views and the API only parse input and call them; each action validates, changes state
atomically and writes the audit log."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from clearinghouse.portals import permissions
from clearinghouse.portals.models import AuditEntry, Portal
from clearinghouse.records.errors import RecordInvalid
from clearinghouse.records.models import Draft, Record, Revision, new_uid
from clearinghouse.records.signals import public_changed
from clearinghouse.records.types import get_type
from clearinghouse.records.validation import validate


class RecordError(Exception):
    """A refusal meant for the user (permission, lock, state)."""


class Forbidden(RecordError):
    pass


class Locked(RecordError):
    pass


def _audit(portal: Portal, user: Any, action: str, record: Record, **details: Any) -> None:
    AuditEntry.objects.create(
        portal=portal,
        user=user if user and user.is_authenticated else None,
        action=action,
        target=record.uid,
        details=details,
    )


def normalise(
    record_type: str, document: dict[str, Any], portal: Portal, uid: str = ""
) -> dict[str, Any]:
    """Fill the envelope (header, government) the way the CBD format has it."""
    doc = copy.deepcopy(document) if isinstance(document, dict) else {}
    raw_header = doc.get("header")
    header: dict[str, Any] = dict(raw_header) if isinstance(raw_header, dict) else {}
    header["schema"] = record_type
    if uid:
        header["identifier"] = uid
    if "languages" not in header:
        header["languages"] = [portal.default_language]
    doc["header"] = header
    rtype = get_type(record_type)
    if portal.country and (rtype.national or "government" in doc or not portal.is_central):
        doc.setdefault("government", {"identifier": portal.country.lower()})
    return doc


def check_valid(record_type: str, document: dict[str, Any], portal: Portal, uid: str = "") -> None:
    issues = validate(get_type(record_type), document, portal)
    if issues:
        raise RecordInvalid(issues, uid)


def insert_draft(
    portal: Portal,
    user: Any,
    uid: str,
    schema: str,
    doc: dict[str, Any],
    action: str,
    **details: Any,
) -> Record:
    """Store a new record with its first draft and the audit entry; the caller has checked
    the document and the user's rights, and holds the transaction."""
    record = Record.objects.create(
        uid=uid,
        portal=portal,
        schema=schema,
        created_by=user,
        government=(doc.get("government") or {}).get("identifier", ""),
    )
    Draft.objects.create(record=record, document=doc, updated_by=user)
    _audit(portal, user, action, record, schema=schema, **details)
    return record


def create_draft(
    portal: Portal, user: Any, record_type: str, document: dict[str, Any], strict: bool = True
) -> Record:
    """Save a new draft. ``strict`` drafts must already be valid; lenient drafts may be
    incomplete (the form's "save draft"), but never of the wrong shape."""
    if not permissions.can_draft(user, portal):
        raise Forbidden(_("You cannot create records on this portal."))
    rtype = get_type(record_type)
    uid = new_uid(portal.code)
    doc = normalise(rtype.schema, document, portal, uid)
    _check(rtype.schema, doc, portal, uid, strict)
    with transaction.atomic():
        record = insert_draft(portal, user, uid, rtype.schema, doc, "draft.create")
        if not rtype.workflow and strict:
            # Contacts are saved without a publication workflow (as in the CBD's systems).
            _publish_now(record, user)
    return record


def _check(schema: str, doc: dict[str, Any], portal: Portal, uid: str, strict: bool) -> None:
    from clearinghouse.records import errors as E

    issues = validate(get_type(schema), doc, portal)
    if not strict:
        issues = [i for i in issues if i.code not in {E.MANDATORY, E.MANDATORY_ANY_OF}]
    if issues:
        raise RecordInvalid(issues, uid)


def lock_draft(record: Record, user: Any) -> Draft:
    """Take (or renew) the edit lock; refuse while someone else holds it."""
    draft = _editable_draft(record, user)
    now = timezone.now()
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft.pk)
        if (
            draft.locked_by_id
            and draft.locked_by_id != user.pk
            and draft.locked_until
            and draft.locked_until > now
        ):
            raise Locked(
                _("%(user)s is editing this record until %(time)s UTC.")
                % {"user": draft.locked_by, "time": f"{draft.locked_until:%H:%M}"}
            )
        draft.locked_by = user
        draft.locked_until = now + dt.timedelta(minutes=settings.CLEARINGHOUSE_LOCK_MINUTES)
        draft.save(update_fields=["locked_by", "locked_until"])
    return draft


def release_lock(record: Record, user: Any) -> None:
    Draft.objects.filter(record=record, locked_by=user).update(locked_by=None, locked_until=None)


def _editable_draft(record: Record, user: Any) -> Draft:
    if not permissions.can_draft(user, record.portal):
        raise Forbidden(_("You cannot edit records on this portal."))
    draft = Draft.objects.filter(record=record).first()
    if draft is None:
        raise RecordError(_("This record has no draft to edit."))
    if draft.under_review:
        raise Locked(
            _(
                "This draft is under review; it can be edited again once the request "
                "is approved, rejected or cancelled."
            )
        )
    return draft


def update_draft(record: Record, user: Any, document: dict[str, Any], strict: bool = True) -> Draft:
    draft = lock_draft(record, user)
    doc = normalise(record.schema, document, record.portal, record.uid)
    _check(record.schema, doc, record.portal, record.uid, strict)
    with transaction.atomic():
        draft.document = doc
        draft.updated_by = user
        draft.updated_at = timezone.now()
        draft.save(update_fields=["document", "updated_by", "updated_at"])
        _audit(record.portal, user, "draft.update", record)
    return draft


def edit_published(record: Record, user: Any) -> Draft:
    """Open a draft from the latest published revision (to change a published record)."""
    if not permissions.can_draft(user, record.portal):
        raise Forbidden(_("You cannot edit records on this portal."))
    draft = Draft.objects.filter(record=record).first()
    if draft is not None:
        return draft
    if record.published is None:
        raise RecordError(_("This record has nothing to edit."))
    draft = Draft.objects.create(
        record=record, document=copy.deepcopy(record.published.document), updated_by=user
    )
    _audit(record.portal, user, "draft.open", record)
    return draft


def discard_draft(record: Record, user: Any) -> None:
    draft = _editable_draft(record, user)
    with transaction.atomic():
        draft.delete()
        _audit(record.portal, user, "draft.discard", record)
        if record.published_id is None:
            record.delete()


def publish(record: Record, user: Any) -> Revision:
    """Publish the draft directly (publishing authority or manager)."""
    reference = record.portal.is_central and not get_type(record.schema).national
    if not permissions.can_publish(user, record.portal, reference=reference):
        raise Forbidden(_("You cannot publish on this portal; request publication instead."))
    draft = Draft.objects.filter(record=record).first()
    if draft is None:
        raise RecordError(_("There is no draft to publish."))
    if draft.under_review:
        raise Locked(_("This draft has a pending publication request; approve it instead."))
    return _publish_now(record, user)


def _publish_now(record: Record, user: Any) -> Revision:
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(record=record)
        check_valid(record.schema, draft.document, record.portal, record.uid)
        number = (record.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
        now = timezone.now()
        revision = Revision.objects.create(
            record=record,
            number=number,
            document=draft.document,
            published_by=user,
            published_at=now,
        )
        Record.objects.filter(pk=record.pk).update(
            published=revision,
            published_at=now,
            updated_at=now,
            deleted_at=None,
            title=get_type(record.schema).titles(draft.document),
        )
        Portal.objects.filter(pk=record.portal_id).update(last_published_at=now)
        draft.delete()
        record.refresh_from_db()
        _audit(record.portal, user, "record.publish", record, revision=number)
        _announce(record)
    return revision


def delete_record(record: Record, user: Any) -> None:
    """Withdraw a published record. A tombstone stays so harvesters learn of the deletion."""
    now = timezone.now()
    with transaction.atomic():
        Record.objects.filter(pk=record.pk).update(deleted_at=now, updated_at=now)
        Draft.objects.filter(record=record).delete()
        record.refresh_from_db()
        _audit(record.portal, user, "record.delete", record)
        _announce(record)


def _announce(record: Record) -> None:
    """Tell listeners (the search index) once the change is committed, never before."""
    pk = record.pk
    transaction.on_commit(
        lambda: public_changed.send_robust(sender=Record, record_id=pk), robust=True
    )


def visible_records(portal: Portal) -> Any:
    return Record.objects.filter(portal=portal, published__isnull=False, deleted_at__isnull=True)
