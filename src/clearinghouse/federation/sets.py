"""OAI-PMH sets: ``schema:<type>``, ``country:<iso2>``, ``target:<GBF-TARGET-nn>``, their
three parents (``schema``, ``country``, ``target``), ``reference``: the reference records
(of a type that is not national, owned by no country), which national portals pull from the
central one, and ``query:<slug>``: the portal's stored queries (``StoredSet``), with their
parent ``query`` (the records of any of them).

Target memberships are read from the published document and kept in ``SetMembership``; the
index is brought up to date lazily, before every list request, for the records whose
datestamp (``Record.updated_at``) changed since they were last indexed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import reduce
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from clearinghouse.federation.models import SetIndex, SetMembership, StoredSet
from clearinghouse.portals.models import Portal
from clearinghouse.records.models import Record
from clearinghouse.records.types import RECORD_TYPES

SET_SPEC = re.compile(r"^[A-Za-z0-9\-_.!~*'()]+(:[A-Za-z0-9\-_.!~*'()]+)*$")
TARGET_FIELDS = ("gbfTargets", "globalTargetAlignment")
TARGET_PREFIX = "GBF-TARGET-"
_CHUNK = 1000
REFERENCE = "reference"
QUERY = "query"
NATIONAL_TYPES = sorted(schema for schema, t in RECORD_TYPES.items() if t.national)


def is_reference(schema: str, government: str) -> bool:
    """A reference record: not owned by a country, of a type that is not national."""
    return not government and schema in RECORD_TYPES and not RECORD_TYPES[schema].national


def targets_of(document: Any) -> list[str]:
    """The GBF targets a CBD document is linked to (sorted, without duplicates)."""
    found: set[str] = set()
    if isinstance(document, dict):
        for field in TARGET_FIELDS:
            values = document.get(field)
            if not isinstance(values, list):
                continue
            for value in values:
                ident = value.get("identifier") if isinstance(value, dict) else None
                if isinstance(ident, str) and ident.startswith(TARGET_PREFIX):
                    found.add(ident)
    return sorted(found)


def published_records(portal: Portal) -> Any:
    """Everything the portal has ever published, tombstones included."""
    return Record.objects.filter(portal=portal, published__isnull=False)


# Per process: a fingerprint of each portal's records and of the index when the portal's index
# was last found complete: the newest id and the newest datestamp of the portal's records, the
# newest indexed record. A new record raises the newest id, a publication or deletion moves its
# ``updated_at`` to "now" (the newest datestamp), index rows written or removed elsewhere change
# the last one: while none moved, nothing can be stale and the anti-join is skipped. The three
# are index seeks (O(log n)): a count over the portal's records on every page was itself linear.
# Another process's cache may be older: it then checks in full.
_CLEAN: dict[int, tuple[Any, Any, Any]] = {}


def _fingerprint(portal: Portal) -> tuple[Any, Any, Any]:
    qn = connection.ops.quote_name
    records = qn(Record._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX({qn('id')}) FROM {records} WHERE {qn('portal_id')} = %s), "
            f"(SELECT MAX({qn('updated_at')}) FROM {records} WHERE {qn('portal_id')} = %s), "
            f"(SELECT MAX({qn('record_id')}) FROM {qn(SetIndex._meta.db_table)})",
            [portal.pk, portal.pk],
        )
        row = cursor.fetchone()
    return row[0], row[1], row[2]


def refresh(portal: Portal) -> int:
    """Index the target sets of records published or deleted since they were last indexed."""
    fingerprint = _fingerprint(portal)
    if _CLEAN.get(portal.pk) == fingerprint:
        return 0
    stale = list(
        published_records(portal)
        .exclude(oai_index__datestamp=F("updated_at"))
        .order_by("id")
        .values_list("id", flat=True)
    )
    for start in range(0, len(stale), _CHUNK):
        chunk = stale[start : start + _CHUNK]
        rows = list(
            Record.objects.filter(id__in=chunk).values_list(
                "id", "updated_at", "published__document"
            )
        )
        with transaction.atomic():
            SetMembership.objects.filter(record_id__in=chunk).delete()
            SetIndex.objects.filter(record_id__in=chunk).delete()
            SetMembership.objects.bulk_create(
                [
                    SetMembership(record_id=rid, spec=f"target:{target}")
                    for rid, _, doc in rows
                    for target in targets_of(doc)
                ],
                ignore_conflicts=True,
            )
            # The datestamps straight from the rows (no model instances).
            placeholders = ", ".join(["%s"] * len(chunk))
            with connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {SetIndex._meta.db_table} (record_id, datestamp) "
                    f"SELECT id, updated_at FROM {Record._meta.db_table} "
                    f"WHERE id IN ({placeholders})",
                    chunk,
                )
    # Newest id and datestamp as taken before the check: a record published during it changes
    # the next fingerprint, so it is never skipped. The index as it is now.
    last, newest, indexed = fingerprint
    if stale:
        indexed = SetIndex.objects.order_by("-record_id").values_list("record_id", flat=True)[:1]
        indexed = next(iter(indexed), None)
    _CLEAN[portal.pk] = (last, newest, indexed)
    return len(stale)


def targets_by_record(ids: Iterable[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for rid, spec in (
        SetMembership.objects.filter(record_id__in=list(ids))
        .order_by("record_id", "spec")
        .values_list("record_id", "spec")
    ):
        found.setdefault(rid, []).append(spec)
    return found


def specs_for(
    schema: str,
    government: str,
    targets: Iterable[str],
    stored: Sequence[StoredSet] = (),
) -> list[str]:
    targets = list(targets)
    specs = [f"schema:{schema}"]
    if government:
        specs.append(f"country:{government}")
    specs.extend(targets)
    if is_reference(schema, government):
        specs.append(REFERENCE)
    specs.extend(s.set_spec for s in stored if matches(s, schema, government, targets))
    return specs


# --- Stored queries ---------------------------------------------------------------------------


def normalize_criteria(
    record_types: Iterable[str], countries: Iterable[str], targets: Iterable[str]
) -> tuple[list[str], list[str], list[str]]:
    """Sorted, without duplicates; countries in lower case, targets in upper case."""
    return (
        sorted({t.strip() for t in record_types if t.strip()}),
        sorted({c.strip().lower() for c in countries if c.strip()}),
        sorted({t.strip().upper() for t in targets if t.strip()}),
    )


def criteria_errors(
    record_types: Sequence[str], countries: Sequence[str], targets: Sequence[str]
) -> dict[str, list[str]]:
    """Problems with a stored set's criteria, by field (``__all__``: none given)."""
    from clearinghouse.vocabularies.models import Concept

    errors: dict[str, list[str]] = {}
    if not (record_types or countries or targets):
        errors["__all__"] = [_("Give at least one criterion: a record type, country or target.")]
    unknown = sorted(set(record_types) - set(RECORD_TYPES))
    if unknown:
        errors["record_types"] = [_("Unknown record type(s): %s.") % ", ".join(unknown)]
    known = set(
        Concept.objects.filter(
            scheme__identifier="countries", identifier__in=countries
        ).values_list("identifier", flat=True)
    )
    unknown = sorted(c for c in set(countries) if c not in known or not re.fullmatch("[a-z]{2}", c))
    if unknown:
        errors["countries"] = [
            _("Unknown country code(s): %s (ISO 3166 alpha-2, e.g. BJ).") % ", ".join(unknown)
        ]
    known = set(
        Concept.objects.filter(
            scheme__identifier="gbf-targets", identifier__in=targets
        ).values_list("identifier", flat=True)
    )
    unknown = sorted(t for t in set(targets) if t not in known or not t.startswith(TARGET_PREFIX))
    if unknown:
        errors["targets"] = [
            _("Unknown GBF target(s): %s (e.g. GBF-TARGET-02).") % ", ".join(unknown)
        ]
    return errors


def stored_sets(portal: Portal) -> list[StoredSet]:
    return list(StoredSet.objects.filter(portal=portal).order_by("spec"))


def matches(stored: StoredSet, schema: str, government: str, targets: Sequence[str]) -> bool:
    """Whether a record (its type, country and ``target:…`` specs) is in a stored set."""
    if stored.record_types and schema not in stored.record_types:
        return False
    if stored.countries and government not in stored.countries:
        return False
    return not stored.targets or any(f"target:{t}" in targets for t in stored.targets)


def stored_q(stored: StoredSet) -> Q:
    q = Q()
    if stored.record_types:
        q &= Q(schema__in=stored.record_types)
    if stored.countries:
        q &= Q(government__in=stored.countries)
    if stored.targets:
        specs = [f"target:{t}" for t in stored.targets]
        q &= Q(pk__in=SetMembership.objects.filter(spec__in=specs).values("record_id"))
    return q


def filter_q(spec: str, stored: Sequence[StoredSet] = ()) -> Q | None:
    """A filter on ``Record`` for a set, or None when no such set can exist; ``stored``: the
    portal's stored sets (``stored_sets``), the only ``query:`` sets that exist."""
    if not SET_SPEC.match(spec):
        return None
    if spec == QUERY or spec.startswith(f"{QUERY}:"):
        found = [s for s in stored if spec in (QUERY, s.set_spec)]
        queries = [stored_q(s) for s in found]
        return reduce(lambda a, b: a | b, queries) if queries else None
    if spec == REFERENCE:
        return Q(government="") & ~Q(schema__in=NATIONAL_TYPES)
    head, _, rest = spec.partition(":")
    if ":" in rest:
        return None
    if head == "schema":
        if not rest:
            return Q()
        return Q(schema=rest) if rest in RECORD_TYPES else None
    if head == "country":
        if not rest:
            return ~Q(government="")
        return Q(government=rest) if re.fullmatch(r"[a-z]{2}", rest) else None
    if head == "target":
        if not rest:
            return Q(
                pk__in=SetMembership.objects.filter(spec__startswith="target:").values("record_id")
            )
        if not rest.startswith(TARGET_PREFIX):
            return None
        return Q(pk__in=SetMembership.objects.filter(spec=spec).values("record_id"))
    return None


def all_sets(portal: Portal) -> list[tuple[str, str]]:
    """(setSpec, setName) for every set of the portal, parents first."""
    from clearinghouse.vocabularies.models import Concept

    language = "en"
    sets: list[tuple[str, str]] = [("schema", "Record types")]
    sets += [(f"schema:{schema}", f"Record type: {t.label}") for schema, t in RECORD_TYPES.items()]
    countries = sorted(
        set(
            published_records(portal)
            .exclude(government="")
            .values_list("government", flat=True)
            .distinct()
        )
    )
    if countries:
        sets.append(("country", "Countries"))
        labels = dict(
            Concept.objects.filter(
                scheme__identifier="countries", identifier__in=countries
            ).values_list("identifier", "pref_labels")
        )
        for code in countries:
            name = (labels.get(code) or {}).get(language) or code.upper()
            sets.append((f"country:{code}", f"Country: {name}"))
    sets.append(("target", "Kunming-Montreal Global Biodiversity Framework targets"))
    for ident, names in Concept.objects.filter(
        scheme__identifier="gbf-targets", identifier__startswith=TARGET_PREFIX
    ).values_list("identifier", "pref_labels"):
        sets.append((f"target:{ident}", f"{ident}: {(names or {}).get(language) or ident}"))
    sets.append((REFERENCE, "Reference records (not owned by a country)"))
    stored = stored_sets(portal)
    if stored:
        sets.append((QUERY, "Stored queries"))
        sets += [(s.set_spec, s.name) for s in stored]
    return sets
