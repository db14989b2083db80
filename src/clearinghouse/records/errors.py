"""Validation issues with the CBD's error codes and a message in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext, gettext_noop

MANDATORY = "Error.Mandatory"
MANDATORY_ANY_OF = "Error.MandatoryAnyOf"
INVALID_VALUE = "Error.InvalidValue"
INVALID_PROPERTY = "Error.InvalidProperty"
UNSPECIFIED_LOCALE = "Error.UnspecifiedLocale"
UNEXPECTED_TERM = "Error.UnexpectedTerm"
INVALID_TYPE = "Error.InvalidType"


@dataclass(frozen=True)
class Issue:
    code: str
    property: str
    message_id: str  # an English message id, translated when rendered
    params: dict[str, Any] = field(default_factory=dict)

    def message(self) -> str:
        """The message in the active language (call inside the reader's locale)."""
        text = gettext(self.message_id)
        try:
            return text % self.params if self.params else text
        except (KeyError, TypeError, ValueError):
            return text

    def as_cbd(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "property": self.property}
        data["message"] = self.message()
        if self.params:
            data["parameters"] = {k: str(v) for k, v in self.params.items()}
        return data


class RecordInvalid(Exception):
    """Raised by services when a document fails validation; nothing has been saved."""

    def __init__(self, issues: list[Issue], identifier: str = "") -> None:
        self.issues = issues
        self.identifier = identifier
        super().__init__("; ".join(f"{i.property}: {i.code}" for i in issues))

    def as_cbd(self) -> dict[str, Any]:
        return {"identifier": self.identifier, "errors": [i.as_cbd() for i in self.issues]}


# Message ids, listed here so translators see them all in one place (marked with
# gettext_noop so makemessages extracts them; Issue.message() translates them).
MSG_REQUIRED = gettext_noop("This field is required.")
MSG_ANY_OF = gettext_noop("Fill in at least one of: %(fields)s.")
MSG_REQUIRED_IN = gettext_noop("This field is required in %(language)s.")
MSG_DATE = gettext_noop("Enter a valid date in the form YYYY-MM-DD.")
MSG_EMAIL = gettext_noop("Enter a valid e-mail address: %(value)s")
MSG_URL = gettext_noop("Enter a valid web address starting with http:// or https://: %(value)s")
MSG_NUMBER = gettext_noop("Enter a number.")
MSG_NOT_NEGATIVE = gettext_noop("The number must not be negative.")
MSG_WORDS = gettext_noop("Use at most %(limit)s words (this text has %(count)s).")
MSG_LENGTH = gettext_noop("Use at most %(limit)s characters (this text has %(count)s).")
MSG_END_BEFORE_START = gettext_noop("The end date must not be before the start date.")
MSG_UNKNOWN_FIELD = gettext_noop("This field is not part of a %(schema)s record.")
MSG_LOCALE = gettext_noop("Text in %(language)s, which is not one of the record's languages.")
MSG_TERM = gettext_noop("“%(value)s” is not a term of the vocabulary %(vocabulary)s.")
MSG_TYPE_TEXT = gettext_noop("Expected text.")
MSG_TYPE_LSTRING = gettext_noop('Expected text per language, e.g. {"en": "…"}.')
MSG_TYPE_LIST = gettext_noop("Expected a list.")
MSG_TYPE_OBJECT = gettext_noop("Expected an object.")
MSG_TYPE_BOOL = gettext_noop("Expected yes or no.")
MSG_LANGUAGES = gettext_noop("Choose at least one of the six UN languages for the record.")
MSG_LANGUAGE_CODE = gettext_noop(
    "“%(value)s” is not one of the six UN language codes (en, fr, es, ar, ru, zh)."
)
MSG_GOVERNMENT = gettext_noop("The government must be the portal's country (%(country)s).")
MSG_REFERENCE = gettext_noop("No record with identifier “%(value)s” exists.")
MSG_UNKNOWN_PART = gettext_noop(
    "A building block has a title, a description, enabling factors and lessons learned only."
)
MSG_NUL = gettext_noop("Text must not contain the NUL character (\\0).")
