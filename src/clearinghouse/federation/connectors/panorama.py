"""Import PANORAMA solutions (``/api/v1/solutions?country_iso_2[]=XX&page=N``) as case studies.

A PANORAMA solution is a case study: title, summary, context, challenges, beneficiaries,
impacts and two or more reusable building blocks, each with enabling factors and lessons
learned; it also has an address (``url``), an image and theme classifications. Each becomes a
``caseStudy`` record, validated in full; ``id`` keys the provenance, ``url`` is kept as the
record's source, the image and classifications stay in the provenance copy."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clearinghouse.federation.connectors.http import build_url, expect, get_json
from clearinghouse.federation.connectors.imports import Mapped, Page
from clearinghouse.federation.connectors.models import ImportKind, ImportSource
from clearinghouse.records.i18n import UN_LANGUAGES
from clearinghouse.records.types import COUNTRIES
from clearinghouse.records.validation import known_terms

COUNTRY = re.compile(r"^[A-Z]{2}$")
TEXTS = ("context", "challenges", "beneficiaries", "impacts")
BLOCK_PARTS = {
    "title": "title",
    "description": "description",
    "enabling_factors": "enablingFactors",
    "lessons_learned": "lessonsLearned",
}
MIN_BLOCKS = 2


@dataclass
class PanoramaConnector:
    timeout: float = 0
    retries: int = 2
    backoff_s: float = 1.0
    kind: str = ImportKind.PANORAMA
    first_cursor: int = 1
    partial: bool = False

    def __post_init__(self) -> None:
        self.timeout = self.timeout or settings.CLEARINGHOUSE_CONNECTOR_TIMEOUT

    def fetch(self, source: ImportSource, cursor: int) -> Page:
        params = [("country_iso_2[]", source.query), ("page", str(cursor))]
        body = get_json(source.base_url, params, self.timeout, self.retries, self.backoff_s)
        url = build_url(source.base_url, params)
        expect(isinstance(body, dict), url, _("not a JSON object"))
        results, count = body.get("results"), body.get("count")
        expect(isinstance(results, list), url, _("“results” is not a list"))
        expect(count is None or isinstance(count, int), url, _("“count” is not a number"))
        more = bool(body.get("next")) and bool(results)
        return Page(results, count, cursor + 1 if more else None)

    def map(self, raw: Any) -> Mapped:
        if not isinstance(raw, dict):
            return Mapped("", raw, problem=_("the solution is not a JSON object"))
        ident = raw.get("id")
        if isinstance(ident, bool) or not isinstance(ident, int | str) or not str(ident).strip():
            return Mapped("", raw, problem=_("the solution has no id"))
        m = Mapped(str(ident).strip(), raw, remote_type="solution", schema="caseStudy")
        url = raw.get("url")
        m.url = url if isinstance(url, str) and url.startswith(("http://", "https://")) else ""
        changed = raw.get("changed")
        m.updated = changed if isinstance(changed, str) else ""
        lang = raw.get("language") if raw.get("language") in UN_LANGUAGES else "en"
        assert isinstance(lang, str)
        doc: dict[str, Any] = {"header": {"languages": [lang]}}
        for name in ("title", "summary", *TEXTS):
            value = raw.get(name)
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                m.problem = _("%(field)s is not text") % {"field": name}
                return m
            doc[name] = {lang: value.strip()}
        blocks = raw.get("building_blocks")
        if not isinstance(blocks, list):
            m.problem = _("building_blocks is not a list")
            return m
        if len(blocks) < MIN_BLOCKS:
            m.problem = ngettext(
                "the solution has %(count)d building block; a PANORAMA solution has at least 2",
                "the solution has %(count)d building blocks; a PANORAMA solution has at least 2",
                len(blocks),
            ) % {"count": len(blocks)}
            return m
        local_blocks = []
        for i, block in enumerate(blocks):
            if not isinstance(block, dict):
                m.problem = _("building block %(n)d is not an object") % {"n": i + 1}
                return m
            local: dict[str, Any] = {}
            for name, key in BLOCK_PARTS.items():
                value = block.get(name)
                if isinstance(value, str) and value.strip():
                    local[key] = {lang: value.strip()}
                elif value not in (None, ""):
                    m.problem = _("building block %(n)d: %(field)s is not text") % {
                        "n": i + 1,
                        "field": name,
                    }
                    return m
            local_blocks.append(local)
        doc["buildingBlocks"] = local_blocks
        countries = raw.get("countries")
        if isinstance(countries, list):
            wanted = {c.lower() for c in countries if isinstance(c, str) and COUNTRY.match(c)}
            known = known_terms(COUNTRIES, wanted)
            if known:
                doc["countryRegions"] = [{"identifier": c} for c in sorted(known)]
        if m.url:
            doc["links"] = [{"url": m.url}]
        m.document = doc
        return m


def new_source(portal: Any, country: str = "", base_url: str = "") -> ImportSource:
    source, _created = ImportSource.objects.get_or_create(
        kind=ImportKind.PANORAMA,
        base_url=base_url or settings.CLEARINGHOUSE_PANORAMA_URL,
        query=(country or portal.country).upper(),
        portal=portal,
    )
    return source
