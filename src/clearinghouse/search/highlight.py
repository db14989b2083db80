"""Snippets with the query words marked, computed in Python from the stored raw text — the
same on both backends, and safe: text is escaped, only ``<mark>`` is added."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from clearinghouse.search.text import CJK_RUN, ParsedQuery, same_word, tokens

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
WINDOW = 160  # characters of context


def _matches(word: str, query: ParsedQuery) -> bool:
    folded = tokens(word)
    if not folded:
        return False
    return any(same_word(q, f) for q in query.all_terms for f in folded if not CJK_RUN.fullmatch(f))


def _spans(text: str, query: ParsedQuery) -> list[tuple[int, int]]:
    spans = []
    for m in _WORD.finditer(text):
        if not CJK_RUN.search(m.group()) and _matches(m.group(), query):
            spans.append((m.start(), m.end()))
    cjk_terms = [t for t in query.all_terms if CJK_RUN.fullmatch(t)]
    if cjk_terms:
        for m in CJK_RUN.finditer(text):
            run = m.group()
            for i in range(len(run) - 1):
                if run[i : i + 2] in cjk_terms:
                    spans.append((m.start() + i, m.start() + i + 2))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def score(text: str, query: ParsedQuery) -> int:
    return len(_spans(text, query))


def snippet(text: str, query: ParsedQuery, width: int = WINDOW) -> SafeString:
    """A window of ``text`` around the first match, matches wrapped in ``<mark>``."""
    text = " ".join(text.split())
    spans = _spans(text, query)
    if spans:
        first = spans[0][0]
        start = max(0, first - width // 3)
        if start:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < first else start
    else:
        start = 0
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    out = ["…" if start else ""]
    pos = start
    for s, e in spans:
        if e <= start or s >= end:
            continue
        s, e = max(s, start), min(e, end)
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    out.append("…" if end < len(text) else "")
    return mark_safe("".join(out))
