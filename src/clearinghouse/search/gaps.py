"""Gap analysis: per GBF target, how much published guidance, capacity building, providers
and requests there are — computed from the search index's facet rows in one aggregate query."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from clearinghouse.portals.models import Portal
from clearinghouse.search import thesaurus

# column → record types (schemas) counted in it
COLUMNS: dict[str, tuple[str, ...]] = {
    "guidance": ("resource", "caseStudy"),
    "capacity": ("capacityBuildingInitiative",),
    "providers": ("bbiProfile",),
    "requests": ("bbiRequest",),
}
GROUPS = {"target": "gbf-targets", "subject": "cbd-subjects", "region": "regions"}


@dataclass
class GapRow:
    identifier: str
    label: str
    counts: dict[str, int] = field(default_factory=dict)
    gaps: list[str] = field(default_factory=list)  # "no-providers", "no-guidance"


def compute(portal: Portal | None, language: str, by: str = "target") -> list[GapRow]:
    """One row per concept of the scheme (targets or subjects, in vocabulary order), or per
    region with records."""
    facet = by if by in GROUPS else "target"
    schema_to_column = {s: col for col, schemas in COLUMNS.items() for s in schemas}
    schemas = list(schema_to_column)
    sql = (
        "SELECT c.value, t.value, COUNT(DISTINCT c.record_id) FROM search_facet c "
        "JOIN search_facet t ON t.record_id = c.record_id AND t.facet = 'type' "
        "JOIN search_record r ON r.record_id = c.record_id "
        f"WHERE c.facet = %s AND t.value IN ({', '.join(['%s'] * len(schemas))})"
    )
    params: list[str | int] = [facet, *schemas]
    if portal is not None and not portal.is_central:
        sql += " AND r.portal_id = %s"
        params.append(portal.pk)
    sql += " GROUP BY c.value, t.value"
    counts: dict[str, dict[str, int]] = {}
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for concept, schema, n in cur.fetchall():
            row = counts.setdefault(concept, dict.fromkeys(COLUMNS, 0))
            row[schema_to_column[schema]] += int(n)
    th = thesaurus.get()
    scheme = GROUPS.get(by, "gbf-targets")
    if facet == "region":  # only regions with records (the M49 list is long)
        ids = sorted(counts, key=lambda i: th.label(i, language))
    else:
        ids = sorted((i for i, s in th.scheme.items() if s == scheme), key=_order)
        ids += sorted(set(counts) - set(ids), key=_order)
    rows = []
    for identifier in ids:
        row_counts = counts.get(identifier, dict.fromkeys(COLUMNS, 0))
        gaps = []
        if row_counts["requests"] and not row_counts["providers"]:
            gaps.append("no-providers")
        if not row_counts["guidance"]:
            gaps.append("no-guidance")
        rows.append(GapRow(identifier, th.label(identifier, language), row_counts, gaps))
    return rows


def _order(identifier: str) -> tuple[str, int, str]:
    head, _sep, tail = identifier.rpartition("-")
    return (head, int(tail), "") if tail.isdigit() else (identifier, 0, "")
