"""The body of a decision's record page: preamble, numbered paragraphs with stable anchors
(their Akoma Ntoso eIds, e.g. ``#para_9__subpara_b``) and, under each paragraph, the published
records of every portal that cite it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.urls import reverse

from clearinghouse.portals.models import Portal
from clearinghouse.records import decisions
from clearinghouse.records.i18n import pick
from clearinghouse.records.models import Record
from clearinghouse.records.types import RECORD_TYPES, get_type


@dataclass
class Citing:
    uid: str
    title: str
    type_label: str
    url: str


@dataclass
class Para:
    eid: str
    num: str
    depth: int
    text: str
    language: str
    fallback: bool
    citing: list[Citing] = field(default_factory=list)
    children: list[Para] = field(default_factory=list)
    cited_count: int = 0

    @property
    def more(self) -> int:
        return self.cited_count - len(self.citing)

    @property
    def alias(self) -> str:
        """A second, shorter anchor: ``para-9-b-ii`` for ``para_9__subpara_b__subpara_ii``."""
        return "para-" + "-".join(
            part.removeprefix("para_").removeprefix("subpara_") for part in self.eid.split("__")
        )


def citing_types() -> dict[str, list[str]]:
    """Record type → its citation fields."""
    out: dict[str, list[str]] = {}
    for rtype in RECORD_TYPES.values():
        names = [f.name for f in rtype.fields if isinstance(f, decisions.Citations)]
        if names:
            out[rtype.schema] = names
    return out


@dataclass
class Cited:
    """A published record citing a paragraph (only what the page shows)."""

    uid: str
    portal_id: int
    schema: str
    title: dict[str, str]


def citations_of(uid: str) -> dict[str, list[Cited]]:
    """eId → published records (any portal), newest first, citing that paragraph of decision
    ``uid``. The rows are found with a text match on the citation fields of the published
    documents of the citing types (only those fields are read), then each citation is checked
    exactly."""
    types = citing_types()
    names = sorted({name for fields in types.values() for name in fields})
    match = Q()
    for name in names:
        match |= Q(**{f"published__document__{name}__icontains": uid})
    rows = (
        Record.objects.filter(
            match, schema__in=list(types), published__isnull=False, deleted_at__isnull=True
        )
        .order_by("-published_at", "-id")
        .values_list(
            "uid", "portal_id", "schema", "title", *[f"published__document__{n}" for n in names]
        )
    )
    out: dict[str, list[Cited]] = {}
    for row in rows:
        cited = Cited(row[0], row[1], row[2], row[3] if isinstance(row[3], dict) else {})
        seen: set[str] = set()
        for value in row[4:]:
            for item in value if isinstance(value, list) else []:
                if isinstance(item, dict) and item.get("identifier") == uid:
                    eid = str(item.get("paragraph", ""))
                    if eid not in seen:
                        seen.add(eid)
                        out.setdefault(eid, []).append(cited)
    return out


MAX_LISTED = 20  # citing records listed under one paragraph; the rest are counted


def context(record: Record, document: dict[str, Any], language: str, portal: Portal) -> dict:
    cited = citations_of(record.uid)
    hosts: dict[int, str] = {}
    if any(c.portal_id != portal.pk for cs in cited.values() for c in cs):
        for p in Portal.objects.prefetch_related("hosts"):
            first = next(iter(p.hosts.all()), None)
            if first is not None:
                hosts[p.pk] = first.host
    # One reverse() for all links (thousands of citing records cost no more than a join).
    pattern = reverse("web:record", args=["UID"])
    type_labels = {schema: str(get_type(schema).label) for schema in citing_types()}

    def url(c: Cited) -> str:
        path = pattern.replace("UID", c.uid)
        if c.portal_id == portal.pk or c.portal_id not in hosts:
            return path
        return f"//{hosts[c.portal_id]}{path}"

    def build(items: Any, parent: str, depth: int) -> list[Para]:
        out = []
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            num = str(item.get("num", ""))
            eid = decisions.child_eid(parent, num)
            picked = pick(item.get("text") or {}, language)
            para = Para(eid, num, depth, picked.text, picked.language, picked.fallback)
            citing = cited.get(eid, [])
            para.cited_count = len(citing)
            for c in citing[:MAX_LISTED]:
                title = pick(c.title, language).text or c.uid
                para.citing.append(Citing(c.uid, title, type_labels[c.schema], url(c)))
            para.children = build(item.get("subparagraphs"), eid, depth + 1)
            out.append(para)
        return out

    preamble = pick(document.get("preamble") or {}, language)
    languages = (document.get("header") or {}).get("languages") or []
    return {
        "languages": languages,
        "symbol": decisions.symbol(document),
        "preamble": preamble.text,
        "preamble_language": preamble.language,
        "paragraphs": build(document.get("paragraphs"), "", 0),
        "citing_count": len({c.uid for cs in cited.values() for c in cs}),
    }
