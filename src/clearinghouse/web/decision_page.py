"""The body of a decision's record page: preamble, numbered paragraphs with stable anchors
(their Akoma Ntoso eIds, e.g. ``#para_9__subpara_b``) and, under each paragraph, the published
records of every portal that cite it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


def citations_of(uid: str) -> dict[str, list[Record]]:
    """eId → published records (any portal) citing that paragraph of decision ``uid``.

    The candidate rows are found with a text match on the published documents of the citing
    types, then each citation is checked exactly."""
    types = citing_types()
    candidates = (
        Record.objects.filter(
            schema__in=list(types),
            published__isnull=False,
            deleted_at__isnull=True,
            published__document__icontains=uid,
        )
        .select_related("published", "portal")
        .order_by("-published_at")
    )
    out: dict[str, list[Record]] = {}
    for record in candidates:
        doc = record.published.document if record.published else {}
        seen: set[str] = set()
        for name in types[record.schema]:
            for item in doc.get(name) or []:
                if isinstance(item, dict) and item.get("identifier") == uid:
                    eid = str(item.get("paragraph", ""))
                    if eid not in seen:
                        seen.add(eid)
                        out.setdefault(eid, []).append(record)
    return out


def _url(record: Record, portal: Portal, hosts: dict[int, str]) -> str:
    path = reverse("web:record", args=[record.uid])
    if record.portal_id == portal.pk or record.portal_id not in hosts:
        return path
    return f"//{hosts[record.portal_id]}{path}"


def context(record: Record, document: dict[str, Any], language: str, portal: Portal) -> dict:
    cited = citations_of(record.uid)
    hosts: dict[int, str] = {}
    if any(r.portal_id != portal.pk for rs in cited.values() for r in rs):
        for p in Portal.objects.prefetch_related("hosts"):
            first = next(iter(p.hosts.all()), None)
            if first is not None:
                hosts[p.pk] = first.host

    def build(items: Any, parent: str, depth: int) -> list[Para]:
        out = []
        for item in items if isinstance(items, list) else []:
            if not isinstance(item, dict):
                continue
            eid = decisions.child_eid(parent, str(item.get("num", "")))
            picked = pick(item.get("text") or {}, language)
            para = Para(
                eid, str(item.get("num", "")), depth, picked.text, picked.language, picked.fallback
            )
            for r in cited.get(eid, []):
                title = pick(r.title or {}, language).text or r.uid
                para.citing.append(
                    Citing(r.uid, title, str(get_type(r.schema).label), _url(r, portal, hosts))
                )
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
        "citing_count": sum(len(v) for v in cited.values()),
    }
