"""The vocabulary browser: index, tree, concept pages with tagged records, search."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.records import services
from clearinghouse.vocabularies.search import search
from tests.factories import valid_document

pytestmark = pytest.mark.django_db


def test_index_and_tree(web: Any) -> None:
    index = web.get("/fr/vocab/").content.decode()
    assert "Cibles du CMB" in index
    tree = web.get("/en/vocab/gbf-targets/").content.decode()
    assert tree.count("<details>") == 23  # every target has indicators beneath it
    assert "/en/vocab/gbf-indicators/GBF-INDICATOR-3.1/" in tree
    assert web.get("/en/vocab/nope/").status_code == 404


def test_concept_page_marks_missing_official_text(web: Any) -> None:
    html = web.get("/ar/vocab/gbf-targets/GBF-TARGET-03/").content.decode()
    assert "Target 3" in html  # English shown, marked as fallback
    assert 'class="fallback"' in html
    # "missing (no official text)", in Arabic since the page is served under /ar/
    assert html.count("غير متوفر (لا يوجد نص رسمي)") == 3  # ar, ru, zh
    assert "GBF-INDICATOR-3.1" in html  # narrower indicators listed


def test_concept_page_lists_records_tagged_with_it_or_narrower(
    web: Any, benin: Any, jean: Any
) -> None:
    record = services.create_draft(
        benin,
        jean,
        "resource",
        valid_document("resource", gbfTargets=[{"identifier": "GBF-TARGET-02"}]),
    )
    services.publish(record, jean)
    html = web.get("/en/vocab/gbf-targets/GBF-TARGET-02/").content.decode()
    assert f"/en/r/{record.uid}/" in html
    assert "Mangrove restoration guide" in html
    other = web.get("/en/vocab/gbf-targets/GBF-TARGET-03/").content.decode()
    assert record.uid not in other


def test_indicator_page_shows_roles(web: Any) -> None:
    html = web.get("/en/vocab/gbf-indicators/GBF-INDICATOR-A.1/").content.decode()
    assert "Indicator role: headline for" in html
    assert "/en/vocab/gbf-goals/GBF-GOAL-A/" in html


def test_search_across_languages_ignores_case_and_accents() -> None:
    assert search("benin")[0].label in ("Benin", "Bénin")
    hit = search("بنن")[0]
    assert hit.language == "ar"
    assert search("cible 3")[0].label.startswith("Cible 3")
    assert search("A.1", scheme="gbf-indicators")[0].kind == "notation"
    assert search("zzzz-nothing") == []


def test_search_page(web: Any) -> None:
    html = web.get("/es/vocab/search/", {"q": "ecosistemas"}).content.decode()
    assert "GBF-INDICATOR-A.2" in html


def test_deleted_records_are_not_listed(web: Any, benin: Any, jean: Any) -> None:
    record = services.create_draft(benin, jean, "resource", valid_document("resource"))
    services.publish(record, jean)
    assert record.uid in web.get("/en/vocab/gbf-targets/GBF-TARGET-02/").content.decode()
    services.delete_record(record, jean)
    assert record.uid not in web.get("/en/vocab/gbf-targets/GBF-TARGET-02/").content.decode()
