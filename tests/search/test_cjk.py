"""Single Chinese characters as queries, on whichever backend the suite runs (SQLite FTS5 or
PostgreSQL), over real published records of the labelled corpus:

r05 "退化湿地生态修复技术指南" — "介绍退化湿地的生态修复方法，包括水文恢复、植被重建和长期监测。"
r10 "国家公园体制建设与自然保护地管理" — "以国家公园为主体的自然保护地体系，保护珍稀野生动物栖息地。"
r16 "塑料污染对海洋生物多样性的影响" — "海洋塑料垃圾与微塑料对鱼类、海鸟和珊瑚礁的影响评估。"
r22 "城市绿地与生物多样性规划" — "城市公园、绿道和蓝色空间的规划，提升居民福祉和城市生物多样性。"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.management import call_command

from clearinghouse.search import backends, service
from clearinghouse.search.backends import get_backend
from clearinghouse.search.text import TOKENS_VERSION, tokens

pytestmark = pytest.mark.django_db


def found(q: str, portal: Any, records: dict[str, Any]) -> list[str]:
    key_of = {r.pk: k for k, r in records.items()}
    hits = service.search(q, portal, mode="lexical", language="zh").hits
    return [key_of[h.record_id] for h in hits if h.record_id in key_of]


@pytest.fixture
def corpus(publish_corpus: Callable) -> dict[str, Any]:
    return publish_corpus("r05", "r10", "r16", "r22", "r07", "r14")


def test_single_character_at_start_middle_and_end_of_a_run(
    corpus: dict[str, Any], central: Any
) -> None:
    assert found("退", central, corpus) == ["r05"]  # first of 退化湿地… (title and summary)
    assert found("鸟", central, corpus) == ["r16"]  # middle of 海鸟和珊瑚礁…
    assert found("估", central, corpus) == ["r16"]  # last of …的影响评估 only
    # 测 occurs once in the corpus: the last character of …长期监测 (it starts no bigram).
    assert found("测", central, corpus) == ["r05"]
    assert found("水", central, corpus) == ["r05"]  # 水文 inside a run


def test_single_character_results_are_ranked(corpus: dict[str, Any], central: Any) -> None:
    # 园: r10 has it in its title (国家公园体制…, as the start of the bigram 园体), r22 only
    # in its summary, at the end of the run 城市公园 — both found, the title match first.
    assert found("园", central, corpus) == ["r10", "r22"]
    # 海: r16 twice (海洋…, 海鸟), in title and summary; nothing else has it.
    assert found("海", central, corpus) == ["r16"]


def test_absent_character_finds_nothing(corpus: dict[str, Any], central: Any) -> None:
    for q in ("林", "龙", "猫"):
        assert found(q, central, corpus) == [], q


def test_single_character_is_highlighted(corpus: dict[str, Any], central: Any) -> None:
    hit = service.search("测", central, mode="lexical", language="zh").hits[0]
    assert hit.snippet_lang == "zh"
    assert "长期监<mark>测</mark>" in str(hit.snippet)
    hit = service.search("海", central, mode="lexical", language="zh").hits[0]
    assert "<mark>海</mark>洋" in str(hit.snippet) and "<mark>海</mark>鸟" in str(hit.snippet)


def test_mixed_and_multi_character_queries_still_work(corpus: dict[str, Any], central: Any) -> None:
    assert found("湿地", central, corpus) == ["r05"]
    assert found("水 湿地", central, corpus) == ["r05"]  # a character and a word
    assert found("湿地修复", central, corpus) == ["r05"]
    assert found("生态修复", central, corpus) == ["r05"]
    assert found('"监测"', central, corpus) == ["r05"]  # a phrase ending a run
    assert found('"海"', central, corpus) == ["r16"]  # a one-character phrase
    assert found("海 plastic", central, corpus) == ["r16"]  # English title, Chinese summary
    hit = service.search("水 湿地", central, mode="lexical", language="zh").hits[0]
    assert "<mark>水</mark>文" in str(hit.snippet) and "<mark>湿地</mark>" in str(hit.snippet)


def test_reindex_pending_refolds_an_index_of_older_tokens(
    corpus: dict[str, Any], central: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = get_backend()
    assert backend.tokens_version() == TOKENS_VERSION and not backend.tokens_outdated()
    # Re-tokenise the stored text as the earlier index did (bigrams only) and mark it so.
    with monkeypatch.context() as m:
        old = lambda text: " ".join(tokens(text))  # noqa: E731
        m.setattr(backends, "fold", old)
        m.setattr(backends, "_fold_line", old)
        backend.refold()
    from django.db import connection

    with connection.cursor() as cur:
        backend._set_meta(cur, "tokens", "1")
    assert backend.tokens_outdated()
    assert found("测", central, corpus) == []  # the end of a run was not indexed
    assert found("湿地", central, corpus) == ["r05"]

    call_command("reindex", "--pending", verbosity=0)
    assert backend.tokens_version() == TOKENS_VERSION
    assert found("测", central, corpus) == ["r05"]
    assert found("湿地", central, corpus) == ["r05"]
    assert found("园", central, corpus) == ["r10", "r22"]


def test_full_rebuild_and_refold_mark_the_current_tokens(
    corpus: dict[str, Any], central: Any
) -> None:
    backend = get_backend()
    from django.db import connection

    with connection.cursor() as cur:
        backend._set_meta(cur, "tokens", "1")
    call_command("reindex", "--no-vectors", verbosity=0)
    assert backend.tokens_version() == TOKENS_VERSION
    assert found("测", central, corpus) == ["r05"]
    with connection.cursor() as cur:
        backend._set_meta(cur, "tokens", "1")
    call_command("reindex", "--refold", verbosity=0)
    assert not backend.tokens_outdated()
    assert found("估", central, corpus) == ["r16"]


def test_refold_shows_progress_and_resumes_after_an_interruption(
    corpus: dict[str, Any], central: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from io import StringIO

    from django.db import connection

    backend = get_backend()
    with monkeypatch.context() as m:  # an index of the earlier tokens, as above
        old = lambda text: " ".join(tokens(text))  # noqa: E731
        m.setattr(backends, "fold", old)
        m.setattr(backends, "_fold_line", old)
        backend.refold()
    with connection.cursor() as cur:
        backend._set_meta(cur, "tokens", "1")
        cur.execute("SELECT COUNT(*) FROM search_text")
        total = cur.fetchone()[0]
    assert total > 4

    first = StringIO()
    call_command("reindex", "--refold", "--batch", "2", "--stop-after", "2", stdout=first)
    assert "2 document(s) re-tokenised; stopped, run again to resume." in first.getvalue()
    assert f"2/{total} documents" in first.getvalue()  # the progress bar
    assert backend.tokens_outdated()  # not done yet: still version 1

    second = StringIO()
    call_command("reindex", "--refold", "--batch", "2", stdout=second)
    assert f"{total - 2} document(s) re-tokenised." in second.getvalue()  # resumed, not redone
    assert f"{total}/{total} documents" in second.getvalue()
    assert not backend.tokens_outdated()
    assert found("测", central, corpus) == ["r05"]
    assert found("估", central, corpus) == ["r16"]


def test_phrase_highlighting_marks_the_words_not_the_index_tails() -> None:
    from clearinghouse.search.highlight import snippet
    from clearinghouse.search.text import parse_query

    # The phrase "湿地 保护" carries the tail 地 for the index; 地 elsewhere is not marked.
    marked = str(snippet("湿地，保护区，地方", parse_query('"湿地 保护"')))
    assert marked == "<mark>湿地</mark>，<mark>保护</mark>区，地方"
    # A one-character query marks each occurrence, at any position in a run.
    assert str(snippet("海洋，近海", parse_query("海"))) == "<mark>海</mark>洋，近<mark>海</mark>"
