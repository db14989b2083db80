"""Per-language maps (the CBD ``lstring``): choose the best text for a reader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_noop

UN_LANGUAGES = ("en", "fr", "es", "ar", "ru", "zh")
RTL_LANGUAGES = frozenset({"ar"})
# Each language's name in itself, for language switchers and pickers.
LANGUAGE_AUTONYMS = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "ar": "العربية",
    "ru": "Русский",
    "zh": "中文",
}
# The languages' names as Django's LANG_INFO spells them, which the templates' filter
# language_name_translated looks up: listed here so that our catalogs translate them
# ("zh" has no Django catalog of its own).
LANGUAGE_NAMES = {
    "en": gettext_noop("English"),
    "fr": gettext_noop("French"),
    "es": gettext_noop("Spanish"),
    "ar": gettext_noop("Arabic"),
    "ru": gettext_noop("Russian"),
    "zh": gettext_noop("Chinese"),
}


@dataclass(frozen=True)
class Picked:
    text: str
    language: str  # the language the text is actually in
    fallback: bool  # True when it is not in the language asked for


def pick(values: Mapping[str, str] | None, language: str, preferred: str = "en") -> Picked:
    """Text in ``language``, else in ``preferred``, else English, else any language."""
    if not values:
        return Picked("", language, False)
    for candidate in (language, preferred, "en", *sorted(values)):
        text = values.get(candidate)
        if text:
            # Text under "" has no language (e.g. a contact's name): never a fallback.
            return Picked(text, candidate, bool(candidate) and candidate != language)
    return Picked("", language, False)
