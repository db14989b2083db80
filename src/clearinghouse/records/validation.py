"""Validate a CBD-style record document against its declared record type."""

from __future__ import annotations

from typing import Any

from clearinghouse.portals.models import Portal
from clearinghouse.records import errors as E
from clearinghouse.records.errors import Issue
from clearinghouse.records.fields import AnyOf, Context, DateOrder, parse_date
from clearinghouse.records.i18n import UN_LANGUAGES
from clearinghouse.records.types import RecordType
from clearinghouse.vocabularies.models import Concept

ENVELOPE = {"header", "government"}


def known_terms(scheme: str, identifiers: set[str]) -> set[str]:
    if not identifiers:
        return set()
    return set(
        Concept.objects.filter(scheme__identifier=scheme, identifier__in=identifiers).values_list(
            "identifier", flat=True
        )
    )


def validate(rtype: RecordType, document: Any, portal: Portal | None = None) -> list[Issue]:
    """Every problem with ``document``; an empty list means it may be saved and published."""
    if not isinstance(document, dict):
        return [Issue(E.INVALID_TYPE, "", E.MSG_TYPE_OBJECT)]
    issues: list[Issue] = list(_nul_characters(document, ""))
    header = document.get("header")
    languages: list[str] = []
    if not isinstance(header, dict):
        issues.append(Issue(E.MANDATORY, "header", E.MSG_REQUIRED))
    else:
        raw = header.get("languages")
        if not isinstance(raw, list) or not raw:
            issues.append(Issue(E.MANDATORY, "header.languages", E.MSG_LANGUAGES))
        else:
            for lang in raw:
                if lang in UN_LANGUAGES:
                    languages.append(lang)
                else:
                    issues.append(
                        Issue(
                            E.INVALID_VALUE,
                            "header.languages",
                            E.MSG_LANGUAGE_CODE,
                            {"value": lang},
                        )
                    )
    issues += _validate_government(rtype, document, portal)
    ctx = Context(languages=languages, known_terms=known_terms, schema=rtype.schema)
    for name in sorted(set(document) - rtype.field_names - ENVELOPE):
        issues.append(
            Issue(E.INVALID_PROPERTY, name, E.MSG_UNKNOWN_FIELD, {"schema": rtype.schema})
        )
    for fld in rtype.fields:
        issues += fld.validate(document.get(fld.name), ctx)
    issues += _validate_rules(rtype, document)
    return issues


def _nul_characters(value: Any, path: str) -> Any:
    """NUL cannot be stored by PostgreSQL and is never meant: say where it is."""
    if isinstance(value, str):
        if "\x00" in value:
            yield Issue(E.INVALID_VALUE, path, E.MSG_NUL)
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                yield Issue(E.INVALID_PROPERTY, where.replace("\x00", "\\0"), E.MSG_NUL)
            else:
                yield from _nul_characters(item, where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _nul_characters(item, f"{path}[{i}]")


def _validate_government(rtype: RecordType, document: dict, portal: Portal | None) -> list[Issue]:
    government = document.get("government")
    ident = government.get("identifier") if isinstance(government, dict) else None
    if rtype.national and not ident:
        return [Issue(E.MANDATORY, "government", E.MSG_REQUIRED)]
    if ident and portal is not None and portal.country and ident.lower() != portal.country.lower():
        return [
            Issue(
                E.INVALID_VALUE, "government", E.MSG_GOVERNMENT, {"country": portal.country.lower()}
            )
        ]
    return []


def _validate_rules(rtype: RecordType, document: dict) -> list[Issue]:
    issues = []
    for rule in rtype.rules:
        if isinstance(rule, DateOrder):
            start = parse_date(str(document.get(rule.start) or ""))
            end = parse_date(str(document.get(rule.end) or ""))
            if start and end and end < start:
                issues.append(Issue(E.INVALID_VALUE, rule.end, E.MSG_END_BEFORE_START))
        elif isinstance(rule, AnyOf) and not any(document.get(f) for f in rule.fields):
            issues.append(
                Issue(
                    E.MANDATORY_ANY_OF,
                    ",".join(rule.fields),
                    E.MSG_ANY_OF,
                    {"fields": ", ".join(rule.fields)},
                )
            )
    return issues
