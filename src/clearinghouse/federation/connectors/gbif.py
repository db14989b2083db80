"""GBIF country statistics: what GBIF holds about one country, as a dated snapshot.

Four requests to the GBIF API (``CLEARINGHOUSE_GBIF_API_URL``, default
``https://api.gbif.org/v1``), all answered before anything is stored, so a failure leaves the
previous snapshot as it was:

- ``/occurrence/search?country=XX&limit=0&facet=publishingCountry&facetLimit=N``: the number of
  occurrences located in the country (``count``) and the countries whose publishers shared the
  most of them (the ``PUBLISHING_COUNTRY`` facet);
- ``/occurrence/counts/datasets?country=XX``: the datasets holding occurrences of the country;
- ``/dataset?country=XX&limit=0``: the datasets published from the country (``count``);
- ``/organization?country=XX&limit=0``: the country's publishers (``count``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import formats, numberformat, timezone
from django.utils.translation import gettext as _

from clearinghouse.federation.connectors.http import ConnectorError, build_url, expect, get_json
from clearinghouse.federation.connectors.models import GbifSnapshot
from clearinghouse.vocabularies import labels

COUNTRY = re.compile(r"^[A-Z]{2}$")
TOP = 10


@dataclass
class CountryStats:
    country: str
    occurrences: int
    datasets_with_occurrences: int
    datasets_published: int
    publishers: int
    publishing_countries: list[dict[str, Any]] = field(default_factory=list)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@dataclass
class GbifClient:
    base_url: str = ""
    timeout: float = 0
    retries: int = 2
    backoff_s: float = 1.0

    def __post_init__(self) -> None:
        self.base_url = (self.base_url or settings.CLEARINGHOUSE_GBIF_API_URL).rstrip("/")
        self.timeout = self.timeout or settings.CLEARINGHOUSE_GBIF_TIMEOUT

    def get(self, path: str, params: list[tuple[str, str]]) -> tuple[str, Any]:
        url = self.base_url + path
        body = get_json(url, params, self.timeout, self.retries, self.backoff_s)
        return build_url(url, params), body

    def country_stats(self, country: str, top: int = TOP) -> CountryStats:
        country = country.upper()
        if not COUNTRY.match(country):
            raise ConnectorError(
                _("%(country)r is not an ISO 3166-1 alpha-2 country code (e.g. BJ).")
                % {"country": country}
            )
        url, search = self.get(
            "/occurrence/search",
            [
                ("country", country),
                ("limit", "0"),
                ("facet", "publishingCountry"),
                ("facetLimit", str(top)),
            ],
        )
        expect(isinstance(search, dict), url, _("not a JSON object"))
        expect(_count(search.get("count")), url, _("no occurrence count"))
        facets = search.get("facets")
        expect(isinstance(facets, list), url, _("no facets"))
        publishing: list[dict[str, Any]] = []
        for facet in facets or []:
            if isinstance(facet, dict) and facet.get("field") == "PUBLISHING_COUNTRY":
                counts = facet.get("counts")
                expect(isinstance(counts, list), url, _("facet without counts"))
                for entry in counts or []:
                    ok = (
                        isinstance(entry, dict)
                        and isinstance(entry.get("name"), str)
                        and _count(entry.get("count"))
                    )
                    expect(ok, url, _("a facet count is not {name, count}"))
                    publishing.append({"country": entry["name"].upper(), "count": entry["count"]})
        publishing.sort(key=lambda e: (-e["count"], e["country"]))

        url, datasets = self.get("/occurrence/counts/datasets", [("country", country)])
        expect(isinstance(datasets, dict), url, _("not a JSON object of dataset counts"))
        expect(all(_count(v) for v in datasets.values()), url, _("a dataset count is not a number"))

        published = self._paged_count("/dataset", country)
        publishers = self._paged_count("/organization", country)
        return CountryStats(
            country=country,
            occurrences=search["count"],
            datasets_with_occurrences=sum(1 for v in datasets.values() if v > 0),
            datasets_published=published,
            publishers=publishers,
            publishing_countries=publishing[:top],
        )

    def _paged_count(self, path: str, country: str) -> int:
        url, body = self.get(path, [("country", country), ("limit", "0")])
        expect(isinstance(body, dict), url, _("not a JSON object"))
        expect(_count(body.get("count")), url, _("no count"))
        return int(body["count"])


def take_snapshot(country: str, base_url: str = "", **options: Any) -> GbifSnapshot:
    """Fetch the country's figures and store them as today's snapshot (replacing an earlier one
    of the same day). Raises ``ConnectorError``; then nothing is stored."""
    client = GbifClient(base_url=base_url, **options)
    stats = client.country_stats(country)
    now = timezone.now()
    with transaction.atomic():
        snapshot, _created = GbifSnapshot.objects.update_or_create(
            country=stats.country,
            date=now.date(),
            defaults={
                "taken_at": now,
                "occurrences": stats.occurrences,
                "datasets_with_occurrences": stats.datasets_with_occurrences,
                "datasets_published": stats.datasets_published,
                "publishers": stats.publishers,
                "publishing_countries": stats.publishing_countries,
                "source": client.base_url,
            },
        )
    return snapshot


def latest(country: str) -> GbifSnapshot | None:
    if not country:
        return None
    return GbifSnapshot.objects.filter(country=country.upper()).first()


def number(value: float, decimal_pos: int | None = None) -> str:
    """``value`` with the active language's decimal mark and digit grouping. The six UN
    languages all group digits by three (CLDR); Django's Chinese and Arabic formats group by
    four or not at all, so the grouping is three everywhere, with ``,`` where the language's
    format has no separator."""
    return numberformat.format(
        value,
        str(formats.get_format("DECIMAL_SEPARATOR")),
        decimal_pos,
        grouping=3,
        thousand_sep=str(formats.get_format("THOUSAND_SEPARATOR")) or ",",
        force_grouping=True,
    )


def block(country: str, language: str) -> dict[str, Any] | None:
    """What the portal's "Biodiversity data (GBIF)" block shows, formatted for the reader's
    language (digit grouping, decimal mark, country names); None without a snapshot."""
    snapshot = latest(country)
    if snapshot is None:
        return None

    total = snapshot.occurrences
    countries = []
    for entry in snapshot.publishing_countries:
        code = str(entry.get("country", ""))
        count = int(entry.get("count", 0))
        share = number(round(100 * count / total, 1), decimal_pos=1) if total else ""
        name = labels.label(code.lower(), language)
        countries.append(
            {
                "code": code,
                "name": name if name != code.lower() else code,
                "count": number(count),
                "share": share,
            }
        )
    return {
        "country": snapshot.country,
        "country_name": labels.label(snapshot.country.lower(), language),
        "date": snapshot.date,
        "occurrences": number(snapshot.occurrences),
        "datasets_with_occurrences": number(snapshot.datasets_with_occurrences),
        "datasets_published": number(snapshot.datasets_published),
        "publishers": number(snapshot.publishers),
        "countries": countries,
        "url": f"https://www.gbif.org/country/{snapshot.country}/summary",
    }
