"""Crosswalks: SKOS mapping relations between concepts of different schemes, in a small CSV.

A crosswalk file has the header ``from,relation,to,source`` (``source`` optional): ``from`` and
``to`` name concepts by identifier (``GBF-TARGET-03``) or URI; ``relation`` is one of the SKOS
mapping properties (``exactMatch``, ``closeMatch``, ``broadMatch``, ``narrowMatch``,
``relatedMatch``; a ``skos:`` prefix is accepted); ``source`` says where the mapping comes from.

:func:`import_crosswalk` checks the whole file first and stores nothing if any row is wrong
(every problem is reported with its line number); otherwise it adds the mappings to the
``from`` concepts (``Concept.mappings``, exported as ``skos:relatedMatch`` … and so visible in
Turtle/JSON-LD and SPARQL) and keeps each mapping's source in ``extra["mapping_sources"]``
(``{target URI: source}``). Importing the same file twice changes nothing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clearinghouse.vocabularies import labels
from clearinghouse.vocabularies.models import Concept

RELATIONS = ("exactMatch", "closeMatch", "broadMatch", "narrowMatch", "relatedMatch")
HEADER = ("from", "relation", "to")
# S46: exactMatch is disjoint with broadMatch and relatedMatch (to the same concept)
DISJOINT = {("exactMatch", "broadMatch"), ("exactMatch", "relatedMatch")}


@dataclass
class CrosswalkReport:
    rows: int = 0
    added: int = 0  # mappings that were not stored before
    concepts: int = 0  # concepts whose mappings changed


@dataclass
class CrosswalkFailed(Exception):
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(self.problems)


def is_crosswalk(data: bytes | str) -> bool:
    """True when a CSV file's header names the crosswalk columns (from, relation, to)."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    columns = {c.strip().lower() for c in next(csv.reader([first]), [])}
    return set(HEADER) <= columns


def _resolve(names: set[str]) -> dict[str, Concept]:
    """Concepts by identifier and by URI."""
    found = Concept.objects.filter(identifier__in=names) | Concept.objects.filter(uri__in=names)
    out: dict[str, Concept] = {}
    for concept in found.select_related("scheme"):
        out[concept.identifier] = concept
        out[concept.uri] = concept
    return out


def read_rows(data: bytes | str) -> list[tuple[int, str, str, str, str]]:
    """(line, from, relation, to, source) for every non-empty row; CrosswalkFailed if the
    header is wrong or the file is not UTF-8."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise CrosswalkFailed([_("The crosswalk file is not UTF-8 text: %s") % exc]) from exc
    reader = csv.DictReader(io.StringIO(text))
    columns = [(c or "").strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in HEADER if c not in columns]
    if missing:
        raise CrosswalkFailed(
            [
                _(
                    "The crosswalk file lacks the column(s) %(missing)s; "
                    "its header must be %(header)s."
                )
                % {"missing": ", ".join(missing), "header": "from,relation,to,source"}
            ]
        )
    reader.fieldnames = columns
    rows = []
    for line, row in enumerate(reader, start=2):
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if not any(values.values()):
            continue
        rows.append(
            (
                line,
                values.get("from", ""),
                values.get("relation", ""),
                values.get("to", ""),
                values.get("source", ""),
            )
        )
    return rows


def import_crosswalk(data: bytes | str, portal: Any = None, source: str = "") -> CrosswalkReport:
    """Check every row, then store all mappings in one transaction (or none).

    ``portal``: a national portal's import may only add mappings *from* its own concepts
    (to any concept, shared ones included). ``source``: used for rows without one."""
    rows = read_rows(data)
    concepts = _resolve({r[1] for r in rows} | {r[3] for r in rows})
    problems: list[str] = []
    wanted: dict[int, list[tuple[str, str, str]]] = {}  # concept pk -> (relation, uri, source)
    for line, start, relation, end, row_source in rows:
        where = _("line %(line)s") % {"line": line}
        relation = relation.removeprefix("skos:")
        if relation not in RELATIONS:
            problems.append(
                _("%(where)s: relation %(relation)r is not one of %(allowed)s.")
                % {"where": where, "relation": relation, "allowed": ", ".join(RELATIONS)}
            )
        origin, target = concepts.get(start), concepts.get(end)
        for column, name, concept in (("from", start, origin), ("to", end, target)):
            if not name:
                problems.append(
                    _("%(where)s: the %(column)s column is empty.")
                    % {"where": where, "column": column}
                )
            elif concept is None:
                problems.append(
                    _("%(where)s: %(column)s %(name)r is not a known concept (identifier or URI).")
                    % {"where": where, "column": column, "name": name}
                )
        if origin is None or target is None or relation not in RELATIONS:
            continue
        if origin.pk == target.pk:
            problems.append(
                _("%(where)s: a concept cannot be mapped to itself (%(name)s).")
                % {"where": where, "name": origin.identifier}
            )
            continue
        if origin.scheme_id == target.scheme_id:
            problems.append(
                _(
                    "%(where)s: %(a)s and %(b)s are in the same scheme; mapping relations link "
                    "concepts of different schemes (use skos:related in a SKOS file instead)."
                )
                % {"where": where, "a": origin.identifier, "b": target.identifier}
            )
            continue
        if portal is not None and origin.scheme.portal_id != portal.pk:
            problems.append(
                _(
                    "%(where)s: %(name)s belongs to scheme %(scheme)r, which is not one of "
                    "portal %(portal)r's schemes; a national portal may only map its own concepts."
                )
                % {
                    "where": where,
                    "name": origin.identifier,
                    "scheme": origin.scheme.identifier,
                    "portal": portal.code,
                }
            )
            continue
        wanted.setdefault(origin.pk, []).append((relation, target.uri, row_source or source))
    by_pk = {c.pk: c for c in concepts.values()}
    for pk, additions in wanted.items():
        concept = by_pk[pk]
        relations: dict[str, set[str]] = {}
        for m in concept.mappings or []:
            relations.setdefault(m["uri"], set()).add(m["relation"])
        for relation, uri, _source in additions:
            relations.setdefault(uri, set()).add(relation)
        for uri, kinds in sorted(relations.items()):
            for a, b in DISJOINT:
                if a in kinds and b in kinds:
                    problems.append(
                        _("%(name)s: skos:%(a)s and skos:%(b)s to the same concept %(uri)s (S46).")
                        % {"name": concept.identifier, "a": a, "b": b, "uri": uri}
                    )
    if problems:
        raise CrosswalkFailed(problems)

    report = CrosswalkReport(rows=len(rows))
    with transaction.atomic():
        for pk, additions in wanted.items():
            concept = Concept.objects.select_for_update().get(pk=pk)
            mappings = list(concept.mappings or [])
            extra = dict(concept.extra or {})
            sources = dict(extra.get("mapping_sources") or {})
            changed = False
            for relation, uri, row_source in additions:
                entry = {"relation": relation, "uri": uri}
                if entry not in mappings:
                    mappings.append(entry)
                    report.added += 1
                    changed = True
                if row_source and sources.get(uri) != row_source:
                    sources[uri] = row_source
                    changed = True
            if changed:
                mappings.sort(key=lambda m: (RELATIONS.index(m["relation"]), m["uri"]))
                if sources:
                    extra["mapping_sources"] = dict(sorted(sources.items()))
                Concept.objects.filter(pk=pk).update(
                    mappings=mappings, extra=extra, modified=timezone.now()
                )
                report.concepts += 1
    labels.invalidate()  # update() sends no signals
    return report


def incoming(uri: str) -> list[tuple[str, Concept]]:
    """(relation, concept) for every stored concept with a mapping to ``uri``."""
    out = []
    candidates = Concept.objects.exclude(mappings=[]).select_related("scheme")
    for concept in candidates.only("pk", "identifier", "uri", "mappings", "pref_labels", "scheme"):
        for m in concept.mappings or []:
            if m.get("uri") == uri:
                out.append((m["relation"], concept))
    return sorted(out, key=lambda pair: (pair[1].scheme.identifier, pair[1].identifier))
