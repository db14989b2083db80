"""Field types for record declarations.

Each field knows how to validate a JSON value (CBD value types), build its form inputs,
describe itself as JSON Schema, read and write CSV cells and display itself. Record types
(``records.types``) are lists of these, so every derived artefact agrees with the others.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clearinghouse.records import errors as E
from clearinghouse.records.errors import Issue
from clearinghouse.records.i18n import UN_LANGUAGES, pick

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
LIST_SEPARATOR = ";"

TermLookup = Callable[[str, set[str]], set[str]]


@dataclass
class Context:
    """What validation needs besides the value: the record's languages and term lookup."""

    languages: list[str]
    known_terms: TermLookup
    schema: str = ""


@dataclass
class Field:
    name: str
    label: Any  # str or lazy translation
    required: bool = False
    help: Any = ""
    json_type: str = "string"

    # -- validation ---------------------------------------------------------------
    def is_empty(self, value: Any) -> bool:
        return value is None or value == "" or value == [] or value == {}

    def validate(self, value: Any, ctx: Context) -> list[Issue]:
        if self.is_empty(value):
            return [Issue(E.MANDATORY, self.name, E.MSG_REQUIRED)] if self.required else []
        return self.check(value, ctx)

    def check(self, value: Any, ctx: Context) -> list[Issue]:
        return []

    def terms(self, value: Any) -> list[tuple[str, str]]:
        """(scheme, identifier) pairs this value refers to."""
        return []

    # -- forms --------------------------------------------------------------------
    def form_fields(self, languages: list[str], choices: Callable[[str], list]) -> dict:
        return {self.name: forms.CharField(label=self.label, required=False, help_text=self.help)}

    def from_form(self, data: Any, languages: list[str]) -> Any:
        return (data.get(self.name) or "").strip()

    def to_initial(self, value: Any, languages: list[str]) -> dict[str, Any]:
        return {self.name: value or ""}

    # -- CSV / Excel --------------------------------------------------------------
    def csv_columns(self, languages: Iterable[str]) -> list[str]:
        return [self.name]

    def from_cells(self, row: dict[str, str], languages: list[str]) -> Any:
        return (row.get(self.name) or "").strip()

    def to_cells(self, value: Any, languages: Iterable[str]) -> dict[str, str]:
        return {self.name: "" if value is None else str(value)}

    # -- description --------------------------------------------------------------
    def json_schema(self) -> dict[str, Any]:
        return {"type": self.json_type, "title": str(self.label)}

    def display(self, value: Any, language: str, labels: Callable[[str], str]) -> str:
        return "" if value is None else str(value)

    def texts(self, value: Any) -> dict[str, list[str]]:
        """Text per language for search indexing ("" = language unknown)."""
        return {}


@dataclass
class Text(Field):
    max_length: int = 2000

    def check(self, value: Any, ctx: Context) -> list[Issue]:
        if not isinstance(value, str):
            return [Issue(E.INVALID_TYPE, self.name, E.MSG_TYPE_TEXT)]
        if len(value) > self.max_length:
            return [
                Issue(
                    E.INVALID_VALUE,
                    self.name,
                    E.MSG_LENGTH,
                    {"limit": self.max_length, "count": len(value)},
                )
            ]
        return []

    def texts(self, value: Any) -> dict[str, list[str]]:
        return {"": [value]} if isinstance(value, str) and value else {}


@dataclass
class LString(Field):
    """Text per language (``{"en": ..., "fr": ...}``)."""

    max_words: int | None = None
    multiline: bool = False
    json_type: str = "object"

    def is_empty(self, value: Any) -> bool:
        return not value or (isinstance(value, dict) and not any(value.values()))

    def check(self, value: Any, ctx: Context) -> list[Issue]:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            return [Issue(E.INVALID_TYPE, self.name, E.MSG_TYPE_LSTRING)]
        issues = []
        for lang, text in value.items():
            if text and lang not in ctx.languages:
                issues.append(
                    Issue(
                        E.UNSPECIFIED_LOCALE,
                        f"{self.name}.{lang}",
                        E.MSG_LOCALE,
                        {"language": lang},
                    )
                )
            if self.max_words and len(text.split()) > self.max_words:
                issues.append(
                    Issue(
                        E.INVALID_VALUE,
                        f"{self.name}.{lang}",
                        E.MSG_WORDS,
                        {"limit": self.max_words, "count": len(text.split())},
                    )
                )
        return issues

    def form_fields(self, languages: list[str], choices: Callable[[str], list]) -> dict:
        widget = forms.Textarea(attrs={"rows": 5}) if self.multiline else forms.TextInput
        out = {}
        for lang in languages:
            attrs = {"lang": lang, "dir": "rtl" if lang == "ar" else "ltr"}
            w = (
                widget(attrs=attrs)
                if isinstance(widget, type)
                else forms.Textarea(attrs={"rows": 5, **attrs})
            )
            out[f"{self.name}__{lang}"] = forms.CharField(
                label=f"{self.label} ({lang})", required=False, widget=w, help_text=self.help
            )
        return out

    def from_form(self, data: Any, languages: list[str]) -> Any:
        return {
            lang: text
            for lang in languages
            if (text := (data.get(f"{self.name}__{lang}") or "").strip())
        }

    def to_initial(self, value: Any, languages: list[str]) -> dict[str, Any]:
        value = value if isinstance(value, dict) else {}
        return {f"{self.name}__{lang}": value.get(lang, "") for lang in languages}

    def csv_columns(self, languages: Iterable[str]) -> list[str]:
        return [f"{self.name}:{lang}" for lang in languages]

    def from_cells(self, row: dict[str, str], languages: list[str]) -> Any:
        return {
            lang: text
            for lang in UN_LANGUAGES
            if (text := (row.get(f"{self.name}:{lang}") or "").strip())
        }

    def to_cells(self, value: Any, languages: Iterable[str]) -> dict[str, str]:
        value = value if isinstance(value, dict) else {}
        return {f"{self.name}:{lang}": value.get(lang, "") for lang in languages}

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "title": str(self.label),
            "propertyNames": {"enum": list(UN_LANGUAGES)},
            "additionalProperties": {"type": "string"},
        }

    def display(self, value: Any, language: str, labels: Callable[[str], str]) -> str:
        return pick(value if isinstance(value, dict) else {}, language).text

    def texts(self, value: Any) -> dict[str, list[str]]:
        if not isinstance(value, dict):
            return {}
        return {lang: [text] for lang, text in value.items() if text}


@dataclass
class Date(Field):
    def check(self, value: Any, ctx: Context) -> list[Issue]:
        if not isinstance(value, str) or parse_date(value) is None:
            return [Issue(E.INVALID_VALUE, self.name, E.MSG_DATE)]
        return []

    def form_fields(self, languages: list[str], choices: Callable[[str], list]) -> dict:
        return {
            self.name: forms.CharField(
                label=self.label,
                required=False,
                help_text=self.help,
                widget=forms.DateInput(attrs={"type": "date", "placeholder": "YYYY-MM-DD"}),
            )
        }

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "format": "date", "title": str(self.label)}


def parse_date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip()[:10]) if len(value.strip()) == 10 else None
    except ValueError:
        return None


@dataclass
class Number(Field):
    integer: bool = False
    json_type: str = "number"

    def check(self, value: Any, ctx: Context) -> list[Issue]:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return [Issue(E.INVALID_VALUE, self.name, E.MSG_NUMBER)]
        if value < 0:
            return [Issue(E.INVALID_VALUE, self.name, E.MSG_NOT_NEGATIVE)]
        return []

    def _parse(self, raw: str) -> Any:
        raw = raw.strip().replace(" ", "").replace("\u00a0", "")
        if not raw:
            return None
        try:
            number = (
                Decimal(raw.replace(",", ""))
                if raw.count(",") != 1 or "." in raw
                else (Decimal(raw.replace(",", ".")))
            )
        except InvalidOperation:
            return raw  # kept as text so validation reports it
        return int(number) if number == number.to_integral_value() else float(number)

    def from_form(self, data: Any, languages: list[str]) -> Any:
        return self._parse(data.get(self.name) or "")

    def from_cells(self, row: dict[str, str], languages: list[str]) -> Any:
        return self._parse(row.get(self.name) or "")

    def to_cells(self, value: Any, languages: Iterable[str]) -> dict[str, str]:
        return {self.name: "" if value is None else str(value)}

    def display(self, value: Any, language: str, labels: Callable[[str], str]) -> str:
        return f"{value:,}" if isinstance(value, int | float) else ""


@dataclass
class Bool(Field):
    json_type: str = "boolean"

    def is_empty(self, value: Any) -> bool:
        return value is None or value == ""

    def check(self, value: Any, ctx: Context) -> list[Issue]:
        if not isinstance(value, bool):
            return [Issue(E.INVALID_TYPE, self.name, E.MSG_TYPE_BOOL)]
        return []

    def form_fields(self, languages: list[str], choices: Callable[[str], list]) -> dict:
        return {
            self.name: forms.TypedChoiceField(
                label=self.label,
                required=False,
                help_text=self.help,
                choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))],
            )
        }

    def _parse(self, raw: Any) -> Any:
        text = str(raw or "").strip().lower()
        if text in {"true", "yes", "1", "oui", "sí", "si", "y"}:
            return True
        if text in {"false", "no", "0", "non", "n"}:
            return False
        return text or None

    def from_form(self, data: Any, languages: list[str]) -> Any:
        return self._parse(data.get(self.name))

    def from_cells(self, row: dict[str, str], languages: list[str]) -> Any:
        return self._parse(row.get(self.name))

    def to_initial(self, value: Any, languages: list[str]) -> dict[str, Any]:
        return {self.name: "" if value is None else ("true" if value else "false")}

    def to_cells(self, value: Any, languages: Iterable[str]) -> dict[str, str]:
        return {self.name: "" if value is None else ("true" if value else "false")}

    def display(self, value: Any, language: str, labels: Callable[[str], str]) -> str:
        return "" if value is None else str(_("Yes") if value else _("No"))


@dataclass
class StringList(Field):
    """A list of e-mail addresses or web links."""

    kind: str = "email"  # "email" | "url"
    json_type: str = "array"

    def check(self, value: Any, ctx: Context) -> list[Issue]:
        if not isinstance(value, list):
            return [Issue(E.INVALID_TYPE, self.name, E.MSG_TYPE_LIST)]
        issues = []
        for i, item in enumerate(value):
            text = item.get("url") if isinstance(item, dict) else item
            ok = isinstance(text, str) and (
                EMAIL_RE.match(text) if self.kind == "email" else URL_RE.match(text)
            )
            if not ok:
                msg = E.MSG_EMAIL if self.kind == "email" else E.MSG_URL
                issues.append(Issue(E.INVALID_VALUE, f"{self.name}[{i}]", msg, {"value": text}))
        return issues

    def _split(self, raw: str) -> list[Any]:
        parts = [p.strip() for p in re.split(r"[;\n]", raw or "") if p.strip()]
        return [{"url": p} for p in parts] if self.kind == "url" else parts

    def form_fields(self, languages: list[str], choices: Callable[[str], list]) -> dict:
        return {
            self.name: forms.CharField(
                label=self.label,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=self.help or _("One per line."),
            )
        }

    def _join(self, value: Any, sep: str) -> str:
        items = value if isinstance(value, list) else []
        return sep.join((i.get("url", "") if isinstance(i, dict) else str(i)) for i in items)

    def from_form(self, data: Any, languages: list[str]) -> Any:
        return self._split(data.get(self.name) or "")

    def to_initial(self, value: Any, languages: list[str]) -> dict[str, Any]:
        return {self.name: self._join(value, "\n")}

    def from_cells(self, row: dict[str, str], languages: list[str]) -> Any:
        return self._split(row.get(self.name) or "")

    def to_cells(self, value: Any, languages: Iterable[str]) -> dict[str, str]:
        return {self.name: self._join(value, "; ")}

    def json_schema(self) -> dict[str, Any]:
        item: dict[str, Any] = (
            {"type": "string", "format": "email"}
            if self.kind == "email"
            else {
                "type": "object",
                "properties": {
                    "url": {"type": "string", "format": "uri"},
                    "name": {"type": "string"},
                },
            }
        )
        return {"type": "array", "title": str(self.label), "items": item}

    def display(self, value: Any, language: str, labels: Callable[[str], str]) -> str:
        return self._join(value, ", ")


def picker_attrs(scheme: str) -> dict[str, Any]:
    """Marks a vocabulary <select multiple> for the search-as-you-type filter
    (``vocabularies/static/vocabularies/picker.js``, loaded on editor form pages)."""
    return {"data-vocab": scheme, "data-filter-label": _("Filter the list (any language)")}


@dataclass
class Term(Field):
    """A thesaurus concept ``{"identifier": ...}``, or a list of them when ``multiple``."""

    scheme: str = ""
    multiple: bool = False

    def __post_init__(self) -> None:
        self.json_type = "array" if self.multiple else "object"

    def _items(self, value: Any) -> list[Any]:
        return value if self.multiple and isinstance(value, list) else [value]

    def check(self, value: Any, ctx: Context) -> list[Issue]:
        if self.multiple and not isinstance(value, list):
            return [Issue(E.INVALID_TYPE, self.name, E.MSG_TYPE_LIST)]
        issues = []
        for item in self._items(value):
            if not isinstance(item, dict) or not isinstance(item.get("identifier"), str):
                issues.append(Issue(E.INVALID_TYPE, self.name, E.MSG_TYPE_OBJECT))
        if issues:
            return issues
        wanted = {item["identifier"] for item in self._items(value)}
        known = ctx.known_terms(self.scheme, wanted)
        for ident in sorted(wanted - known):
            issues.append(
                Issue(
                    E.UNEXPECTED_TERM,
                    self.name,
                    E.MSG_TERM,
                    {"value": ident, "vocabulary": self.scheme},
                )
            )
        return issues

    def terms(self, value: Any) -> list[tuple[str, str]]:
        if self.is_empty(value):
            return []
        return [
            (self.scheme, item["identifier"])
            for item in self._items(value)
            if isinstance(item, dict) and isinstance(item.get("identifier"), str)
        ]

    def identifiers(self, value: Any) -> list[str]:
        return [ident for _scheme, ident in self.terms(value)]

    def form_fields(self, languages: list[str], choices: Callable[[str], list]) -> dict:
        options = choices(self.scheme)
        if self.multiple:
            return {
                self.name: forms.MultipleChoiceField(
                    label=self.label,
                    required=False,
                    choices=options,
                    help_text=self.help,
                    widget=forms.SelectMultiple(
                        attrs={"size": min(8, max(3, len(options))), **picker_attrs(self.scheme)}
                    ),
                )
            }
        return {
            self.name: forms.ChoiceField(
                label=self.label,
                required=False,
                choices=[("", "—"), *options],
                help_text=self.help,
            )
        }

    def _wrap(self, idents: list[str]) -> Any:
        items = [{"identifier": i} for i in idents if i]
        if self.multiple:
            return items
        return items[0] if items else None

    def from_form(self, data: Any, languages: list[str]) -> Any:
        if self.multiple:
            raw = data.getlist(self.name) if hasattr(data, "getlist") else data.get(self.name, [])
            return self._wrap(list(raw or []))
        return self._wrap([(data.get(self.name) or "").strip()])

    def to_initial(self, value: Any, languages: list[str]) -> dict[str, Any]:
        idents = self.identifiers(value)
        return {self.name: idents if self.multiple else (idents[0] if idents else "")}

    def from_cells(self, row: dict[str, str], languages: list[str]) -> Any:
        raw = row.get(self.name) or ""
        parts = [p.strip() for p in raw.split(LIST_SEPARATOR)] if self.multiple else [raw.strip()]
        return self._wrap(parts)

    def to_cells(self, value: Any, languages: Iterable[str]) -> dict[str, str]:
        return {self.name: f"{LIST_SEPARATOR} ".join(self.identifiers(value))}

    def json_schema(self) -> dict[str, Any]:
        term = {
            "type": "object",
            "required": ["identifier"],
            "properties": {"identifier": {"type": "string"}, "customValue": {"type": "object"}},
            "description": f"A concept of the vocabulary {self.scheme}",
        }
        if self.multiple:
            return {"type": "array", "title": str(self.label), "items": term}
        return {**term, "title": str(self.label)}

    def display(self, value: Any, language: str, labels: Callable[[str], str]) -> str:
        return ", ".join(labels(i) for i in self.identifiers(value))


@dataclass
class Alignment(Field):
    """GBF alignment: ``[{"identifier": "GBF-TARGET-02", "degreeOfAlignment": {...}}]``."""

    scheme: str = "gbf-targets"
    degree_scheme: str = "gbf-degree-of-alignment"
    json_type: str = "array"

    def check(self, value: Any, ctx: Context) -> list[Issue]:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            return [Issue(E.INVALID_TYPE, self.name, E.MSG_TYPE_LIST)]
        issues = []
        for scheme, ident in self.terms(value):
            if ident not in ctx.known_terms(scheme, {ident}):
                issues.append(
                    Issue(
                        E.UNEXPECTED_TERM,
                        self.name,
                        E.MSG_TERM,
                        {"value": ident, "vocabulary": scheme},
                    )
                )
        if any(not isinstance(v.get("identifier"), str) for v in value):
            issues.append(Issue(E.INVALID_TYPE, self.name, E.MSG_TYPE_OBJECT))
        return issues

    def terms(self, value: Any) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for item in value if isinstance(value, list) else []:
            if isinstance(item, dict) and isinstance(item.get("identifier"), str):
                out.append((self.scheme, item["identifier"]))
                degree = item.get("degreeOfAlignment")
                if isinstance(degree, dict) and isinstance(degree.get("identifier"), str):
                    out.append((self.degree_scheme, degree["identifier"]))
        return out

    def form_fields(self, languages: list[str], choices: Callable[[str], list]) -> dict:
        return {
            self.name: forms.MultipleChoiceField(
                label=self.label,
                required=False,
                choices=choices(self.scheme),
                widget=forms.SelectMultiple(attrs={"size": 8, **picker_attrs(self.scheme)}),
                help_text=self.help,
            ),
            f"{self.name}__degree": forms.ChoiceField(
                label=_("Degree of alignment"),
                required=False,
                choices=[("", "—"), *choices(self.degree_scheme)],
            ),
        }

    def _build(self, idents: list[str], degree: str) -> list[dict[str, Any]]:
        out = []
        for ident in idents:
            item: dict[str, Any] = {"identifier": ident}
            if degree:
                item["degreeOfAlignment"] = {"identifier": degree}
            out.append(item)
        return out

    def from_form(self, data: Any, languages: list[str]) -> Any:
        idents = data.getlist(self.name) if hasattr(data, "getlist") else data.get(self.name, [])
        return self._build([i for i in idents if i], (data.get(f"{self.name}__degree") or ""))

    def to_initial(self, value: Any, languages: list[str]) -> dict[str, Any]:
        items = value if isinstance(value, list) else []
        degrees = [
            (i.get("degreeOfAlignment") or {}).get("identifier", "")
            for i in items
            if isinstance(i, dict)
        ]
        return {
            self.name: [i.get("identifier") for i in items if isinstance(i, dict)],
            f"{self.name}__degree": degrees[0] if degrees else "",
        }

    def from_cells(self, row: dict[str, str], languages: list[str]) -> Any:
        idents = [p.strip() for p in (row.get(self.name) or "").split(LIST_SEPARATOR)]
        return self._build([i for i in idents if i], (row.get(f"{self.name}:degree") or "").strip())

    def csv_columns(self, languages: Iterable[str]) -> list[str]:
        return [self.name, f"{self.name}:degree"]

    def to_cells(self, value: Any, languages: Iterable[str]) -> dict[str, str]:
        initial = self.to_initial(value, [])
        return {
            self.name: f"{LIST_SEPARATOR} ".join(initial[self.name]),
            f"{self.name}:degree": initial[f"{self.name}__degree"],
        }

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "title": str(self.label),
            "items": {
                "type": "object",
                "required": ["identifier"],
                "properties": {
                    "identifier": {"type": "string"},
                    "degreeOfAlignment": {
                        "type": "object",
                        "properties": {"identifier": {"type": "string"}},
                    },
                },
            },
        }

    def display(self, value: Any, language: str, labels: Callable[[str], str]) -> str:
        parts = []
        for scheme, ident in self.terms(value):
            if scheme == self.scheme:
                parts.append(labels(ident))
            elif parts:
                parts[-1] += f" ({labels(ident)})"
        return "; ".join(parts)


@dataclass
class Blocks(Field):
    """PANORAMA building blocks: ``[{"title": lstring, "description": lstring,
    "enablingFactors": lstring, "lessonsLearned": lstring}]`` (the last two optional)."""

    slots: int = 3
    json_type: str = "array"
    REQUIRED_PARTS = ("title", "description")
    OPTIONAL_PARTS = ("enablingFactors", "lessonsLearned")
    PARTS = REQUIRED_PARTS + OPTIONAL_PARTS

    def check(self, value: Any, ctx: Context) -> list[Issue]:
        if not isinstance(value, list):
            return [Issue(E.INVALID_TYPE, self.name, E.MSG_TYPE_LIST)]
        issues: list[Issue] = []
        part = LString(name="", label="")
        for i, block in enumerate(value):
            if not isinstance(block, dict):
                issues.append(Issue(E.INVALID_TYPE, f"{self.name}[{i}]", E.MSG_TYPE_OBJECT))
                continue
            for key in sorted(set(block) - set(self.PARTS)):
                issues.append(
                    Issue(E.INVALID_PROPERTY, f"{self.name}[{i}].{key}", E.MSG_UNKNOWN_PART)
                )
            for key in self.PARTS:
                part.name = f"{self.name}[{i}].{key}"
                if part.is_empty(block.get(key)):
                    if key in self.REQUIRED_PARTS:
                        issues.append(Issue(E.MANDATORY, part.name, E.MSG_REQUIRED))
                else:
                    issues += part.check(block.get(key), ctx)
        return issues

    def _part_labels(self) -> dict[str, Any]:
        # Outside the f-strings, where xgettext cannot see them.
        return {
            "title": _("title"),
            "description": _("description"),
            "enablingFactors": _("enabling factors"),
            "lessonsLearned": _("lessons learned"),
        }

    def form_fields(self, languages: list[str], choices: Callable[[str], list]) -> dict:
        out: dict[str, forms.Field] = {}
        labels = self._part_labels()
        for i in range(self.slots):
            for key in self.PARTS:
                for lang in languages:
                    attrs = {"lang": lang, "dir": "rtl" if lang == "ar" else "ltr"}
                    widget: forms.Widget = (
                        forms.TextInput(attrs=attrs)
                        if key == "title"
                        else forms.Textarea(attrs={"rows": 3, **attrs})
                    )
                    out[f"{self.name}__{i}__{key}__{lang}"] = forms.CharField(
                        label=f"{self.label} {i + 1}: {labels[key]} ({lang})",
                        required=False,
                        widget=widget,
                    )
        return out

    def from_form(self, data: Any, languages: list[str]) -> Any:
        blocks = []
        for i in range(self.slots):
            block = {
                key: {
                    lang: text
                    for lang in languages
                    if (text := (data.get(f"{self.name}__{i}__{key}__{lang}") or "").strip())
                }
                for key in self.PARTS
            }
            for key in self.OPTIONAL_PARTS:
                if not block[key]:
                    del block[key]  # absent, as in documents that never had them
            if block["title"] or block["description"] or len(block) > 2:
                blocks.append(block)
        return blocks

    def to_initial(self, value: Any, languages: list[str]) -> dict[str, Any]:
        out = {}
        for i, block in enumerate(value if isinstance(value, list) else []):
            if not isinstance(block, dict):
                continue
            for key in self.PARTS:
                for lang in languages:
                    out[f"{self.name}__{i}__{key}__{lang}"] = (block.get(key) or {}).get(lang, "")
        return out

    def from_cells(self, row: dict[str, str], languages: list[str]) -> Any:
        import json

        raw = (row.get(self.name) or "").strip()
        try:
            return json.loads(raw) if raw else []
        except ValueError:
            return raw

    def to_cells(self, value: Any, languages: Iterable[str]) -> dict[str, str]:
        import json

        return {self.name: json.dumps(value, ensure_ascii=False) if value else ""}

    def json_schema(self) -> dict[str, Any]:
        lstring = LString(name="", label="").json_schema()
        return {
            "type": "array",
            "title": str(self.label),
            "items": {
                "type": "object",
                "properties": {key: lstring for key in self.PARTS},
                "required": list(self.REQUIRED_PARTS),
            },
        }

    def display(self, value: Any, language: str, labels: Callable[[str], str]) -> str:
        blocks = value if isinstance(value, list) else []
        return "; ".join(pick(b.get("title") or {}, language).text for b in blocks)

    def texts(self, value: Any) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for block in value if isinstance(value, list) else []:
            for key in self.PARTS:
                for lang, text in (block.get(key) or {}).items():
                    out.setdefault(lang, []).append(text)
        return out


@dataclass
class AnyOf:
    """At least one of these fields must be filled (CBD ``Error.MandatoryAnyOf``)."""

    fields: tuple[str, ...]


@dataclass
class DateOrder:
    """``end`` must not be before ``start``."""

    start: str
    end: str


@dataclass
class RecordType:
    schema: str  # the CBD schema name, e.g. "resource"
    label: Any
    plural: Any
    fields: list[Field]
    national: bool = False  # owned by a government (needs ``government``)
    title_field: str = "title"
    # Plain-text fields joined into the title instead (a contact's first and last name).
    title_parts: tuple[str, ...] = ()
    summary_field: str = ""
    rules: list[Any] = field(default_factory=list)
    workflow: bool = True  # contacts are saved without a publication workflow

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def field_names(self) -> set[str]:
        return {f.name for f in self.fields}

    def titles(self, document: dict[str, Any]) -> dict[str, str]:
        """The title per language; plain-text titles count as the record's first language."""
        value = document.get(self.title_field)
        if isinstance(value, dict):
            return {lang: text for lang, text in value.items() if isinstance(text, str) and text}
        parts = self.title_parts or (self.title_field,)
        text = " ".join(str(document.get(name) or "") for name in parts).strip()
        languages = (document.get("header") or {}).get("languages") or ["en"]
        return {languages[0]: text} if text else {}
