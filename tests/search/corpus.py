"""The labelled multilingual corpus (tests/data/search_eval.json): published through the record
services, as a portal's editors would, for the search tests and bench/search_eval.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model

from clearinghouse.portals.models import Membership, Portal, PortalKind, Role
from clearinghouse.records import services
from clearinghouse.records.models import Record
from tests.factories import make_portal

DATA = Path(__file__).resolve().parent.parent / "data" / "search_eval.json"
PORTALS = {
    "bj": ("BJ", ["fr", "en"]),
    "pe": ("PE", ["es", "en"]),
    "ru": ("RU", ["ru", "en"]),
    "cn": ("CN", ["zh", "en"]),
    "eg": ("EG", ["ar", "en"]),
}


def data() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return loaded


def portals() -> dict[str, Portal]:
    out = {}
    for code, (country, languages) in PORTALS.items():
        out[code] = Portal.objects.filter(code=code).first() or make_portal(
            code, country, hosts=[f"{code}.testserver"], languages=languages
        )
    out["central"] = Portal.objects.filter(code="central").first() or make_portal(
        "central",
        "",
        hosts=["central.testserver"],
        kind=PortalKind.CENTRAL,
        languages=["en", "fr", "es", "ar", "ru", "zh"],
    )
    return out


def document(item: dict[str, Any]) -> dict[str, Any]:
    languages = list(item["title"])
    return {
        "header": {"languages": languages},
        "title": item["title"],
        "summary": item["summary"],
        "resourceTypes": [{"identifier": "RT-GUIDANCE"}],
        "authors": "Secretariat",
        "organizations": "Convention on Biological Diversity",
        "publicationDate": f"{item['year']}-06-01",
        "resourceLinks": [{"url": "https://example.org/document.pdf"}],
        "cbdSubjects": [{"identifier": s} for s in item["subjects"]],
        "gbfTargets": [{"identifier": t} for t in item["targets"]],
        "countryRegions": [{"identifier": c} for c in item["countries"]],
    }


def load(keys: list[str] | None = None) -> dict[str, Record]:
    """Publish the corpus (or some of its records); returns key → record."""
    by_code = portals()
    publisher, _created = get_user_model().objects.get_or_create(username="corpus-publisher")
    for portal in by_code.values():
        Membership.objects.get_or_create(portal=portal, user=publisher, role=Role.MANAGER)
    out = {}
    for item in data()["records"]:
        if keys is not None and item["key"] not in keys:
            continue
        portal = by_code[item["portal"]]
        record = services.create_draft(portal, publisher, item["schema"], document(item))
        services.publish(record, publisher)
        out[item["key"]] = record
    return out
