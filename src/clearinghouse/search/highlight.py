"""Snippets with the query words marked, computed in Python from the stored raw text — the
same on both backends, and safe: text is escaped, only ``<mark>`` is added."""

from __future__ import annotations

import re
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from clearinghouse.search.text import CJK_RUN, ParsedQuery, is_tail, same_word, tokens

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
WINDOW = 160  # characters of context


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> tuple[str, ...]:
    return tuple(tokens(word))


class Matcher:
    """Which words of a text match the query (memoised: labels repeat across records)."""

    def __init__(self, query: ParsedQuery) -> None:
        self.terms = [t for t in query.all_terms if not CJK_RUN.fullmatch(t)]
        # CJK terms: bigrams, and single characters (a one-character query, every
        # occurrence marked); the tails that phrases carry for the index are not terms.
        phrase_terms = [t for p in query.phrases for i, t in enumerate(p) if not is_tail(p, i)]
        self.cjk = {t for t in [*query.terms, *phrase_terms] if CJK_RUN.fullmatch(t)}
        self.chars = {t for t in self.cjk if len(t) == 1}
        self.seen: dict[str, bool] = {}

    def word(self, word: str) -> bool:
        hit = self.seen.get(word)
        if hit is None:
            folded = _fold_word(word)
            hit = any(same_word(q, f) for q in self.terms for f in folded)
            self.seen[word] = hit
        return hit

    def spans(self, text: str) -> list[tuple[int, int]]:
        spans = []
        for m in _WORD.finditer(text):
            w = m.group()
            if self.cjk and CJK_RUN.search(w):
                for run in CJK_RUN.finditer(w):
                    r = run.group()
                    for i in range(len(r)):
                        start = m.start() + run.start() + i
                        if r[i : i + 2] in self.cjk and i < len(r) - 1:
                            spans.append((start, start + 2))
                        elif r[i] in self.chars:
                            spans.append((start, start + 1))
            elif self.terms and self.word(w):
                spans.append((m.start(), m.end()))
        spans.sort()
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        return merged

    def matches(self, text: str) -> bool:
        if any(t in text for t in self.cjk):
            return True
        return any(self.word(m.group()) for m in _WORD.finditer(text))


def _spans(text: str, query: ParsedQuery | Matcher) -> list[tuple[int, int]]:
    matcher = query if isinstance(query, Matcher) else Matcher(query)
    return matcher.spans(text)


def snippet(text: str, query: ParsedQuery | Matcher, width: int = WINDOW) -> SafeString:
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
