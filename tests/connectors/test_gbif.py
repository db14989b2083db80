"""GBIF country statistics: the client reads real recordings (and constructed answers in GBIF's
format, see fixtures/gbif/README.md) over real HTTP from a loopback server."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from clearinghouse.federation.connectors.gbif import GbifClient, take_snapshot
from clearinghouse.federation.connectors.http import ConnectorError
from clearinghouse.federation.connectors.models import GbifSnapshot
from tests.connectors.server import LoopbackServer
from tests.factories import make_portal

pytestmark = pytest.mark.django_db
SEARCH = "/v1/occurrence/search"
DATASET_COUNTS = "/v1/occurrence/counts/datasets"


def serve_germany(server: LoopbackServer) -> str:
    server.add_cassette("gbif/test_count_datasets.yaml")  # real recording
    server.add_file(
        SEARCH,
        "country=DE&limit=0&facet=publishingCountry&facetLimit=10",
        "gbif/occurrence_search_DE.json",
    )
    server.add_file("/v1/dataset", "country=DE&limit=0", "gbif/dataset_DE.json")
    server.add_file("/v1/organization", "country=DE&limit=0", "gbif/organization_DE.json")
    return server.root + "/v1"


def test_snapshot_of_a_country_from_the_recorded_answers(server: LoopbackServer) -> None:
    base = serve_germany(server)
    snapshot = take_snapshot("de", base, backoff_s=0)
    snapshot.refresh_from_db()
    assert snapshot.country == "DE"
    assert snapshot.date == timezone.now().date()
    assert snapshot.occurrences == 60_265_252
    # The real recording of /occurrence/counts/datasets?country=DE lists 4,102 datasets.
    assert snapshot.datasets_with_occurrences == 4102
    assert (snapshot.datasets_published, snapshot.publishers) == (1184, 97)
    assert snapshot.publishing_countries[:3] == [
        {"country": "DE", "count": 48_727_786},
        {"country": "NL", "count": 4_307_810},
        {"country": "US", "count": 2_579_423},
    ]
    assert len(snapshot.publishing_countries) == 10
    assert snapshot.source == base
    paths = [path for path, _ in server.requests]
    assert paths == [SEARCH, DATASET_COUNTS, "/v1/dataset", "/v1/organization"]
    assert server.requests[0][1]["facet"] == "publishingCountry"


def test_a_second_snapshot_the_same_day_replaces_the_first(server: LoopbackServer) -> None:
    base = serve_germany(server)
    take_snapshot("DE", base)
    take_snapshot("DE", base)
    assert GbifSnapshot.objects.filter(country="DE").count() == 1


def _previous_snapshot() -> GbifSnapshot:
    return GbifSnapshot.objects.create(
        country="DE",
        date=dt.date(2026, 1, 5),
        occurrences=59_000_000,
        datasets_with_occurrences=4000,
        datasets_published=1100,
        publishers=90,
        publishing_countries=[{"country": "DE", "count": 48_000_000}],
        source="https://api.gbif.org/v1",
    )


@pytest.mark.parametrize(
    ("path", "fault", "message"),
    [
        (DATASET_COUNTS, 404, "answered HTTP 404"),
        ("/v1/organization", 500, "answered HTTP 500"),
        ("/v1/dataset", "notjson", "did not answer JSON"),
        (SEARCH, "drop", "Could not read"),
    ],
)
def test_http_failures_are_reported_and_keep_the_previous_snapshot(
    server: LoopbackServer, path: str, fault: Any, message: str
) -> None:
    base = serve_germany(server)
    previous = _previous_snapshot()
    server.faults[path] = [fault] * 3
    with pytest.raises(ConnectorError) as caught:
        take_snapshot("DE", base, backoff_s=0, timeout=5)
    assert message in str(caught.value)
    assert path in str(caught.value)  # which request failed
    assert list(GbifSnapshot.objects.values_list("pk", "occurrences")) == [
        (previous.pk, 59_000_000)
    ]


def test_a_transient_failure_is_retried(server: LoopbackServer) -> None:
    base = serve_germany(server)
    server.faults[SEARCH] = [503]
    snapshot = take_snapshot("DE", base, backoff_s=0)
    assert snapshot.occurrences == 60_265_252
    assert [p for p, _ in server.requests].count(SEARCH) == 2


@pytest.mark.parametrize(
    ("path", "query", "body", "message"),
    [
        ("/v1/organization", "country=DE&limit=0", b'{"results": []}', "no count"),
        ("/v1/dataset", "country=DE&limit=0", b"[1, 2]", "not a JSON object"),
        (DATASET_COUNTS, "country=DE", b'{"abc": "many"}', "a dataset count is not a number"),
        (
            SEARCH,
            "country=DE&limit=0&facet=publishingCountry&facetLimit=10",
            b'{"count": 5, "facets": [{"field": "PUBLISHING_COUNTRY", "counts": [{"n": 1}]}]}',
            "a facet count is not {name, count}",
        ),
    ],
)
def test_unexpected_json_is_refused_with_what_is_wrong(
    server: LoopbackServer, path: str, query: str, body: bytes, message: str
) -> None:
    base = serve_germany(server)
    server.answer(path, query, body)
    _previous_snapshot()
    with pytest.raises(ConnectorError) as caught:
        take_snapshot("DE", base, backoff_s=0)
    assert "Unexpected answer from" in str(caught.value)
    assert message in str(caught.value)
    assert GbifSnapshot.objects.get().occurrences == 59_000_000


def test_a_country_code_is_checked_before_any_request(server: LoopbackServer) -> None:
    with pytest.raises(ConnectorError, match="not an ISO 3166-1 alpha-2"):
        GbifClient(base_url=server.root + "/v1").country_stats("Benin")
    assert server.requests == []


def test_command_prints_the_figures(server: LoopbackServer) -> None:
    base = serve_germany(server)
    out = StringIO()
    call_command("gbif_stats", "--country", "DE", "--base-url", base, stdout=out)
    text = out.getvalue()
    assert "60,265,252 occurrences" in text
    assert "4,102 datasets with occurrences" in text
    assert "97 publishers" in text
    assert "DE 48,727,786, NL 4,307,810" in text


def test_command_fails_clearly_and_keeps_the_snapshot(
    server: LoopbackServer, settings: Any
) -> None:
    base = serve_germany(server)
    _previous_snapshot()
    server.faults["/v1/organization"] = [404]
    err = StringIO()
    with pytest.raises(CommandError, match="GBIF statistics failed for DE"):
        call_command("gbif_stats", "--country", "DE", "--base-url", base, stderr=err)
    assert "answered HTTP 404" in err.getvalue()
    assert "the snapshot of 2026-01-05 is kept" in err.getvalue()


def test_command_uses_the_base_url_setting(server: LoopbackServer, settings: Any) -> None:
    settings.CLEARINGHOUSE_GBIF_API_URL = serve_germany(server)
    make_portal("de", "DE", hosts=["de.testserver"])
    call_command("gbif_stats", stdout=StringIO())  # every national portal's country
    assert GbifSnapshot.objects.get().occurrences == 60_265_252


# Digit grouping and decimal marks of each language (Django's locale formats).
FORMATTED = {
    "en": ("60,265,252", "80.9"),
    "fr": ("60\xa0265\xa0252", "80,9"),
    "es": ("60\xa0265\xa0252", "80,9"),
    "ru": ("60\xa0265\xa0252", "80,9"),
    "zh": ("60,265,252", "80.9"),
    "ar": ("60.265.252", "80,9"),
}
NAMES = {  # from the UN M49 vocabulary
    "en": "Netherlands",
    "fr": "Pays-Bas (Royaume des)",
    "es": "Países Bajos (Reino de los)",
    "ru": "Нидерланды (Королевство)",
    "zh": "荷兰王国",
    "ar": "هولندا (مملكة _)",
}


@pytest.mark.parametrize("language", sorted(FORMATTED))
def test_the_portal_shows_the_figures_in_six_languages(
    server: LoopbackServer, client: Any, language: str
) -> None:
    take_snapshot("DE", serve_germany(server))
    make_portal("de", "DE", hosts=["de.testserver"], languages=["en", "fr"])
    html = client.get(f"/{language}/", HTTP_HOST="de.testserver").content.decode()
    assert 'aria-labelledby="gbif-h"' in html
    occurrences, share = FORMATTED[language]
    assert f'data-figure="occurrences">{occurrences}</dd>' in html
    assert 'data-figure="datasets-with-occurrences">4' in html
    assert NAMES[language] in html
    # Germany's own publishers shared 80.86 % of its occurrences; French puts a no-break space
    # before the percent sign.
    assert '<tr data-country="DE"><td>' in html
    space = "\xa0" if language == "fr" else " "
    assert f"<td>{share}{space}%</td>" in html


def test_no_block_without_a_snapshot_or_on_the_central_portal(client: Any) -> None:
    make_portal("bj", "BJ", hosts=["bj.testserver"])
    html = client.get("/en/", HTTP_HOST="bj.testserver").content.decode()
    assert "gbif-h" not in html
