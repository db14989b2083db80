"""Saved-search alerts: absolute links (to each new record, to the saved search, to an
unsubscribe page that needs no log-in) and the e-mail itself, in the subscriber's language.

Links are built from the portal's first host name and ``CLEARINGHOUSE_PUBLIC_SCHEME``
(``https`` unless set); ``CLEARINGHOUSE_PUBLIC_BASE_URL`` (e.g. ``https://chm.example.org``)
stands in for a portal without a host name. The unsubscribe link carries a signed token (the
saved search's id, signed with ``SECRET_KEY`` and a salt of its own), so it works from any mail
client without a session and cannot be forged for another user's search."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from clearinghouse.portals.models import Portal, PortalHost
from clearinghouse.search.models import SavedSearch

SALT = "clearinghouse.search.unsubscribe"


def portal_base(portal_id: int) -> str:
    """``scheme://host`` of a portal (no trailing slash)."""
    host = (
        PortalHost.objects.filter(portal_id=portal_id).order_by("pk").values_list("host", flat=True)
    ).first()
    if host:
        scheme = getattr(settings, "CLEARINGHOUSE_PUBLIC_SCHEME", "https") or "https"
        return f"{scheme}://{host}"
    base: str = getattr(settings, "CLEARINGHOUSE_PUBLIC_BASE_URL", "") or ""
    return base.rstrip("/")


def record_url(request: HttpRequest | None, uid: str, portal_id: int) -> str:
    """A record's page: relative to the request's own host when it lives on the requesting
    portal, else absolute on its portal's host."""
    path = reverse("web:record", args=[uid])
    portal: Portal | None = getattr(request, "portal", None) if request is not None else None
    if request is not None and portal is not None and portal.pk == portal_id:
        return request.build_absolute_uri(path)
    return portal_base(portal_id) + path


def unsubscribe_token(saved: SavedSearch) -> str:
    return signing.dumps({"s": saved.pk, "u": saved.user_id}, salt=SALT, compress=True)


def saved_from_token(token: str) -> SavedSearch | None:
    """The saved search the token names, None when it is forged or gone."""
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    pk, user_id = data.get("s"), data.get("u")
    if not isinstance(pk, int) or not isinstance(user_id, int):
        return None
    return SavedSearch.objects.filter(pk=pk, user_id=user_id).first()


def links(saved: SavedSearch) -> dict[str, str]:
    base = portal_base(saved.portal_id)
    with translation.override(saved.language):
        params = [("q", saved.query)]
        if saved.mode and saved.mode != "lexical":
            params.append(("mode", saved.mode))
        for name, values in (saved.filters or {}).items():
            params += [(name, v) for v in values]
        return {
            "search": f"{base}{reverse('search:page')}?{urlencode(params)}",
            "unsubscribe": base + reverse("search:unsubscribe", args=[unsubscribe_token(saved)]),
            "saved": base + reverse("search:saved"),
        }


def send(saved: SavedSearch, hits: list[Any]) -> None:
    """One e-mail listing the new hits, in the saved search's language."""
    with translation.override(saved.language):
        urls = links(saved)
        items = [
            {
                "title": h.title,
                "type": h.type_label,
                "uid": h.uid,
                "url": portal_base(h.portal_id) + reverse("web:record", args=[h.uid]),
                "closest": list(h.matched_by) == ["closest"],
            }
            for h in hits
        ]
        context = {"saved": saved, "items": items, **urls}
        message = EmailMultiAlternatives(
            _("New records for your saved search: %s") % saved.query,
            render_to_string("search/email/alert.txt", context),
            None,
            [saved.user.email],
            headers={
                "List-Unsubscribe": f"<{urls['unsubscribe']}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        html = render_to_string("search/email/alert.html", context)
        message.attach_alternative(html, "text/html")
        message.send()
