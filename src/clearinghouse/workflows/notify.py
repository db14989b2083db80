"""E-mail notifications, sent after the database commit (never for a rolled-back change)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from clearinghouse.portals.models import Membership, Role
from clearinghouse.workflows.labels import kind_label, state_label
from clearinghouse.workflows.models import Request


def _title(request: Request) -> str:
    from clearinghouse.records.i18n import pick

    if request.record is None:
        return f"#{request.pk}"
    return (
        pick(_document_title(request), request.portal.default_language).text or request.record.uid
    )


def _document_title(request: Request) -> dict[str, str]:
    from clearinghouse.records.models import Draft
    from clearinghouse.records.types import get_type

    record = request.record
    assert record is not None
    field = get_type(record.schema).title_field
    draft = Draft.objects.filter(record=record).first()
    doc = draft.document if draft else (record.published.document if record.published else {})
    value = doc.get(field)
    return value if isinstance(value, dict) else {"en": str(value or record.uid)}


def _send(messages: list[tuple[str, str, str, list[str]]]) -> None:
    messages = [m for m in messages if m[3]]
    if messages:
        transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))


def new_request(request: Request) -> None:
    """Tell the portal's publishing authorities that something awaits their review."""
    deciders = Membership.objects.filter(
        portal=request.portal,
        role__in=[Role.PUBLISHING_AUTHORITY, Role.SECRETARIAT]
        if request.portal.is_central
        else [Role.PUBLISHING_AUTHORITY],
    ).select_related("user")
    with translation.override(request.portal.default_language):
        subject = _("[%(portal)s] New %(kind)s request: %(title)s") % {
            "portal": request.portal.code,
            "kind": kind_label(request.kind),
            "title": _title(request),
        }
        body = _(
            "%(user)s asks you to review “%(title)s”.\n\nNote: %(note)s\n\n"
            "Open the review queue: /editor/reviews/"
        ) % {"user": request.created_by, "title": _title(request), "note": request.note or "—"}
    recipients = sorted({m.user.email for m in deciders if m.user.email})
    _send([(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)])


def decision(request: Request) -> None:
    """Tell the requester what was decided, and why."""
    user_model = get_user_model()
    if request.created_by_id is None:
        return
    requester = user_model.objects.filter(pk=request.created_by_id).first()
    if requester is None or not requester.email:
        return
    with translation.override(request.portal.default_language):
        subject = _("[%(portal)s] Your request was %(state)s: %(title)s") % {
            "portal": request.portal.code,
            "state": state_label(request.state),
            "title": _title(request),
        }
        body = _("Your %(kind)s request for “%(title)s” was %(state)s.\n\nComment: %(comment)s") % {
            "kind": kind_label(request.kind),
            "title": _title(request),
            "state": state_label(request.state),
            "comment": request.comment or "—",
        }
    _send([(subject, body, settings.DEFAULT_FROM_EMAIL, [requester.email])])
