"""Turn documents into rows a person can read, and compare two revisions."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from clearinghouse.records import decisions
from clearinghouse.records.fields import LString
from clearinghouse.records.i18n import pick
from clearinghouse.records.types import RecordType
from clearinghouse.vocabularies import labels


@dataclass
class Row:
    name: str
    label: str
    value: str
    language: str = ""
    fallback: bool = False
    multiline: bool = False
    links: list[decisions.Link] | None = None  # cited decision paragraphs


def rows(rtype: RecordType, document: dict[str, Any], language: str) -> list[Row]:
    out = []
    for fld in rtype.fields:
        value = document.get(fld.name)
        if fld.is_empty(value) or fld.name == rtype.title_field:
            continue  # the title is the page heading
        if getattr(fld, "own_section", False):
            continue  # a decision's paragraphs have a section of their own
        if isinstance(fld, decisions.Citations):
            cited = decisions.links(value, language)
            out.append(Row(fld.name, str(fld.label), "", links=cited))
            continue
        if isinstance(fld, LString) and isinstance(value, dict):
            picked = pick(value, language)
            out.append(
                Row(
                    fld.name,
                    str(fld.label),
                    picked.text,
                    picked.language,
                    picked.fallback,
                    fld.multiline,
                )
            )
            continue
        text = fld.display(value, language, lambda ident: labels.label(ident, language))
        out.append(Row(fld.name, str(fld.label), text))
    return out


def title_of(rtype: RecordType, document: dict[str, Any], language: str) -> tuple[str, bool, str]:
    picked = pick(rtype.titles(document), language)
    return picked.text, picked.fallback, picked.language


@dataclass
class Change:
    label: str
    before: str
    after: str
    html: SafeString


def _flat(rtype: RecordType, document: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Field/language → (label, plain text) for diffing, every language kept."""
    flat: dict[str, tuple[str, str]] = {}
    for fld in rtype.fields:
        value = document.get(fld.name)
        if isinstance(fld, LString) and isinstance(value, dict):
            for lang, text in value.items():
                flat[f"{fld.name}.{lang}"] = (f"{fld.label} ({lang})", text)
        elif not fld.is_empty(value):
            flat[fld.name] = (str(fld.label), fld.display(value, "en", lambda i: i))
    return flat


def diff(rtype: RecordType, before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    old, new = _flat(rtype, before), _flat(rtype, after)
    changes = []
    for key in [*old, *[k for k in new if k not in old]]:
        a = old.get(key, ("", ""))[1]
        b = new.get(key, ("", ""))[1]
        if a == b:
            continue
        label = (new.get(key) or old.get(key) or (key, ""))[0]
        changes.append(Change(label, a, b, _inline(a, b)))
    return changes


def _inline(a: str, b: str) -> SafeString:
    """Word-level diff as HTML with <del> and <ins>."""
    wa, wb = a.split(), b.split()
    parts: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=wa, b=wb).get_opcodes():
        if op == "equal":
            parts.append(escape(" ".join(wa[i1:i2])))
        if op in ("delete", "replace"):
            parts.append(f"<del>{escape(' '.join(wa[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            parts.append(f"<ins>{escape(' '.join(wb[j1:j2]))}</ins>")
    return mark_safe(" ".join(parts))
