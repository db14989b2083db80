"""Related records for a record page: shared concepts (GBF targets and CBD subjects, with the
vocabulary hierarchy) fused with semantic similarity of the stored vectors.

Reads only the search index (which holds published, not deleted records) and the stored
vectors (pgvector, or the in-process matrix): three small queries whatever the number of
related records (no N+1)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext as _

from clearinghouse.records.types import RECORD_TYPES
from clearinghouse.search import semantic, thesaurus
from clearinghouse.search.backends import get_backend

LIMIT = 5
CONCEPT_CANDIDATES = 500
SEMANTIC_K = 20
SEMANTIC_THRESHOLD = 0.35
EXACT, FAMILY = 1.0, 0.4  # weight of the same concept, of a broader/narrower one


@dataclass
class Related:
    record_id: int
    uid: str
    portal_id: int
    schema: str
    type_label: str
    title: str
    reason: str
    score: float


def _short(label: str) -> str:
    return label.split(" — ")[0].split(" - ")[0].strip()


def find(record_id: int, portal_id: int | None, language: str, limit: int = LIMIT) -> list[Related]:
    """At most ``limit`` records related to ``record_id``, best first. ``portal_id`` None: any
    portal (the central portal)."""
    th = thesaurus.get()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT facet, value FROM search_facet WHERE record_id = %s "
            "AND facet IN ('target', 'subject')",
            [record_id],
        )
        own = cur.fetchall()
    # concept → (weight, the record's own concept it comes from, facet)
    wanted: dict[str, tuple[float, str, str]] = {}
    for facet, value in own:
        wanted[value] = (EXACT, value, facet)
        for other in th.ancestors(value) | th.descendants(value):
            if other not in wanted or wanted[other][0] < FAMILY:
                wanted[other] = (FAMILY, value, facet)
    scores: dict[int, float] = {}
    reasons: dict[int, tuple[float, str]] = {}
    if wanted:
        values = list(wanted)
        sql = (
            "SELECT f.record_id, f.value FROM search_facet f "
            "JOIN search_record r ON r.record_id = f.record_id "
            f"WHERE f.facet IN ('target', 'subject') AND f.value IN "
            f"({', '.join(['%s'] * len(values))}) AND f.record_id <> %s"
        )
        params: list[str | int] = [*values, record_id]
        if portal_id is not None:
            sql += " AND r.portal_id = %s"
            params.append(portal_id)
        sql += f" ORDER BY r.published_at DESC LIMIT {CONCEPT_CANDIDATES}"
        with connection.cursor() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        for rid, value in rows:
            weight, source, facet = wanted[value]
            scores[rid] = scores.get(rid, 0.0) + weight
            priority = weight + (0.1 if facet == "target" else 0.0)  # targets say more
            if priority > reasons.get(rid, (0.0, ""))[0]:
                label = _short(th.label(value if weight == EXACT else source, language))
                if weight == EXACT:
                    text = (
                        _("same GBF target: %s") if facet == "target" else _("same subject: %s")
                    ) % label
                else:
                    text = _("related topic: %s") % _short(th.label(value, language))
                reasons[rid] = (priority, text)
    similar: dict[int, float] = {}
    if semantic.available():  # pgvector, else the process's copy: no encoding at page time
        similar = dict(semantic.similar(record_id, SEMANTIC_K, SEMANTIC_THRESHOLD))
    # Fuse: concept overlap (normalised) plus similarity. The reason names the best shared
    # concept; "closest in meaning" when only the similarity brings a record in.
    top_concept = max(scores.values(), default=1.0)
    fused = {
        rid: scores.get(rid, 0.0) / top_concept + 1.5 * similar.get(rid, 0.0)
        for rid in set(scores) | set(similar)
    }
    order = sorted(fused, key=lambda r: (-fused[r], r))[: limit * 4]
    info = get_backend().records(order)  # only indexed (= published, not deleted) records
    out: list[Related] = []
    for rid in order:
        item = info.get(rid)
        if item is None or (portal_id is not None and item["portal_id"] != portal_id):
            continue
        reason = reasons[rid][1] if rid in reasons else _("closest in meaning")
        titles: dict[str, str] = item["titles"]
        title = titles.get(language) or next(iter(titles.values()), item["uid"])
        rtype = RECORD_TYPES.get(item["schema"])
        out.append(
            Related(
                rid,
                item["uid"],
                item["portal_id"],
                item["schema"],
                str(rtype.label) if rtype else item["schema"],
                title,
                reason,
                round(fused[rid], 4),
            )
        )
        if len(out) == limit:
            break
    return out
