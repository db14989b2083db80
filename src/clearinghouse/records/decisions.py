"""Decisions of the governing bodies (COP, COP-MOP) and citations of their paragraphs.

A decision's operative part is an ordered list of numbered paragraphs, each with text per
language and nested sub-paragraphs ((a), (b), … then (i), (ii), …):

    "paragraphs": [
      {"num": "9", "text": {"en": "Requests the Executive Secretary:"},
       "subparagraphs": [{"num": "b", "text": {"en": "To prepare …"}}]}
    ]

Every paragraph has a stable identifier, its Akoma Ntoso ``eId`` (``para_9``,
``para_9__subpara_b``, ``para_9__subpara_b__subpara_ii``), used as the anchor on the
record page, in the AKN export and by citations. Editors type paragraphs as an outline, one
per line ("9. Requests …", "(b) To prepare …"); see :func:`parse_outline`.

Any record type may cite paragraphs with a :class:`Citations` field:
``[{"identifier": "<decision uid>", "paragraph": "para_9__subpara_b"}]``. Editors type
citations such as "15/16 para 9(b)" or "paragraph 9 (b) of decision 15/16".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from clearinghouse.records import errors as E
from clearinghouse.records.errors import Issue
from clearinghouse.records.fields import Context, Field, LString, Text
from clearinghouse.records.i18n import UN_LANGUAGES, pick

SCHEMA = "decision"
MAX_DEPTH = 3  # paragraph, sub-paragraph, sub-sub-paragraph

TREATIES = {
    "CBD": _("Convention on Biological Diversity"),
    "CP": _("Cartagena Protocol on Biosafety"),
    "NP": _("Nagoya Protocol on Access and Benefit-sharing"),
}
# Prefix of the decision symbol per treaty: 15/4, CP-10/3, NP-4/2.
SYMBOL_PREFIX = {"CBD": "", "CP": "CP-", "NP": "NP-"}
STATUSES = {
    "active": _("Active"),
    "partiallySuperseded": _("Partially superseded"),
    "superseded": _("Superseded"),
    "retired": _("Retired"),
    "elapsed": _("Elapsed"),
}

MSG_CHOICE = gettext_noop("“%(value)s” is not one of: %(choices)s.")
MSG_PATTERN = gettext_noop("“%(value)s” is not in the expected form (%(example)s).")
MSG_OUTLINE_LINE = gettext_noop(
    "Line %(line)s: start each paragraph with its number (“9.”) or letter (“(b)”, “(ii)”)."
)
MSG_OUTLINE_NESTING = gettext_noop(
    "Line %(line)s: sub-paragraph (%(num)s) comes before any numbered paragraph."
)
MSG_OUTLINE_DUPLICATE = gettext_noop("Paragraph %(label)s appears twice.")
MSG_OUTLINE_MISMATCH = gettext_noop(
    "The paragraphs in %(language)s are not numbered like those in %(first)s (%(label)s differs)."
)
MSG_PARA_NUM = gettext_noop("“%(value)s” is not a paragraph number (9, 9bis) or letter (a, ii).")
MSG_PARA_DEPTH = gettext_noop("Paragraphs can be nested at most %(limit)s levels deep.")
MSG_CITE_PARSE = gettext_noop(
    "“%(value)s” is not a citation: write e.g. “15/16 para 9(b)” or "
    "“paragraph 9 (b) of decision 15/16”."
)
MSG_CITE_DECISION = gettext_noop("There is no published decision %(value)s.")
MSG_CITE_PARAGRAPH = gettext_noop("Decision %(decision)s has no paragraph %(paragraph)s.")

NUM_RE = re.compile(r"^(?:\d{1,3}(?:bis|ter|quater)?|[a-z]{1,2}|[ivxlc]{1,8})$")
ROMAN_RE = re.compile(r"^[ivxlc]+$")
PARA_LINE = re.compile(r"^\s*(\d{1,3}(?:\s?(?:bis|ter|quater))?)\.\s*(.*)$")
SUB_LINE = re.compile(r"^\s*\(([a-z]{1,2}|[ivxlc]{1,8})\)\s*(.*)$")
MEETING_RE = re.compile(r"^[A-Z]{2,8}(?:-[A-Z]{2,8})*-\d{1,3}(?:-\d)?$")
NUMBER_RE = re.compile(r"^\d{1,3}/\d{1,3}$")


# --- paragraph trees -----------------------------------------------------------------------
def child_eid(parent: str, num: str) -> str:
    return f"{parent}__subpara_{num}" if parent else f"para_{num}"


def label_of(eid: str) -> str:
    """``para_9__subpara_b__subpara_ii`` → ``9 (b) (ii)``."""
    parts = eid.split("__")
    out = parts[0].removeprefix("para_")
    for part in parts[1:]:
        out += f" ({part.removeprefix('subpara_')})"
    return out


def walk(paragraphs: Any, parent: str = "", depth: int = 0) -> Iterator[tuple[str, int, dict]]:
    """(eId, depth, paragraph) for every paragraph, in document order."""
    for para in paragraphs if isinstance(paragraphs, list) else []:
        if not isinstance(para, dict):
            continue
        eid = child_eid(parent, str(para.get("num", "")))
        yield eid, depth, para
        yield from walk(para.get("subparagraphs"), eid, depth + 1)


def index(paragraphs: Any) -> dict[str, dict]:
    """eId → paragraph."""
    return {eid: para for eid, _depth, para in walk(paragraphs)}


def _is_roman_here(num: str, letters: list[str]) -> bool:
    """(i), (v), (x) … are letters right after (h), (u), (w) …, else roman numerals."""
    if not ROMAN_RE.match(num):
        return False
    if not letters:
        return False  # "(i)" directly under a paragraph is its first sub-paragraph
    previous = letters[-1]
    return not (len(num) == 1 and len(previous) == 1 and ord(num) == ord(previous) + 1)


@dataclass
class OutlineError(Exception):
    message_id: str
    params: dict[str, Any]


def parse_outline(text: str, language: str) -> list[dict[str, Any]]:
    """Parse the typed outline of one language into a paragraph tree.

    "9. Text" starts paragraph 9; "(b) Text" a sub-paragraph of the paragraph above (letters),
    "(ii) Text" a sub-paragraph of the lettered one above (roman numerals); other lines
    continue the text above. Raises :class:`OutlineError` naming the line."""
    paragraphs: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []  # the open node per depth
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if m := PARA_LINE.match(line):
            node = {"num": m.group(1).replace(" ", ""), "text": {language: m.group(2).strip()}}
            paragraphs.append(node)
            current = [node]
            continue
        if m := SUB_LINE.match(line):
            num = m.group(1)
            if not current:
                raise OutlineError(MSG_OUTLINE_NESTING, {"line": lineno, "num": num})
            letters = [str(c["num"]) for c in current[0].get("subparagraphs", [])]
            depth = 2 if _is_roman_here(num, letters) else 1
            parent = current[depth - 1] if len(current) >= depth else current[-1]
            node = {"num": num, "text": {language: m.group(2).strip()}}
            parent.setdefault("subparagraphs", []).append(node)
            current = [*current[: current.index(parent) + 1], node]
            continue
        if not current:
            raise OutlineError(MSG_OUTLINE_LINE, {"line": lineno})
        node = current[-1]
        node["text"][language] = f"{node['text'][language]}\n{line}".strip()
    _check_unique(paragraphs)
    return paragraphs


def _check_unique(paragraphs: Any) -> None:
    seen: set[str] = set()
    for eid, _depth, _para in walk(paragraphs):
        if eid in seen:
            raise OutlineError(MSG_OUTLINE_DUPLICATE, {"label": label_of(eid)})
        seen.add(eid)


def to_outline(paragraphs: Any, language: str) -> str:
    lines = []
    for _eid, depth, para in walk(paragraphs):
        text = (para.get("text") or {}).get(language, "") if isinstance(para, dict) else ""
        num = str(para.get("num", ""))
        label = f"{num}." if depth == 0 else f"{'  ' * depth}({num})"
        lines.append(f"{label} {text}".rstrip())
    return "\n".join(lines)


def merge_outlines(raws: dict[str, str]) -> list[dict[str, Any]]:
    """One tree from the outlines of several languages, which must be numbered alike."""
    merged: list[dict[str, Any]] = []
    first = ""
    by_eid: dict[str, dict] = {}
    for lang, text in raws.items():
        if not text.strip():
            continue
        tree = parse_outline(text, lang)
        if not first:
            first, merged = lang, tree
            by_eid = index(merged)
            continue
        eids = [eid for eid, _d, _p in walk(tree)]
        if eids != list(by_eid):
            known = list(by_eid)
            differing = next((a for a, b in zip(eids, known, strict=False) if a != b), "")
            if not differing:  # one list is a prefix of the other
                differing = eids[len(known)] if len(eids) > len(known) else known[len(eids)]
            raise OutlineError(
                MSG_OUTLINE_MISMATCH,
                {"language": lang, "first": first, "label": label_of(differing)},
            )
        for eid, _d, para in walk(tree):
            by_eid[eid]["text"][lang] = para["text"][lang]
    return merged


# --- field kinds ---------------------------------------------------------------------------
@dataclass
class Choice(Text):
    """One value of a fixed list (value → label)."""

    choices: dict[str, Any] | None = None

    def check(self, value: Any, ctx: Context) -> list[Issue]:
        issues = super().check(value, ctx)
        if not issues and value not in (self.choices or {}):
            issues.append(
                Issue(
                    E.INVALID_VALUE,
                    self.name,
                    MSG_CHOICE,
                    {"value": value, "choices": ", ".join(self.choices or {})},
                )
            )
        return issues

    def form_fields(self, languages: list[str], choices: Callable[[str], list]) -> dict:
        options = [(k, str(v)) for k, v in (self.choices or {}).items()]
        return {
            self.name: forms.ChoiceField(
                label=self.label, required=False, help_text=self.help, choices=[("", "—"), *options]
            )
        }

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "title": str(self.label), "enum": list(self.choices or {})}

    def display(self, value: Any, language: str, labels: Callable[[str], str]) -> str:
        return str((self.choices or {}).get(value, value or ""))


@dataclass
class Pattern(Text):
    """Text of a given form (a meeting code, a decision number)."""

    pattern: re.Pattern[str] | None = None
    example: str = ""

    def check(self, value: Any, ctx: Context) -> list[Issue]:
        issues = super().check(value, ctx)
        if not issues and self.pattern is not None and not self.pattern.match(value):
            issues.append(
                Issue(
                    E.INVALID_VALUE,
                    self.name,
                    MSG_PATTERN,
                    {"value": value, "example": self.example},
                )
            )
        return issues

    def form_fields(self, languages: list[str], choices: Callable[[str], list]) -> dict:
        return {
            self.name: forms.CharField(
                label=self.label,
                required=False,
                help_text=self.help,
                widget=forms.TextInput(attrs={"placeholder": self.example}),
            )
        }


@dataclass
class Paragraphs(Field):
    """The numbered paragraphs of a decision (see the module docstring)."""

    json_type: str = "array"
    own_section: bool = True  # shown by the decision page itself, not as a field row

    def check(self, value: Any, ctx: Context) -> list[Issue]:
        if isinstance(value, dict):  # typed outlines that could not be parsed (from a form)
            try:
                merge_outlines({k: v for k, v in value.items() if isinstance(v, str)})
            except OutlineError as exc:
                return [Issue(E.INVALID_VALUE, self.name, exc.message_id, exc.params)]
            return [Issue(E.INVALID_TYPE, self.name, E.MSG_TYPE_LIST)]
        if not isinstance(value, list):
            return [Issue(E.INVALID_TYPE, self.name, E.MSG_TYPE_LIST)]
        return list(self._check_level(value, self.name, ctx, 1))

    def _check_level(self, items: list, path: str, ctx: Context, depth: int) -> Iterator[Issue]:
        seen: set[str] = set()
        text = LString(name="", label="")
        for i, para in enumerate(items):
            where = f"{path}[{i}]"
            if not isinstance(para, dict):
                yield Issue(E.INVALID_TYPE, where, E.MSG_TYPE_OBJECT)
                continue
            for key in sorted(set(para) - {"num", "text", "subparagraphs"}):
                yield Issue(
                    E.INVALID_PROPERTY,
                    f"{where}.{key}",
                    E.MSG_UNKNOWN_FIELD,
                    {"schema": "paragraph"},
                )
            num = para.get("num")
            if not isinstance(num, str) or not NUM_RE.match(num):
                yield Issue(E.INVALID_VALUE, f"{where}.num", MSG_PARA_NUM, {"value": num})
            elif num in seen:
                yield Issue(E.INVALID_VALUE, f"{where}.num", MSG_OUTLINE_DUPLICATE, {"label": num})
            else:
                seen.add(num)
            text.name = f"{where}.text"
            if text.is_empty(para.get("text")):
                yield Issue(E.MANDATORY, text.name, E.MSG_REQUIRED)
            else:
                yield from text.check(para.get("text"), ctx)
            subs = para.get("subparagraphs")
            if subs is None or subs == []:
                continue
            if not isinstance(subs, list):
                yield Issue(E.INVALID_TYPE, f"{where}.subparagraphs", E.MSG_TYPE_LIST)
            elif depth >= MAX_DEPTH:
                yield Issue(
                    E.INVALID_VALUE, f"{where}.subparagraphs", MSG_PARA_DEPTH, {"limit": MAX_DEPTH}
                )
            else:
                yield from self._check_level(subs, f"{where}.subparagraphs", ctx, depth + 1)

    # -- forms: one outline textarea per language --
    def form_fields(self, languages: list[str], choices: Callable[[str], list]) -> dict:
        hint = _(
            "One paragraph per line: “9. Requests …”, then its sub-paragraphs “(a) …”, "
            "“(b) …” and “(i) …”. Number the paragraphs alike in every language."
        )
        return {
            f"{self.name}__{lang}": forms.CharField(
                label=f"{self.label} ({lang})",
                required=False,
                help_text=hint,
                widget=forms.Textarea(
                    attrs={
                        "rows": 14,
                        "lang": lang,
                        "dir": "rtl" if lang == "ar" else "ltr",
                        "class": "outline",
                    }
                ),
            )
            for lang in languages
        }

    def _from_raw(self, raws: dict[str, str]) -> Any:
        raws = {lang: text for lang, text in raws.items() if text.strip()}
        if not raws:
            return []
        try:
            return merge_outlines(raws)
        except OutlineError:
            return raws  # kept as typed, so that validation names the line

    def from_form(self, data: Any, languages: list[str]) -> Any:
        return self._from_raw({lang: data.get(f"{self.name}__{lang}") or "" for lang in languages})

    def to_initial(self, value: Any, languages: list[str]) -> dict[str, Any]:
        if isinstance(value, dict):
            return {f"{self.name}__{lang}": value.get(lang, "") for lang in languages}
        return {f"{self.name}__{lang}": to_outline(value, lang) for lang in languages}

    def csv_columns(self, languages: Iterable[str]) -> list[str]:
        return [f"{self.name}:{lang}" for lang in languages]

    def from_cells(self, row: dict[str, str], languages: list[str]) -> Any:
        return self._from_raw({lang: row.get(f"{self.name}:{lang}") or "" for lang in UN_LANGUAGES})

    def to_cells(self, value: Any, languages: Iterable[str]) -> dict[str, str]:
        return {f"{self.name}:{lang}": to_outline(value, lang) for lang in languages}

    def json_schema(self) -> dict[str, Any]:
        text = LString(name="", label="").json_schema()
        item: dict[str, Any] = {"type": "object", "required": ["num", "text"]}
        item["properties"] = {"num": {"type": "string", "pattern": NUM_RE.pattern}, "text": text}
        level = item
        for _depth in range(MAX_DEPTH - 1):
            nested = {
                "type": "object",
                "required": ["num", "text"],
                "properties": dict(level["properties"]),
            }
            level["properties"]["subparagraphs"] = {"type": "array", "items": nested}
            level = nested
        return {
            "type": "array",
            "title": str(self.label),
            "description": "Numbered paragraphs; eIds para_<num>[__subpara_<num>…]",
            "items": item,
        }

    def display(self, value: Any, language: str, labels: Callable[[str], str]) -> str:
        lines = []
        for _eid, depth, para in walk(value):
            text = pick(para.get("text") or {}, language).text
            num = str(para.get("num", ""))
            lines.append(f"{'  ' * depth}{num + '.' if depth == 0 else f'({num})'} {text}")
        return "\n".join(lines)

    def texts(self, value: Any) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for _eid, _depth, para in walk(value):
            for lang, text in (para.get("text") or {}).items():
                if isinstance(text, str) and text:
                    out.setdefault(lang, []).append(text)
        return out


# --- citations -----------------------------------------------------------------------------
CITE_FORMS = [
    # "15/16 para 9(b)", "CP-10/3 paragraph 2 (a) (ii)", "decision 15/4, para. 9"
    re.compile(
        r"^(?:decision\s+)?(?P<sym>(?:CP-|NP-)?\d{1,3}/\d{1,3})[\s,]+"
        r"(?:para(?:graph)?s?\.?|¶)\s*(?P<para>\d{1,3}(?:bis|ter|quater)?(?:\s*\([a-z]{1,8}\))*)$",
        re.IGNORECASE,
    ),
    # "paragraph 9 (b) of decision 15/16"
    re.compile(
        r"^(?:para(?:graph)?\.?|¶)\s*(?P<para>\d{1,3}(?:bis|ter|quater)?(?:\s*\([a-z]{1,8}\))*)"
        r"\s+of\s+(?:decision\s+)?(?P<sym>(?:CP-|NP-)?\d{1,3}/\d{1,3})$",
        re.IGNORECASE,
    ),
]


def symbol(document: dict[str, Any]) -> str:
    """The decision's symbol as cited: 15/4, CP-10/3, NP-4/2."""
    return f"{SYMBOL_PREFIX.get(str(document.get('treaty')), '')}{document.get('number', '')}"


def parse_citation(text: str) -> tuple[str, str] | None:
    """ "15/16 para 9(b)" → ("15/16", "para_9__subpara_b"); None when it is no citation."""
    cleaned = " ".join(text.replace("\u00a0", " ").split()).strip(" .;")
    for form in CITE_FORMS:
        if m := form.match(cleaned):
            sym = m.group("sym").upper()
            parts = re.findall(r"[a-z0-9]+", m.group("para").lower())
            eid = ""
            for part in parts:
                eid = child_eid(eid, part)
            return sym, eid
    return None


def find_decision(sym: str) -> Any:
    """The published decision with this symbol (the newest if several), or None."""
    from clearinghouse.records.models import Record

    treaty = next((t for t, p in SYMBOL_PREFIX.items() if p and sym.startswith(p)), "CBD")
    number = sym.removeprefix(SYMBOL_PREFIX[treaty])
    candidates = Record.objects.filter(
        schema=SCHEMA, published__isnull=False, deleted_at__isnull=True
    ).select_related("published")
    for record in candidates.order_by("-published_at"):
        doc = record.published.document  # type: ignore[union-attr]
        if doc.get("number") == number and doc.get("treaty", "CBD") == treaty:
            return record
    return None


def published_decisions(uids: set[str]) -> dict[str, Any]:
    from clearinghouse.records.models import Record

    if not uids:
        return {}
    return {
        r.uid: r
        for r in Record.objects.filter(
            uid__in=uids, schema=SCHEMA, published__isnull=False, deleted_at__isnull=True
        )
        .select_related("published", "portal")
        .prefetch_related("portal__hosts")
    }


@dataclass
class Citations(Field):
    """Citations of decision paragraphs: ``[{"identifier": uid, "paragraph": eId}]``."""

    json_type: str = "array"

    def check(self, value: Any, ctx: Context) -> list[Issue]:
        if not isinstance(value, list):
            return [Issue(E.INVALID_TYPE, self.name, E.MSG_TYPE_LIST)]
        issues: list[Issue] = []
        wanted: set[str] = set()
        for i, item in enumerate(value):
            where = f"{self.name}[{i}]"
            if isinstance(item, dict) and isinstance(item.get("text"), str):
                issues.append(self._unresolved(where, item["text"]))
            elif (
                not isinstance(item, dict)
                or not isinstance(item.get("identifier"), str)
                or not isinstance(item.get("paragraph"), str)
            ):
                issues.append(Issue(E.INVALID_TYPE, where, E.MSG_TYPE_OBJECT))
            else:
                wanted.add(item["identifier"])
        found = published_decisions(wanted)
        for i, item in enumerate(value):
            if not isinstance(item, dict) or item.get("identifier") not in wanted:
                continue
            record = found.get(item["identifier"])
            where = f"{self.name}[{i}]"
            if record is None:
                issues.append(
                    Issue(E.INVALID_VALUE, where, MSG_CITE_DECISION, {"value": item["identifier"]})
                )
            elif item["paragraph"] not in index(record.published.document.get("paragraphs")):
                issues.append(
                    Issue(
                        E.INVALID_VALUE,
                        where,
                        MSG_CITE_PARAGRAPH,
                        {
                            "decision": symbol(record.published.document),
                            "paragraph": label_of(item["paragraph"]),
                        },
                    )
                )
        return issues

    def _unresolved(self, where: str, text: str) -> Issue:
        parsed = parse_citation(text)
        if parsed is None:
            return Issue(E.INVALID_VALUE, where, MSG_CITE_PARSE, {"value": text})
        sym, eid = parsed
        record = find_decision(sym)
        if record is None:
            return Issue(E.INVALID_VALUE, where, MSG_CITE_DECISION, {"value": sym})
        return Issue(
            E.INVALID_VALUE,
            where,
            MSG_CITE_PARAGRAPH,
            {"decision": sym, "paragraph": label_of(eid)},
        )

    def resolve(self, text: str) -> dict[str, str]:
        """A typed citation as stored, or ``{"text": …}`` for validation to explain."""
        parsed = parse_citation(text)
        if parsed is not None:
            record = find_decision(parsed[0])
            if record is not None and parsed[1] in index(
                record.published.document.get("paragraphs")
            ):
                return {"identifier": record.uid, "paragraph": parsed[1]}
        return {"text": text}

    def _split(self, raw: str) -> list[dict[str, str]]:
        return [self.resolve(line) for line in re.split(r"[;\n]", raw or "") if line.strip()]

    def form_fields(self, languages: list[str], choices: Callable[[str], list]) -> dict:
        return {
            self.name: forms.CharField(
                label=self.label,
                required=False,
                widget=forms.Textarea(attrs={"rows": 3, "placeholder": "15/16 para 9(b)"}),
                help_text=self.help
                or _(
                    "One per line, e.g. “15/16 para 9(b)” or “paragraph 9 (b) of decision 15/16”."
                ),
            )
        }

    def from_form(self, data: Any, languages: list[str]) -> Any:
        return self._split(data.get(self.name) or "")

    def from_cells(self, row: dict[str, str], languages: list[str]) -> Any:
        return self._split(row.get(self.name) or "")

    def as_text(self, value: Any) -> list[str]:
        items = value if isinstance(value, list) else []
        found = published_decisions(
            {
                i["identifier"]
                for i in items
                if isinstance(i, dict) and isinstance(i.get("identifier"), str)
            }
        )
        out = []
        for item in items:
            if not isinstance(item, dict):
                continue
            if "text" in item:
                out.append(str(item["text"]))
                continue
            record = found.get(str(item.get("identifier", "")))
            sym = symbol(record.published.document) if record else str(item.get("identifier"))
            out.append(f"{sym} para {_compact(str(item.get('paragraph', '')))}")
        return out

    def to_initial(self, value: Any, languages: list[str]) -> dict[str, Any]:
        return {self.name: "\n".join(self.as_text(value))}

    def to_cells(self, value: Any, languages: Iterable[str]) -> dict[str, str]:
        return {self.name: "; ".join(self.as_text(value))}

    def json_schema(self) -> dict[str, Any]:
        return {
            "type": "array",
            "title": str(self.label),
            "items": {
                "type": "object",
                "required": ["identifier", "paragraph"],
                "properties": {
                    "identifier": {"type": "string", "description": "uid of a decision record"},
                    "paragraph": {"type": "string", "description": "eId, e.g. para_9__subpara_b"},
                },
            },
        }

    def display(self, value: Any, language: str, labels: Callable[[str], str]) -> str:
        return "; ".join(self.as_text(value))


def _compact(eid: str) -> str:
    """``para_9__subpara_b`` → ``9(b)``."""
    return label_of(eid).replace(" ", "")


@dataclass
class Link:
    """A resolved citation, ready to render."""

    text: str
    url: str
    excerpt: str


def links(value: Any, language: str) -> list[Link]:
    """Citations as links to the paragraph anchors, with the paragraph text as excerpt."""
    from django.urls import reverse

    items = [i for i in (value if isinstance(value, list) else []) if isinstance(i, dict)]
    found = published_decisions({str(i.get("identifier")) for i in items})
    out = []
    for item in items:
        record = found.get(str(item.get("identifier", "")))
        eid = str(item.get("paragraph", ""))
        if record is None:
            out.append(Link(str(item.get("text") or item.get("identifier")), "", ""))
            continue
        doc = record.published.document
        para = index(doc.get("paragraphs")).get(eid, {})
        excerpt = pick(para.get("text") or {}, language).text
        text = str(_("paragraph %(paragraph)s of decision %(decision)s")) % {
            "paragraph": label_of(eid),
            "decision": symbol(doc),
        }
        # Decisions live on the central portal: link to its host (also from national portals).
        host = next(iter(record.portal.hosts.all()), None)
        path = f"{reverse('web:record', args=[record.uid])}#{eid}"
        url = f"//{host.host}{path}" if host is not None else path
        out.append(Link(text, url, excerpt))
    return out


def citations_field(name: str = "decisionCitations") -> Citations:
    return Citations(name, _("Decision paragraphs cited"))
