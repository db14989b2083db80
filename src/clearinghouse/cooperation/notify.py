"""E-mails of the cooperation workflow, sent after the database commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from clearinghouse.portals.models import Membership, Portal, Role
from clearinghouse.workflows.labels import state_label
from clearinghouse.workflows.models import Request
from clearinghouse.workflows.notify import _send


def _emails(users: Iterable[Any]) -> list[str]:
    return sorted({str(u.email) for u in users if u is not None and u.email})


def helpdesk_emails(portal: Portal) -> list[str]:
    members = Membership.objects.filter(
        portal=portal, role__in=[Role.SECRETARIAT, Role.MANAGER]
    ).select_related("user")
    return _emails(m.user for m in members)


def _language(request: Request) -> str:
    return str((request.data.get("document") or {}).get("header", {}).get("languages", ["en"])[0])


def match_confirmed(
    request: Request, provider_emails: list[str], provider_name: str, provider_language: str = "en"
) -> None:
    """Tell the requester and the provider that the helpdesk confirmed their match, each in
    their own language (the request's and the profile's first language)."""
    title = request.data.get("title", f"#{request.pk}")
    requester = _emails([request.created_by])
    with translation.override(_language(request)):
        to_requester = (
            _("[Clearinghouse] A provider was matched to your request: %(title)s")
            % {"title": title},
            _(
                "The helpdesk matched your request “%(title)s” with %(provider)s.\n"
                "Please get in touch and agree on the work plan: /cooperation/requests/%(pk)s/"
            )
            % {"title": title, "provider": provider_name, "pk": request.pk},
            settings.DEFAULT_FROM_EMAIL,
            requester,
        )
    with translation.override(provider_language):
        to_provider = (
            _("[Clearinghouse] You were matched with a request: %(title)s") % {"title": title},
            _(
                "The helpdesk matched %(provider)s with the request “%(title)s”.\n"
                "Please review it and agree with the requester: /cooperation/requests/%(pk)s/"
            )
            % {"title": title, "provider": provider_name, "pk": request.pk},
            settings.DEFAULT_FROM_EMAIL,
            provider_emails,
        )
    _send([to_requester, to_provider])


def escalated(request: Request) -> None:
    """Tell the helpdesk and the requester that a request goes to the last-resort fund."""
    title = request.data.get("title", f"#{request.pk}")
    with translation.override("en"):
        subject = _("[Clearinghouse] Unmatched after %(cycles)s cycles: %(title)s") % {
            "cycles": request.data.get("cycles", 0),
            "title": title,
        }
        body = _(
            "No provider was matched to “%(title)s” after %(cycles)s matching cycles. "
            "It is flagged for the last-resort fund: /cooperation/requests/%(pk)s/"
        ) % {"title": title, "cycles": request.data.get("cycles", 0), "pk": request.pk}
    recipients = sorted(set(helpdesk_emails(request.portal)) | set(_emails([request.created_by])))
    _send([(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)])


def state_changed(request: Request, emails: list[str]) -> None:
    title = request.data.get("title", f"#{request.pk}")
    with translation.override(_language(request)):
        subject = _("[Clearinghouse] Request “%(title)s” is now %(state)s") % {
            "title": title,
            "state": state_label(request.state),
        }
        body = _("The request “%(title)s” is now %(state)s.\n\n%(comment)s") % {
            "title": title,
            "state": state_label(request.state),
            "comment": request.comment or "",
        }
    _send([(subject, body, settings.DEFAULT_FROM_EMAIL, emails)])


def request_fits(request: Request, profile_uid: str, emails: list[str]) -> None:
    """Tell a provider that an open request fits its profile."""
    title = request.data.get("title", f"#{request.pk}")
    with translation.override("en"):
        subject = _("[Clearinghouse] A request for technical assistance fits your profile")
        body = _(
            "The request “%(title)s” (%(country)s) fits your provider profile. "
            "See the open requests that fit it: /cooperation/providers/%(uid)s/"
        ) % {"title": title, "country": request.data.get("country", ""), "uid": profile_uid}
    _send([(subject, body, settings.DEFAULT_FROM_EMAIL, emails)])
