"""Folding, query parsing and language guessing (no database)."""

from __future__ import annotations

import pytest

from clearinghouse.search.text import QueryError, detect_language, fold, parse_query, same_word


def test_folding_removes_accents_and_case() -> None:
    assert fold("Restauración des ÉCOSYSTÈMES") == "restauracion des ecosystemes"


def test_chinese_is_cut_into_bigrams() -> None:
    # The index keeps each run's last character too (it starts no bigram); queries do not.
    assert fold("湿地修复") == "湿地 地修 修复 复"
    assert fold("林") == "林"
    assert fold("湿地，林 forest") == "湿地 地 林 forest"
    assert parse_query("湿地修复").terms == ["湿地", "地修", "修复"]


def test_chinese_phrases_follow_the_index_tokens() -> None:
    # A run followed by another word carries its tail, as in the index; the last run does
    # not, so "湿地保护" still matches inside 湿地保护区.
    assert parse_query('"湿地 保护"').phrases == [["湿地", "地", "保护"]]
    assert parse_query('"湿地保护"').phrases == [["湿地", "地保", "保护"]]
    assert parse_query('"水"').phrases == [["水"]]
    assert parse_query("水").terms == ["水"]


def test_arabic_article_and_letter_variants() -> None:
    assert fold("المناخ") == fold("مناخ") == "مناخ"
    assert fold("والتنوع") == "تنوع"
    assert fold("إدارة") == fold("ادارة") == "اداره"


def test_russian_and_prefix_words() -> None:
    assert fold("Восстановление Экосистем") == "восстановление экосистем"
    assert same_word("экосистем", "экосистемы")
    assert same_word("restauracion", "restaurar")
    assert not same_word("mangroves", "man")


@pytest.mark.parametrize(
    "query",
    ["", "   ", "x" * 201, '"unbalanced', "NEAR(a b)", "(forest)", "fore*", "a^2", "forest OR sea"],
)
def test_bad_queries_are_refused(query: str) -> None:
    with pytest.raises(QueryError):
        parse_query(query)


def test_phrases_and_stop_words() -> None:
    parsed = parse_query('the "protected areas" of Benin')
    assert parsed.terms == ["benin"]
    assert parsed.phrases == [["protected", "areas"]]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Restoring degraded ecosystems and the protection of wetlands", "en"),
        ("La restauration des écosystèmes dégradés et la protection des zones humides", "fr"),
        ("La restauración de los ecosistemas degradados y la protección de humedales", "es"),
        ("Восстановление деградировавших экосистем", "ru"),
        ("استعادة النظم الإيكولوجية المتدهورة", "ar"),
        ("退化生态系统的恢复", "zh"),
        ("12345", ""),
    ],
)
def test_language_guess(text: str, lang: str) -> None:
    assert detect_language(text) == lang
