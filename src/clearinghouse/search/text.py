"""Text handling shared by both index backends: folding, tokens, query parsing, language guess.

Every text goes through :func:`fold` before it reaches an index, and every query too, so the
two sides always agree:

- Unicode NFKD, combining marks dropped (``restauración`` → ``restauracion``, Arabic
  tashkeel removed), lower case;
- Arabic letter variants unified (أ إ آ → ا, ة → ه, ى → ي) and the article ``ال`` / ``وال``
  stripped from words of more than three letters;
- runs of CJK ideographs (and kana/hangul) cut into overlapping character bigrams
  (``生态系统`` → ``生态 态系 系统``), the classic word-segmentation-free approach: a
  two-character Chinese word is found, and longer ones match as all their bigrams. The
  *index* (:func:`fold`) also keeps the last character of each run on its own
  (``生态系统`` → ``生态 态系 系统 统``): a one-character query is a prefix query on the
  tokens (``"统"*`` in FTS5, ``'统':*`` in PostgreSQL), which finds every bigram that
  starts with the character, and the final character of a run starts no bigram.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MAX_QUERY_LENGTH = 200
# Version of the index tokens: 2 added the last character of each CJK run (see fold). An
# index built with an older version is refolded by ``clearinghouse reindex``.
TOKENS_VERSION = 2
MAX_QUERY_TERMS = 24

_CJK = (
    "\u3040-\u30ff"  # kana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # hangul
    "\uf900-\ufaff"  # compatibility ideographs
)
CJK_RUN = re.compile(f"[{_CJK}]+")
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_]+", re.UNICODE)
_ARABIC_VARIANTS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي", "ـ": ""})


# Short stop-word lists: dropped from queries (the index keeps every word).
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _words(
    """
    a an and are as at be by for from in into is it its of on or the to with without this that
    au aux avec ce ces dans de des du en et la le les leur par pour sur un une est sont ou
    al con del el en las los para por sobre su sus una unos y o es son
    в во и к на о об от по с со у для из за как что это или не
    في من على الى إلى عن مع و او أو هذا هذه التي الذي
    """
)


_MARKS = re.compile(
    "[\u0300-\u036f\u0483-\u0489\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)


def _strip_marks(text: str) -> str:
    if text.isascii():
        return text
    return _MARKS.sub("", unicodedata.normalize("NFKD", text))


def _arabic(token: str) -> str:
    token = token.translate(_ARABIC_VARIANTS)
    for article in ("وال", "بال", "كال", "فال", "ال"):
        if token.startswith(article) and len(token) - len(article) >= 3:
            return token[len(article) :]
    return token


def _bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(text: str, tails: bool = False) -> list[str]:
    """Folded tokens of a text (see the module docstring); with ``tails`` (the index side),
    the last character of each CJK run of two or more is added after its bigrams."""
    out: list[str] = []
    for raw in _TOKEN.findall(_strip_marks(text).lower()):
        if CJK_RUN.fullmatch(raw):
            out.extend(_bigrams(raw))
            if tails and len(raw) > 1:
                out.append(raw[-1])
        elif any("\u0600" <= ch <= "\u06ff" for ch in raw):
            out.append(_arabic(raw))
        else:
            out.append(raw)
    return out


def fold(text: str) -> str:
    """The text as the index holds it: tokens with the CJK run tails."""
    return " ".join(tokens(text, tails=True))


def is_cjk_char(token: str) -> bool:
    """A one-character CJK query term (searched as a prefix of the index's bigrams)."""
    return len(token) == 1 and bool(CJK_RUN.fullmatch(token))


def stem(token: str) -> str:
    """A crude, language-independent stem for prefix matching (SQLite queries, concept
    labels): ``restauración``/``restaurar`` → ``restau``, ``forests`` → ``forest``."""
    if CJK_RUN.fullmatch(token) or token.isdigit():
        return token
    n = len(token)
    if n >= 7:
        return token[:6]
    if n >= 5:
        return token[: n - 1]
    return token


def same_word(query_token: str, word: str) -> bool:
    """Whether a query token and a text token are (crudely) the same word."""
    if query_token.isdigit() or word.isdigit() or CJK_RUN.fullmatch(query_token):
        return query_token == word
    if len(query_token) < 3 or len(word) < 3:
        return query_token == word
    if word.startswith(stem(query_token)):
        return True
    return len(word) >= 5 and query_token.startswith(stem(word))


def phrase_tokens(text: str) -> list[str]:
    """A quoted phrase as consecutive index tokens: a CJK run that another token follows
    keeps its tail (as in the index: ``"湿地 保护"`` → ``湿地 地 保护``); the last run does
    not, so the phrase still matches inside a longer run (``湿地保护区``)."""
    out = tokens(text, tails=True)
    words = _TOKEN.findall(_strip_marks(text).lower())
    if words and len(words[-1]) > 1 and CJK_RUN.fullmatch(words[-1]):
        out.pop()
    return out


def is_tail(phrase: list[str], i: int) -> bool:
    """Whether ``phrase[i]`` is the tail token of the CJK run before it."""
    return i > 0 and is_cjk_char(phrase[i]) and phrase[i - 1].endswith(phrase[i])


def has_cjk(text: str) -> bool:
    return bool(CJK_RUN.search(text))


class QueryError(ValueError):
    """A query we refuse (shown to the user; the API answers 400)."""


@dataclass
class ParsedQuery:
    text: str
    terms: list[str] = field(default_factory=list)  # folded tokens, stop words removed
    phrases: list[list[str]] = field(default_factory=list)  # quoted, folded

    @property
    def all_terms(self) -> list[str]:
        return [*self.terms, *(t for p in self.phrases for t in p)]


_SYNTAX = re.compile(r"\bNEAR\s*\(|[(){}\[\]*^]|(?:^|\s)[+\-]\w|\b(?:AND|OR|NOT)\b")


def parse_query(text: str | None) -> ParsedQuery:
    """Validate and tokenise a user query. Plain words are required (AND); a ``"quoted
    phrase"`` must appear as such. Search-engine syntax is refused with a clear message
    instead of being passed to FTS5 or PostgreSQL."""
    from django.utils.translation import gettext as _

    text = (text or "").strip()
    if not text:
        raise QueryError(_("Type some words to search for."))
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            _("The query is too long (at most %(n)d characters).") % {"n": MAX_QUERY_LENGTH}
        )
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise QueryError(_("The query contains control characters."))
    if text.count('"') % 2:
        raise QueryError(_('The query has an unbalanced quotation mark (").'))
    if _SYNTAX.search(text):
        raise QueryError(
            _(
                "Search operators (parentheses, *, ^, NEAR, AND/OR/NOT, +/-) are not "
                "supported: type plain words, or a phrase in quotation marks."
            )
        )
    parsed = ParsedQuery(text=text)
    plain: list[str] = []
    for i, part in enumerate(text.split('"')):
        words = tokens(part)
        if i % 2:
            words = phrase_tokens(part)
            if words:
                parsed.phrases.append(words)
        else:
            plain.extend(words)
    kept = [w for w in plain if w not in STOPWORDS]
    # A query of stop words only ("the who") is searched as typed.
    parsed.terms = kept or ([] if parsed.phrases else plain)
    if not parsed.all_terms:
        raise QueryError(_("The query has no searchable words."))
    if len(parsed.all_terms) > MAX_QUERY_TERMS:
        raise QueryError(
            _("The query has too many words (at most %(n)d).") % {"n": MAX_QUERY_TERMS}
        )
    return parsed


# --- language detection ----------------------------------------------------------------
_LATIN_HINTS = {
    "en": _words("the and of to in for is are with on by this that which from be as"),
    "fr": _words("le la les des du et en un une pour dans sur est par au aux avec ce qui"),
    "es": _words("el la los las del y en un una para por con es que se al sobre como"),
}


def detect_language(text: str) -> str:
    """Guess the language of untagged text among the six UN languages.

    A script heuristic: Arabic letters → ``ar``, Cyrillic → ``ru``, CJK → ``zh``; Latin text
    is scored by frequent function words of English, French and Spanish (accented letters
    break ties: ``ñ ¿ ¡`` Spanish, ``è ê à ç œ`` French). Returns ``""`` when unsure.
    Good enough for tagging search documents; not a general-purpose identifier."""
    counts = {"ar": 0, "ru": 0, "zh": 0, "latin": 0}
    for ch in text:
        if "\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f":
            counts["ar"] += 1
        elif "\u0400" <= ch <= "\u04ff":
            counts["ru"] += 1
        elif CJK_RUN.match(ch):
            counts["zh"] += 3  # one ideograph carries about a word
        elif ch.isalpha():
            counts["latin"] += 1
    script = max(counts, key=lambda k: counts[k])
    if counts[script] == 0:
        return ""
    if script != "latin":
        return script
    words = re.findall(r"[^\W\d_]+", text.lower())
    scores = {lang: sum(w in hints for w in words) for lang, hints in _LATIN_HINTS.items()}
    lowered = text.lower()
    scores["es"] += 2 * sum(lowered.count(c) for c in "ñ¿¡") + lowered.count("ción")
    scores["fr"] += 2 * sum(lowered.count(c) for c in "èêàçœù")
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] > 0 else "en"
