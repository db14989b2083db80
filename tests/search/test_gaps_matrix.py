"""The region × GBF target matrix (/<lang>/search/gaps/?by=region-target, its CSV and
/api/search/gaps?by=region-target): counts of records published through the record services,
thin spots, links that list the same records, downloads, errors and portal scoping."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from clearinghouse.portals.models import Membership, Portal, Role
from clearinghouse.records import services
from clearinghouse.records.models import Record
from tests.search import corpus

pytestmark = pytest.mark.django_db
CENTRAL = {"HTTP_HOST": "central.testserver"}
WESTERN_AFRICA = "m49-011"
AFRICA = "m49-002"
SOUTH_AMERICA = "m49-005"


def _request(country: str, targets: list[str], title: str) -> dict[str, Any]:
    return {
        "header": {"languages": ["en"]},
        "title": {"en": title},
        "problem": {"en": f"{title}: we need help."},
        "country": {"identifier": country},
        "assistanceTypes": [{"identifier": "AT-TRAINING"}],
        "workingLanguages": [{"identifier": "LANG-EN"}],
        "gbfTargets": [{"identifier": t} for t in targets],
    }


def _provider(country: str, targets: list[str], title: str) -> dict[str, Any]:
    return {
        "header": {"languages": ["en"]},
        "title": {"en": title},
        "organization": title,
        "country": {"identifier": country},
        "assistanceTypes": [{"identifier": "AT-TRAINING"}],
        "expertise": {"en": "Wildlife management."},
        "operationalLanguages": [{"identifier": "LANG-EN"}],
        "gbfTargets": [{"identifier": t} for t in targets],
    }


@pytest.fixture
def published(
    publish_corpus: Callable, django_capture_on_commit_callbacks: Any
) -> dict[str, Portal]:
    """The corpus' resources (r01: Benin, T2 …) plus requests and providers published by the
    Benin and Peru portals' managers through the record services (indexed after commit)."""
    publish_corpus("r01", "r02", "r04")
    portals = corpus.portals()
    user, _created = get_user_model().objects.get_or_create(username="corpus-publisher")
    docs = [
        ("bj", "bbiRequest", _request("bj", ["GBF-TARGET-05"], "Bushmeat A")),
        ("bj", "bbiRequest", _request("bj", ["GBF-TARGET-05", "GBF-TARGET-04"], "Bushmeat B")),
        ("bj", "bbiRequest", _request("ng", ["GBF-TARGET-05"], "Bushmeat C")),
        ("pe", "bbiRequest", _request("pe", ["GBF-TARGET-05"], "Vicuña")),
        ("pe", "bbiProfile", _provider("pe", ["GBF-TARGET-05"], "Andes Wildlife")),
        ("bj", "bbiProfile", _provider("bj", ["GBF-TARGET-04"], "Savanna Wildlife")),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        for code, schema, doc in docs:
            Membership.objects.get_or_create(portal=portals[code], user=user, role=Role.MANAGER)
            record = services.create_draft(portals[code], user, schema, doc)
            services.publish(record, user)
    return portals


def _matrix(client: Any, host: dict[str, str] = CENTRAL, **params: str) -> dict[str, Any]:
    resp = client.get("/api/search/gaps", {"by": "region-target", **params}, **host)
    assert resp.status_code == 200, resp.content
    body: dict[str, Any] = resp.json()
    return body


def _cell(body: dict[str, Any], row: str, target: str) -> int:
    col = [c["identifier"] for c in body["columns"]].index(target)
    r = next(r for r in body["rows"] if r["identifier"] == row)
    n: int = r["cells"][col]
    return n


def test_api_matrix_counts(published: Any, client: Any) -> None:
    body = _matrix(client)
    assert [c["identifier"] for c in body["columns"]][:2] == ["GBF-TARGET-01", "GBF-TARGET-02"]
    assert len(body["columns"]) == 23
    assert body["columns"][4]["label"] == "Target 5"
    rows = {r["identifier"]: r for r in body["rows"]}
    assert rows[AFRICA]["level"] == 0 and rows[WESTERN_AFRICA]["level"] == 2
    assert _cell(body, WESTERN_AFRICA, "GBF-TARGET-05") == 3  # Benin ×2, Nigeria
    assert _cell(body, AFRICA, "GBF-TARGET-05") == 3
    assert _cell(body, WESTERN_AFRICA, "GBF-TARGET-04") == 1
    assert _cell(body, SOUTH_AMERICA, "GBF-TARGET-05") == 1
    assert rows[WESTERN_AFRICA]["total"] == 3  # "Bushmeat B" (two targets) counts once
    assert body["column_totals"][4] == 4
    assert body["total"] == 4

    providers = _matrix(client, measure="providers")
    assert _cell(providers, SOUTH_AMERICA, "GBF-TARGET-05") == 1
    assert _cell(providers, WESTERN_AFRICA, "GBF-TARGET-05") == 0

    guidance = _matrix(client, measure="guidance")
    assert _cell(guidance, WESTERN_AFRICA, "GBF-TARGET-02") == 1  # r01, Benin

    unmet = _matrix(client, measure="unmet")
    assert _cell(unmet, WESTERN_AFRICA, "GBF-TARGET-05") == 3  # no provider of T5 there
    assert _cell(unmet, WESTERN_AFRICA, "GBF-TARGET-04") == 0  # Savanna Wildlife
    assert _cell(unmet, SOUTH_AMERICA, "GBF-TARGET-05") == 0  # Andes Wildlife
    assert next(r for r in unmet["rows"] if r["identifier"] == WESTERN_AFRICA)["total"] == 3
    assert unmet["total"] == 3


def test_thin_spots_in_plain_words(published: Any, client: Any) -> None:
    body = _matrix(client)
    first = body["thin_spots"][0]
    assert (first["row"], first["target"]) == (WESTERN_AFRICA, "GBF-TARGET-05")
    assert (first["requests"], first["providers"]) == (3, 0)
    # only the finest rows: Africa and Sub-Saharan Africa repeat Western Africa's requests
    assert {s["row"] for s in body["thin_spots"]} <= {WESTERN_AFRICA, SOUTH_AMERICA}
    html = client.get("/en/search/gaps/", {"by": "region-target"}, **CENTRAL).content.decode()
    text = re.sub(r"<[^>]+>", "", html)
    assert "Western Africa · Target 5: 3 requests, no provider" in text
    assert text.index("Thin spots") < text.index("per region and GBF target")


def test_zero_cells_have_a_text_marker(published: Any, client: Any) -> None:
    html = client.get("/en/search/gaps/", {"by": "region-target"}, **CENTRAL).content.decode()
    row = re.search(r'<tr id="row-m49-011">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    assert len(cells) == 24  # 23 targets and the total
    assert "○" in cells[0] and "(none)" in cells[0]  # Target 1: nothing
    assert "○" not in cells[4] and ">3<" in cells[4]  # Target 5: three requests
    assert '<th scope="row" class="l2">Western Africa</th>' in row.group(1)
    assert "<caption" in html and 'role="region"' in html


def _search_total(client: Any, url: str) -> int:
    html = client.get(url, **CENTRAL).content.decode()
    found = re.search(r"(\d+) records? found", html)
    assert found is not None, url
    return int(found.group(1))


def test_cell_links_list_the_same_records(published: Any, client: Any) -> None:
    html = client.get(
        "/en/search/gaps/", {"by": "region-target", "measure": "requests"}, **CENTRAL
    ).content.decode()
    row = re.search(r'<tr id="row-m49-011">(.*?)</tr>', html, re.S)
    assert row is not None
    links = re.findall(r'<td[^>]*>.*?<a href="([^"]+)">(\d+)</a>', row.group(1), re.S)
    assert len(links) == 24
    checked = 0
    for href, shown in [links[3], links[4], links[0], links[-1]]:  # T4, T5, T1, row total
        url = href.replace("&amp;", "&")
        assert "region=m49-011" in url and "type=bbiRequest" in url
        assert _search_total(client, url) == int(shown)
        checked += int(shown)
    assert checked == 1 + 3 + 0 + 3
    foot = re.search(r"<tfoot>(.*?)</tfoot>", html, re.S)
    assert foot is not None
    t5 = re.findall(r'<a href="([^"]+)">(\d+)</a>', foot.group(1))[4]
    assert _search_total(client, t5[0].replace("&amp;", "&")) == int(t5[1]) == 4


def test_drill_down_to_the_countries_of_a_region(published: Any, client: Any) -> None:
    body = _matrix(client, within=WESTERN_AFRICA)
    assert body["row_facet"] == "country"
    # "Bushmeat C" is about Nigeria but published by Benin's portal (its government): both
    assert _cell(body, "bj", "GBF-TARGET-05") == 3
    assert _cell(body, "ng", "GBF-TARGET-05") == 1
    assert _cell(body, "gh", "GBF-TARGET-05") == 0
    assert body["total"] == 3
    html = client.get(
        "/en/search/gaps/", {"by": "region-target", "within": WESTERN_AFRICA}, **CENTRAL
    ).content.decode()
    row = re.search(r'<tr id="row-bj">(.*?)</tr>', html, re.S)
    assert row is not None
    href, shown = re.findall(r'<a href="([^"]+)">(\d+)</a>', row.group(1))[4]
    assert shown == "3"
    assert "country=bj" in href and _search_total(client, href.replace("&amp;", "&")) == 3


def test_csv_download_with_bom_and_arabic_labels(published: Any, client: Any) -> None:
    resp = client.get("/ar/search/gaps/matrix.csv", {"measure": "requests"}, **CENTRAL)
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    raw = resp.content
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[1][2] == "GBF-TARGET-01" and len(rows[0]) == 2 + 23 + 1
    west = next(r for r in rows if r[1] == WESTERN_AFRICA)
    assert west[0] == "غرب أفريقيا"
    assert west[2 + 4] == "3" and west[-1] == "3"
    assert rows[-1][-1] == "4"
    assert rows[0][0] == "المنطقة"  # header in Arabic (the CSV's own strings are translated)
    # The GBF vocabulary labels targets in English, French and Spanish only: Arabic falls back.
    assert rows[0][2] == "Target 1"
    french = client.get("/fr/search/gaps/matrix.csv", **CENTRAL).content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(french)))[2] == "Cible 1"


def test_arabic_page_is_right_to_left(published: Any, client: Any) -> None:
    html = client.get("/ar/search/gaps/", {"by": "region-target"}, **CENTRAL).content.decode()
    assert 'dir="rtl"' in html and "غرب أفريقيا" in html
    assert "inset-inline-start: 0" in html  # the sticky first column follows the direction


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"by": "region-target", "measure": "bogus"}, "measure"),
        ({"by": "region-target", "within": "bj"}, "within"),
        ({"by": "nonsense"}, "by"),
    ],
)
def test_api_bad_parameters(published: Any, client: Any, params: dict, name: str) -> None:
    resp = client.get("/api/search/gaps", params, **CENTRAL)
    assert resp.status_code == 400
    assert f"“{name}”" in resp.json()["detail"]
    fr = client.get("/api/search/gaps", params, HTTP_ACCEPT_LANGUAGE="fr", **CENTRAL)
    assert fr.status_code == 400


def test_api_bad_top_is_422(published: Any, client: Any) -> None:
    resp = client.get("/api/search/gaps", {"by": "region-target", "top": "-1"}, **CENTRAL)
    assert resp.status_code == 422
    assert "top" in resp.content.decode()


def test_page_bad_parameter(published: Any, client: Any) -> None:
    resp = client.get("/en/search/gaps/", {"by": "region-target", "measure": "x"}, **CENTRAL)
    assert resp.status_code == 400
    assert "“measure”" in resp.content.decode()
    csv_resp = client.get("/en/search/gaps/matrix.csv", {"within": "nowhere"}, **CENTRAL)
    assert csv_resp.status_code == 400


def test_alias_at_api_gaps(published: Any, client: Any) -> None:
    body = client.get("/api/gaps", {"by": "region-target"}, **CENTRAL).json()
    assert _cell(body, WESTERN_AFRICA, "GBF-TARGET-05") == 3


def test_national_portal_sees_its_own_records(published: Any, client: Any) -> None:
    peru = _matrix(client, {"HTTP_HOST": "pe.testserver"})
    assert _cell(peru, WESTERN_AFRICA, "GBF-TARGET-05") == 0
    assert _cell(peru, SOUTH_AMERICA, "GBF-TARGET-05") == 1
    assert peru["total"] == 1
    benin = _matrix(client, {"HTTP_HOST": "bj.testserver"}, measure="unmet")
    assert _cell(benin, WESTERN_AFRICA, "GBF-TARGET-05") == 3
    assert _cell(benin, SOUTH_AMERICA, "GBF-TARGET-05") == 0


def test_table_page_links_list_the_records(published: Any, client: Any) -> None:
    """The per-target table's row links (the search needs words: the label is the query)."""
    html = client.get("/en/search/gaps/", **CENTRAL).content.decode()
    assert "by=region-target" in html
    row = re.search(r'<tr id="GBF-TARGET-05"[^>]*><th scope="row"><a href="([^"]+)"', html)
    assert row is not None
    # Target 5: four requests and one provider, whatever their type
    assert _search_total(client, row.group(1).replace("&amp;", "&")) == 5


def test_provider_covering_a_region_meets_its_demand(
    published: dict[str, Portal], client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A provider from Peru that covers Africa (coverageRegions) serves Western Africa: the
    thin spot disappears, and the providers cell's link lists it."""
    assert _cell(_matrix(client, measure="unmet"), WESTERN_AFRICA, "GBF-TARGET-05") == 3
    user = get_user_model().objects.get(username="corpus-publisher")
    doc = _provider("pe", ["GBF-TARGET-05"], "Pan-African Wildlife Trust")
    doc["coverageRegions"] = [{"identifier": AFRICA}]
    with django_capture_on_commit_callbacks(execute=True):
        record = services.create_draft(published["pe"], user, "bbiProfile", doc)
        services.publish(record, user)
    unmet = _matrix(client, measure="unmet")
    assert _cell(unmet, WESTERN_AFRICA, "GBF-TARGET-05") == 0
    assert unmet["total"] == 0
    spots = {(s["row"], s["target"]): s for s in _matrix(client)["thin_spots"]}
    # still thin (no guidance), but now with a provider
    assert spots[(WESTERN_AFRICA, "GBF-TARGET-05")]["providers"] == 1
    html = client.get(
        "/en/search/gaps/", {"by": "region-target", "measure": "providers"}, **CENTRAL
    ).content.decode()
    row = re.search(r'<tr id="row-m49-011">(.*?)</tr>', html, re.S)
    assert row is not None
    href, shown = re.findall(r'<a href="([^"]+)">(\d+)</a>', row.group(1))[4]
    assert shown == "1" and _search_total(client, href.replace("&amp;", "&")) == 1


def test_new_version_and_deletion_show_at_once(
    published: dict[str, Portal], client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The counts are cached while the index is unchanged: a new version of a request (moved
    from Target 5 to Target 9) and a deleted request are counted at the next view."""
    assert _cell(_matrix(client), WESTERN_AFRICA, "GBF-TARGET-05") == 3
    user = get_user_model().objects.get(username="corpus-publisher")
    record = Record.objects.get(schema="bbiRequest", title__en="Bushmeat A")
    with django_capture_on_commit_callbacks(execute=True):
        services.edit_published(record, user)
        services.update_draft(record, user, _request("bj", ["GBF-TARGET-09"], "Bushmeat A"))
        services.publish(record, user)
    body = _matrix(client)
    assert _cell(body, WESTERN_AFRICA, "GBF-TARGET-05") == 2
    assert _cell(body, WESTERN_AFRICA, "GBF-TARGET-09") == 1
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_record(Record.objects.get(title__en="Bushmeat B"), user)
    body = _matrix(client)
    assert _cell(body, WESTERN_AFRICA, "GBF-TARGET-05") == 1
    assert body["total"] == 3
