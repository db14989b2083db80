"""Per-language behaviour of search, on whichever backend the suite runs (SQLite FTS5 or
PostgreSQL): Arabic diacritics, letter variants, tatweel and right-to-left highlighting;
Chinese two-character words; Russian case and ё/е."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clearinghouse.search import service

pytestmark = pytest.mark.django_db
CENTRAL = {"HTTP_HOST": "central.testserver"}


def found(q: str, portal: Any, records: dict[str, Any]) -> list[str]:
    key_of = {r.pk: k for k, r in records.items()}
    hits = service.search(q, portal, mode="lexical").hits
    return [key_of[h.record_id] for h in hits if h.record_id in key_of]


@pytest.fixture
def corpus(publish_corpus: Callable) -> dict[str, Any]:
    return publish_corpus("r04", "r05", "r06", "r10", "r12", "r16", "r18", "r21", "r22")


def test_arabic_diacritics_variants_and_tatweel(corpus: dict[str, Any], central: Any) -> None:
    # r06: "دليل إصلاح النظم الإيكولوجية المتدهورة في المناطق الجافة"
    assert found("إصلاح", central, corpus) == ["r06"]
    assert found("اصلاح", central, corpus) == ["r06"]  # hamza under the alef or not
    assert found("إِصْلَاح", central, corpus) == ["r06"]  # with tashkeel (kasra, sukun, fatha)
    assert found("إصـــلاح", central, corpus) == ["r06"]  # tatweel (kashida)
    assert found("الإيكولوجيه المتدهوره", central, corpus) == ["r06"]  # ه for ة
    # r18: "تغير المناخ …": with or without the article, with a tanween.
    assert found("مناخٌ", central, corpus)[0] == "r18"
    assert found("المناخ", central, corpus)[0] == "r18"


def test_arabic_snippet_is_highlighted_right_to_left(
    corpus: dict[str, Any], central: Any, client: Any
) -> None:
    hit = service.search("المتدهورة", central, mode="lexical", language="ar").hits[0]
    assert hit.snippet_lang == "ar"
    assert "<mark>المتدهورة</mark>" in str(hit.snippet)
    page = client.get("/ar/search", {"q": "المتدهورة", "mode": "lexical"}, **CENTRAL)
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in html
    assert '<p class="snippet" lang="ar" dir="rtl">' in html
    assert "<mark>المتدهورة</mark>" in html
    # Searched without diacritics, the word is highlighted as written in the record.
    plain = service.search("متدهوره", central, mode="lexical", language="ar").hits[0]
    assert "<mark>المتدهورة</mark>" in str(plain.snippet)


def test_chinese_two_character_words(corpus: dict[str, Any], central: Any) -> None:
    # r05 "退化湿地生态修复技术指南", r10 "国家公园体制建设与自然保护地管理",
    # r22 "城市绿地与生物多样性规划", r16 "塑料污染对海洋生物多样性的影响"
    assert found("湿地", central, corpus) == ["r05"]
    assert found("国家", central, corpus) == ["r10"]
    assert sorted(found("公园", central, corpus)) == ["r10", "r22"]  # 国家公园, 城市公园
    assert found("绿地", central, corpus) == ["r22"]
    assert found("修复", central, corpus) == ["r05"]
    assert found("塑料", central, corpus) == ["r16"]
    assert found("湿地 修复", central, corpus) == ["r05"]  # two words, both needed
    hit = service.search("湿地", central, mode="lexical", language="zh").hits[0]
    assert "<mark>湿地</mark>" in str(hit.snippet) and hit.snippet_lang == "zh"


def test_russian_case_and_yo(corpus: dict[str, Any], central: Any) -> None:
    # r12 "Инвазивные чужеродные виды в водоёмах России", r04 "Восстановление торфяных болот"
    assert found("водоёмах", central, corpus) == ["r12"]
    assert found("водоемах", central, corpus) == ["r12"]  # е for ё
    assert found("ВОДОЁМАХ", central, corpus) == ["r12"]  # case
    assert found("Торфяных Болот", central, corpus) == ["r04"]
    assert found("ТОРФЯНЫХ", central, corpus) == ["r04"]
    # Matched by its Russian title: the snippet quotes the Russian text, not a label list.
    hit = service.search("водоемах", central, mode="lexical", language="en").hits[0]
    assert hit.snippet_lang == "ru"
    assert str(hit.snippet).startswith("Распространение борщевика")
    # A word of the body is highlighted as written (ё), whatever the reader's language.
    hit = service.search("чужеродных", central, mode="lexical", language="fr").hits[0]
    assert hit.snippet_lang == "ru" and "<mark>чужеродных</mark>" in str(hit.snippet)
