from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation

from clearinghouse.portals import permissions
from clearinghouse.records.i18n import LANGUAGE_AUTONYMS, RTL_LANGUAGES
from clearinghouse.records.types import RECORD_TYPES


def switch_path(path: str, language: str) -> str:
    parts = path.split("/", 2)
    if len(parts) > 1 and parts[1] in LANGUAGE_AUTONYMS:
        rest = parts[2] if len(parts) > 2 else ""
        return f"/{language}/{rest}"
    return f"/{language}{path}"


def portal_context(request: HttpRequest) -> dict[str, Any]:
    portal = getattr(request, "portal", None)
    language = translation.get_language() or "en"
    user = getattr(request, "user", None)
    return {
        "portal": portal,
        "portal_name": portal.display_name(language) if portal else "Clearinghouse",
        "lang": language,
        "rtl": language in RTL_LANGUAGES,
        "language_links": [
            {
                "code": code,
                "name": name,
                "url": switch_path(request.path, code),
                "current": code == language,
            }
            for code, name in LANGUAGE_AUTONYMS.items()
        ],
        "record_types": list(RECORD_TYPES.values()),
        "can_draft": bool(portal and user and permissions.can_draft(user, portal)),
    }
