"""Per-language maps (the CBD ``lstring``): choose the best text for a reader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

UN_LANGUAGES = ("en", "fr", "es", "ar", "ru", "zh")
RTL_LANGUAGES = frozenset({"ar"})


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
            return Picked(text, candidate, candidate != language)
    return Picked("", language, False)
