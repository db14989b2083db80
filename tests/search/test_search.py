"""Search behaviour on the labelled corpus: languages, thesaurus, facets, sorting, paging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clearinghouse.search import service
from clearinghouse.search.text import QueryError

pytestmark = pytest.mark.django_db


def keys(results: service.Results, records: dict[str, Any]) -> list[str]:
    by_pk = {r.pk: k for k, r in records.items()}
    return [by_pk[h.record_id] for h in results.hits]


def test_cross_language_thesaurus_expansion(publish_corpus: Callable, central: Any) -> None:
    records = publish_corpus("r03", "r07", "r11")  # English-only records
    res = service.search("restauración", central, mode="lexical")
    assert keys(res, records) == ["r03"]
    assert res.hits[0].matched_by == ["words", "concept"] or "concept" in res.hits[0].matched_by
    assert "GBF-TARGET-02" in [c for c, _label in res.concepts]
    # Concept labels are indexed in every language: a Spanish word finds an English record.
    res = service.search("Meta 6", central, mode="lexical")
    assert keys(res, records) == ["r11"]


def test_region_expands_to_its_countries(publish_corpus: Callable, central: Any) -> None:
    records = publish_corpus("r01", "r02", "r05")  # Benin, Peru, China
    res = service.search("Western Africa", central, mode="lexical")
    assert keys(res, records) == ["r01"]
    res = service.search("Amérique latine", central, mode="lexical")  # → South America → Peru
    assert keys(res, records) == ["r02"]
    res = service.search("Азия", central, mode="lexical")  # Asia → Eastern Asia → China
    assert keys(res, records) == ["r05"]


def test_chinese_arabic_russian(publish_corpus: Callable, central: Any) -> None:
    records = publish_corpus("r05", "r16", "r18", "r26", "r04", "r12")
    assert keys(service.search("湿地", central, mode="lexical"), records) == ["r05"]
    assert keys(service.search("塑料污染", central, mode="lexical"), records) == ["r16"]
    # Arabic: the article and letter variants do not matter.
    # (r04 is tagged "Climate change and biodiversity", whose Arabic label has the word.)
    assert keys(service.search("مناخ", central, mode="lexical"), records) == ["r18", "r04"]
    assert "r26" in keys(service.search("الموارد الجينية", central, mode="lexical"), records)
    # Russian: word forms ("экосистем", "болото" vs "болот") by prefix.
    assert keys(service.search("торфяные болота", central, mode="lexical"), records) == ["r04"]
    res = service.search("чужеродные", central, mode="lexical")
    assert keys(res, records) == ["r12"]
    assert "<mark>" in res.hits[0].snippet and res.hits[0].snippet_lang == "ru"


def test_snippets_are_escaped(publish_corpus: Callable, central: Any) -> None:
    publish_corpus("r01")
    res = service.search("mangroves", central, mode="lexical")
    assert res.hits and "<script" not in res.hits[0].snippet


@pytest.mark.parametrize(
    ("facet", "value", "expected"),
    [
        ("type", "resource", {"r01", "r02", "r08", "r09"}),
        ("portal", "pe", {"r02", "r09"}),
        ("country", "bf", {"r08"}),
        ("region", "m49-011", {"r01", "r08"}),  # Western Africa
        ("region", "m49-002", {"r01", "r08"}),  # Africa (two levels up)
        ("region", "m49-419", {"r02", "r09"}),  # Latin America and the Caribbean
        ("target", "GBF-TARGET-03", {"r08", "r09"}),
        ("subject", "CBD-SUBJECT-FOR", {"r02"}),
        ("language", "fr", {"r01", "r08"}),
        ("year", "2024", {"r01", "r09"}),
    ],
)
def test_every_facet_filters(
    publish_corpus: Callable, central: Any, facet: str, value: str, expected: set[str]
) -> None:
    records = publish_corpus("r01", "r02", "r08", "r09")
    # "Target" appears in every record's concept labels (Target 2, Target 3, ...).
    res = service.search("target", central, mode="lexical", filters={facet: [value]})
    assert set(keys(res, records)) == expected
    counts = {v.value: v.count for f in res.facets if f.name == facet for v in f.values}
    assert counts[value] == len(expected)
    assert next(
        v for f in res.facets if f.name == facet for v in f.values if v.value == value
    ).selected


def test_facet_values_within_a_facet_are_alternatives(
    publish_corpus: Callable, central: Any
) -> None:
    records = publish_corpus("r01", "r02", "r08", "r09")
    res = service.search(
        "target", central, mode="lexical", filters={"portal": ["pe", "bj"], "year": ["2024"]}
    )
    assert set(keys(res, records)) == {"r01", "r09"}


def test_national_portal_searches_its_own_records(publish_corpus: Callable) -> None:
    records = publish_corpus("r01", "r02")
    benin = records["r01"].portal
    assert keys(service.search("target", benin, mode="lexical"), records) == ["r01"]


def test_sort_by_date_and_pages(publish_corpus: Callable, central: Any) -> None:
    records = publish_corpus("r01", "r02", "r03", "r07", "r11")
    res = service.search("target", central, mode="lexical", sort="date", page_size=2)
    assert res.total == 5 and res.pages == 3
    assert keys(res, records) == ["r11", "r07"]  # the last published first
    res = service.search("target", central, mode="lexical", sort="date", page=3, page_size=2)
    assert keys(res, records) == ["r01"]


def test_unknown_mode_or_sort_is_a_query_error(central: Any) -> None:
    with pytest.raises(QueryError):
        service.search("forest", central, mode="magic")
    with pytest.raises(QueryError):
        service.search("forest", central, sort="random")


def test_semantic_and_hybrid(publish_corpus: Callable, central: Any) -> None:
    records = publish_corpus("r03", "r07", "r11", "r22")
    res = service.search("生态系统恢复", central, mode="semantic")
    assert res.mode == "semantic"
    assert keys(res, records)[0] == "r03"  # the English restoration playbook is the closest
    assert res.hits[0].matched_by == ["closest"] and res.hits[0].similarity
    res = service.search("espacios verdes urbanos", central, mode="hybrid")
    assert keys(res, records)[0] == "r22"


def test_without_the_model_hybrid_is_lexical(
    publish_corpus: Callable, central: Any, settings: Any
) -> None:
    records = publish_corpus("r03")
    settings.CLEARINGHOUSE_SEARCH_SEMANTIC = False
    res = service.search("restoration", central, mode="hybrid")
    assert res.mode == "lexical" and res.requested_mode == "hybrid"
    assert keys(res, records) == ["r03"]
