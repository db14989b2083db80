"""What the index holds for one published record: per-language documents and facet values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from clearinghouse.records.i18n import UN_LANGUAGES, pick
from clearinghouse.records.models import Record
from clearinghouse.records.types import COUNTRIES, GBF_TARGETS, RECORD_TYPES, REGIONS, SUBJECTS
from clearinghouse.search import thesaurus
from clearinghouse.search.text import detect_language

FACETS = ("type", "portal", "country", "region", "target", "subject", "language", "year")
SCHEME_FACETS = {GBF_TARGETS: "target", SUBJECTS: "subject", COUNTRIES: "country"}


@dataclass
class LangDoc:
    lang: str
    title: str
    body: str


@dataclass
class Entry:
    record_id: int
    uid: str
    portal_id: int
    schema: str
    published_at: dt.datetime
    titles: dict[str, str]
    docs: list[LangDoc] = field(default_factory=list)
    facets: list[tuple[str, str]] = field(default_factory=list)
    embed_texts: list[str] = field(default_factory=list)


DATE_FIELDS = ("publicationDate", "date", "startDate", "adoptionDate")


def _year(document: dict[str, Any]) -> str:
    """The year of the record's own date (publication, event, …), if it has one."""
    for name in DATE_FIELDS:
        value = document.get(name)
        if isinstance(value, str) and len(value) >= 4 and value[:4].isdigit():
            return value[:4]
    return ""


def build(record: Record) -> Entry | None:
    """The index entry of a public record; ``None`` when the record is not public."""
    if not record.is_public or record.published is None or record.published_at is None:
        return None
    rtype = RECORD_TYPES.get(record.schema)
    if rtype is None:
        return None
    th = thesaurus.get()
    document: dict[str, Any] = record.published.document or {}
    header = document.get("header") or {}
    declared = [lang for lang in header.get("languages") or [] if lang in UN_LANGUAGES]

    texts: dict[str, list[str]] = {}
    untagged: list[str] = []
    terms: list[tuple[str, str]] = []
    for f in rtype.fields:
        value = document.get(f.name)
        if value in (None, "", [], {}):
            continue
        for lang, items in f.texts(value).items():
            if lang in UN_LANGUAGES:
                texts.setdefault(lang, []).extend(items)
            else:
                untagged.extend(items)
        terms.extend(f.terms(value))
    government = (document.get("government") or {}).get("identifier") or record.government
    if government:
        terms.append((COUNTRIES, str(government).lower()))

    if untagged:
        home = (
            declared[0]
            if declared
            else (next(iter(texts), "") or detect_language(" ".join(untagged)))
        )
        texts.setdefault(home or "en", []).extend(untagged)
    content_langs = [lang for lang in UN_LANGUAGES if texts.get(lang)]

    title_field = rtype.title_field
    raw_title = document.get(title_field)
    titles: dict[str, str] = (
        {k: v for k, v in raw_title.items() if isinstance(v, str) and v}
        if isinstance(raw_title, dict)
        else ({content_langs[0] if content_langs else "en": str(raw_title)} if raw_title else {})
    )
    if rtype.schema == "contact":
        name = " ".join(str(document.get(k) or "") for k in ("firstName", "lastName")).strip()
        titles = {content_langs[0] if content_langs else "en": name}

    labels: dict[str, list[str]] = {}
    facets: set[tuple[str, str]] = {("type", record.schema), ("portal", record.portal.code)}
    facets.add(("year", _year(document) or str(record.published_at.year)))
    for scheme, ident in terms:
        for lang, items in th.labels.get(ident, {}).items():
            if lang in UN_LANGUAGES:
                labels.setdefault(lang, []).extend(items)
        facet = SCHEME_FACETS.get(scheme)
        if facet:
            facets.add((facet, ident))
        if scheme == COUNTRIES:
            for region in th.ancestors(ident):
                facets.add(("region", region))
        elif scheme == REGIONS:  # regions covered or benefited: in it, above and below it
            for region in {ident, *th.ancestors(ident), *th.descendants(ident)}:
                if th.scheme.get(region) == REGIONS:
                    facets.add(("region", region))
    for lang in content_langs or declared[:1]:
        facets.add(("language", lang))

    entry = Entry(
        record_id=record.pk,
        uid=record.uid,
        portal_id=record.portal_id,
        schema=record.schema,
        published_at=record.published_at,
        titles=titles,
        facets=sorted(facets),
    )
    for lang in UN_LANGUAGES:
        if not texts.get(lang) and not labels.get(lang):
            continue
        title = titles.get(lang, "")
        body_parts = list(texts.get(lang, []))
        if title and body_parts and body_parts[0] == title:
            body_parts = body_parts[1:]
        body = "\n".join([*body_parts, *dict.fromkeys(labels.get(lang, []))])
        entry.docs.append(LangDoc(lang, title, body))

    summary_field = rtype.summary_field
    summary = document.get(summary_field) if summary_field else None
    for lang in content_langs[:3] or ["en"]:
        title = titles.get(lang) or pick(titles, lang).text
        text = pick(summary, lang).text if isinstance(summary, dict) else ""
        joined = f"{title}. {text}".strip(" .")
        if joined:
            entry.embed_texts.append(joined[:1500])
    return entry
