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


# --- region × target matrix ---------------------------------------------------------------
MEASURES: dict[str, tuple[str, ...]] = {**COLUMNS, "unmet": ("bbiRequest",)}
ALL_SCHEMAS = tuple(dict.fromkeys(s for schemas in COLUMNS.values() for s in schemas))
THIN_SPOTS = 10


class MatrixError(ValueError):
    """A bad parameter: ``param`` names it, the message (translated) says what is wrong."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass
class Column:
    identifier: str
    label: str  # short ("Target 5")
    title: str  # full ("Target 5 — Ensure that the harvesting …")


@dataclass
class MatrixRow:
    identifier: str
    label: str
    level: int  # 0 region, 1 sub-region, 2 intermediate region (countries: 0)
    cells: list[int]
    total: int
    leaf: bool = True


@dataclass
class ThinSpot:
    row: str
    row_label: str
    target: str
    target_label: str
    requests: int
    providers: int
    guidance: int
    capacity: int


@dataclass
class Matrix:
    measure: str
    within: str  # "" or the region drilled into (rows are then its countries)
    within_label: str
    row_facet: str  # "region" or "country"
    columns: list[Column]
    rows: list[MatrixRow]
    column_totals: list[int]
    total: int
    thin_spots: list[ThinSpot]
    # every measure per (row, target), for the thin spots and the API
    all_counts: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    @property
    def schemas(self) -> tuple[str, ...]:
        return MEASURES[self.measure]

    @property
    def scope_rows(self) -> list[str]:
        """The facet values whose union the column totals count (the search filter for them):
        the drilled-into region, or the top-level regions."""
        if self.within:
            return [self.within]
        return [r.identifier for r in self.rows if r.level == 0]


def _columns(language: str) -> list[Column]:
    from clearinghouse.records.i18n import pick
    from clearinghouse.vocabularies.models import Concept

    th = thesaurus.get()
    ids = sorted((i for i, s in th.scheme.items() if s == "gbf-targets"), key=_order)
    short = {
        c["identifier"]: (c["extra"] or {}).get("short") or {}
        for c in Concept.objects.filter(identifier__in=ids).values("identifier", "extra")
    }
    return [
        Column(i, pick(short.get(i), language).text or th.label(i, language), th.label(i, language))
        for i in ids
    ]


def _region_rows(language: str) -> list[tuple[str, int]]:
    """Every M49 region, sub-region and intermediate region, each under its parent, in the
    reader's alphabetical order at each level."""
    th = thesaurus.get()
    regions = {i for i, s in th.scheme.items() if s == "regions"}
    out: list[tuple[str, int]] = []

    def add(ids: set[str], level: int) -> None:
        for ident in sorted(ids, key=lambda i: th.label(i, language)):
            out.append((ident, level))
            add({c for c in th.narrower.get(ident, ()) if c in regions}, level + 1)

    add({r for r in regions if not (th.broader.get(r, set()) & regions)}, 0)
    return out


def _country_rows(within: str, language: str) -> list[tuple[str, int]]:
    th = thesaurus.get()
    countries = [c for c in th.descendants(within) if th.scheme.get(c) == "countries"]
    return [(c, 0) for c in sorted(countries, key=lambda c: th.label(c, language))]


def _marks(values: list[str] | tuple[str, ...]) -> str:
    return ", ".join(["%s"] * len(values)) or "NULL"


def _matrix_sql(portal: Portal | None, row_facet: str, within: str) -> tuple[str, list[str | int]]:
    """Cells, row totals, column totals and the grand total, per record type, in one
    statement (``UNION ALL`` of four aggregates).

    - Facet rows are unique per (record, facet, value), so a cell is a plain COUNT of (row,
      target) pairs, and a total a COUNT of (record, row) or (record, target) pairs with an
      EXISTS for the other dimension: no COUNT(DISTINCT).
    - Each aggregate is driven by ``search_record`` (type and portal) in primary-key order,
      the facet rows of each record read next to each other through the
      ``(record_id, facet, value)`` index: ``CROSS JOIN`` keeps SQLite to that order (3× faster
      at 100,000 records than starting from the facet values); PostgreSQL plans it freely.
    - Every ``target`` facet value is a GBF target (the indexer writes no other), so "tagged
      with a target" needs no value list, and "in a row" is any ``region`` facet, or the
      drilled-into region (``within``). No value lists either for the rows (a probe of the
      index per listed value and record): every region is a row, and the countries outside
      the drilled-into region are dropped by the caller."""
    types = _marks(ALL_SCHEMAS)
    where = f"r.schema IN ({types})"
    params: list[str | int] = [*ALL_SCHEMAS]
    if portal is not None and not portal.is_central:
        where += " AND r.portal_id = %s"
        params.append(portal.pk)
    in_row = "g.record_id = r.record_id AND g.facet = %s"
    row_params: list[str | int] = [row_facet]
    tagged = "t.record_id = r.record_id AND t.facet = 'target'"
    has_target = (
        "EXISTS (SELECT 1 FROM search_facet x WHERE x.record_id = r.record_id "
        "AND x.facet = 'target')"
    )
    has_row = (
        "EXISTS (SELECT 1 FROM search_facet z WHERE z.record_id = r.record_id "
        "AND z.facet = 'region'" + (" AND z.value = %s)" if within else ")")
    )
    within_params: list[str | int] = [within] if within else []
    if within:  # the countries of one region: records in it (one index probe, not one a country)
        in_row += f" AND {has_row}"
        row_params += within_params
    parts = [
        (
            "SELECT g.value, t.value, r.schema, COUNT(*) FROM search_record r "
            "CROSS JOIN search_facet g CROSS JOIN search_facet t "
            f"WHERE {where} AND {in_row} AND {tagged} GROUP BY g.value, t.value, r.schema",
            [*params, *row_params],
        ),
        (
            "SELECT g.value, '', r.schema, COUNT(*) FROM search_record r "
            f"CROSS JOIN search_facet g WHERE {where} AND {in_row} AND {has_target} "
            "GROUP BY g.value, r.schema",
            [*params, *row_params],
        ),
        (
            "SELECT '', t.value, r.schema, COUNT(*) FROM search_record r "
            f"CROSS JOIN search_facet t WHERE {where} AND {tagged} AND {has_row} "
            "GROUP BY t.value, r.schema",
            [*params, *within_params],
        ),
        (
            f"SELECT '', '', r.schema, COUNT(*) FROM search_record r WHERE {where} "
            f"AND {has_target} AND {has_row} GROUP BY r.schema",
            [*params, *within_params],
        ),
    ]
    return " UNION ALL ".join(p for p, _ in parts), [v for _, ps in parts for v in ps]


def matrix(
    portal: Portal | None,
    language: str,
    measure: str = "requests",
    within: str = "",
    top: int = THIN_SPOTS,
) -> Matrix:
    """Rows = M49 regions (or the countries of ``within``), columns = the GBF targets, each
    cell the number of published records of ``measure`` tagged with both. Two aggregate
    queries (cells and totals of every record type at once; the unmet totals), cached while
    the index is unchanged. Raises :class:`MatrixError` for an unknown measure or region."""
    from django.utils.translation import gettext as _

    if measure not in MEASURES:
        raise MatrixError(
            "measure",
            _("The parameter “measure” is %(value)s: use one of %(choices)s.")
            % {"value": measure, "choices": ", ".join(MEASURES)},
        )
    th = thesaurus.get()
    if within and th.scheme.get(within) != "regions":
        raise MatrixError(
            "within",
            _(
                "The parameter “within” is %(value)s, not a region: use an M49 region "
                "identifier such as m49-002."
            )
            % {"value": within},
        )
    columns = _columns(language)
    col_ids = [c.identifier for c in columns]
    row_defs = _country_rows(within, language) if within else _region_rows(language)
    row_ids = [r for r, _level in row_defs]
    row_facet = "country" if within else "region"

    counts = _cached_counts(portal, row_facet, within, row_ids, col_ids)
    zero = dict.fromkeys(MEASURES, 0)

    def value(key: tuple[str, str]) -> int:
        return counts.get(key, zero).get(measure, 0)

    rows = []
    for i, (ident, level) in enumerate(row_defs):
        nxt = row_defs[i + 1][1] if i + 1 < len(row_defs) else -1
        rows.append(
            MatrixRow(
                ident,
                th.label(ident, language),
                level,
                [value((ident, c)) for c in col_ids],
                value((ident, "")),
                leaf=nxt <= level,
            )
        )
    spots = []
    labels = {c.identifier: c.label for c in columns}
    leaves = {r.identifier: r.label for r in rows if r.leaf}
    for (row, col), cell in counts.items():
        if row not in leaves or not col or not cell["requests"]:
            continue
        if not cell["providers"] or not (cell["guidance"] or cell["capacity"]):
            spots.append(
                ThinSpot(
                    row,
                    leaves[row],
                    col,
                    labels.get(col, col),
                    cell["requests"],
                    cell["providers"],
                    cell["guidance"],
                    cell["capacity"],
                )
            )
    order = {c: i for i, c in enumerate(col_ids)}
    spots.sort(key=lambda s: (*thin_spot_rank(s), s.row_label, order.get(s.target, 0)))
    return Matrix(
        measure=measure,
        within=within,
        within_label=th.label(within, language) if within else "",
        row_facet=row_facet,
        columns=columns,
        rows=rows,
        column_totals=[value(("", c)) for c in col_ids],
        total=value(("", "")),
        thin_spots=spots[: max(0, top)],
        all_counts={k: v for k, v in counts.items() if k[0] and k[1]},
    )


CACHE_SECONDS = 600


def _cached_counts(
    portal: Portal | None, row_facet: str, within: str, row_ids: list[str], col_ids: list[str]
) -> dict[tuple[str, str], dict[str, int]]:
    """Every measure of every cell and total: cached, keyed by the index's fingerprint (its
    record count, highest record id and latest publication: a publication, a new version or a
    withdrawal changes it), so that a changed index is counted afresh at once and an unchanged
    one costs one cheap query; ``CACHE_SECONDS`` bounds what the fingerprint could miss."""
    from django.core.cache import cache

    with connection.cursor() as cur:
        cur.execute(
            "SELECT COUNT(*), COALESCE(MAX(record_id), 0), COALESCE(MAX(published_at), '') "
            "FROM search_record"
        )
        fingerprint = "-".join(str(v) for v in cur.fetchone() or ())
    scope = portal.pk if portal is not None and not portal.is_central else 0
    key = f"gaps-matrix:{scope}:{row_facet}:{within}:{fingerprint}"
    cached: dict[tuple[str, str], dict[str, int]] | None = cache.get(key)
    if cached is not None:
        return cached
    sql, params = _matrix_sql(portal, row_facet, within)
    schema_to_column = {s: col for col, schemas in COLUMNS.items() for s in schemas}
    counts: dict[tuple[str, str], dict[str, int]] = {}
    known_rows, known_cols = {"", *row_ids}, {"", *col_ids}
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for row, col, schema, n in cur.fetchall():
            if row not in known_rows or col not in known_cols:
                continue
            cell = counts.setdefault((row, col), dict.fromkeys(MEASURES, 0))
            cell[schema_to_column[schema]] += int(n)
    for (row, col), cell in counts.items():
        if row and col:
            cell["unmet"] = cell["requests"] if not cell["providers"] else 0
    _unmet_totals(counts, portal, row_facet)
    cache.set(key, counts, CACHE_SECONDS)
    return counts


def thin_spot_rank(spot: ThinSpot) -> tuple[int, int, int]:
    """The documented order of thin spots: demand with no provider first, then demand with no
    guidance or capacity building; within each, more requests first, then fewer guidance."""
    return (
        0 if not spot.providers else 1,
        -spot.requests,
        spot.guidance + spot.capacity,
    )


def search_params(
    m: Matrix, row: str = "", target: str = "", schemas: tuple[str, ...] = ()
) -> list[tuple[str, str]]:
    """The /search query that lists a cell's (or a row's or column's total's) records: the
    search needs words, so the query is the target's (or the row's) label, which the thesaurus
    expands to every record tagged with it; the facet filters then keep the measure's record
    types, the target (every column for a row total) and the row (every top-level row for a
    column total). Empty for the grand total (no label names it)."""
    if not (row or target):
        return []
    if target:
        q = next(c.label for c in m.columns if c.identifier == target)
    else:
        q = next(r.label for r in m.rows if r.identifier == row)
    params: list[tuple[str, str]] = [("q", q), ("mode", "lexical")]
    params += [("type", s) for s in schemas or m.schemas]
    params += [("target", t) for t in ([target] if target else [c.identifier for c in m.columns])]
    params += [(m.row_facet if row else "region", r) for r in ([row] if row else m.scope_rows)]
    return params


def _unmet_totals(
    counts: dict[tuple[str, str], dict[str, int]], portal: Portal | None, row_facet: str
) -> None:
    """Row, column and grand totals of unmet demand: distinct requests in at least one unmet
    (row, target) cell of that row / column / the matrix (a request counts once)."""
    pairs = [(r, c) for (r, c), cell in counts.items() if r and c and cell.get("unmet")]
    for key, cell in counts.items():
        if not (key[0] and key[1]):
            cell["unmet"] = 0
    if not pairs:
        return
    keys = [f"{r}|{c}" for r, c in pairs]
    scope = " AND r.portal_id = %s" if portal is not None and not portal.is_central else ""
    base = (
        "FROM search_record r CROSS JOIN search_facet g CROSS JOIN search_facet t "
        f"WHERE r.schema = 'bbiRequest'{scope} AND g.record_id = r.record_id "
        "AND g.facet = %s AND t.record_id = r.record_id "
        f"AND t.facet = 'target' AND (g.value || '|' || t.value) IN ({_marks(keys)})"
    )
    params: list[str | int] = [portal.pk] if scope and portal is not None else []
    params += [row_facet, *keys]
    sql = " UNION ALL ".join(
        f"SELECT {r}, {c}, COUNT(DISTINCT g.record_id) {base}{group}"
        for r, c, group in (
            ("g.value", "''", " GROUP BY g.value"),
            ("''", "t.value", " GROUP BY t.value"),
            ("''", "''", ""),
        )
    )
    with connection.cursor() as cur:
        cur.execute(sql, params * 3)
        for row, col, n in cur.fetchall():
            counts.setdefault((row, col), dict.fromkeys(MEASURES, 0))["unmet"] = int(n)
