"""Figures of the cooperation dashboard, computed from live data.

Five queries: provider profiles, requests for technical assistance, their first ``match``
events (grouped in the database), small-grant proposals and calls. Multi-valued fields
(assistance types, GBF targets) are counted in Python over the documents those queries load.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy

from clearinghouse.cooperation import grants, services
from clearinghouse.cooperation.matching import WORLD, regions_of
from clearinghouse.records.fields import parse_date
from clearinghouse.workflows.labels import state_label
from clearinghouse.workflows.models import Request, RequestEvent

FINISHING_DAYS = 90  # a funded project ending within this many days is "finishing"

# drafts are not in the pipeline; funded projects count as awarded proposals there
GRANT_STATES = [s for s in grants.PROPOSAL_STATES if s != grants.DRAFT]
PROJECT_STATUSES = {
    "completed": gettext_lazy("completed"),
    "finishing": gettext_lazy("finishing"),
    "running": gettext_lazy("running"),
    "terminated": gettext_lazy("terminated"),
}


@dataclass
class Row:
    key: str
    label: str
    count: int
    share: int = 0  # percent of the largest count in its table (the bar's length)


def _rows(counts: Counter[str], label: Callable[[str], str], keep_order: bool = False) -> list[Row]:
    items = list(counts.items())
    if not keep_order:
        items.sort(key=lambda kv: (-kv[1], label(kv[0])))
    top = max((n for _, n in items), default=0)
    return [Row(k, label(k), n, round(100 * n / top) if top else 0) for k, n in items]


def _ids(value: Any) -> list[str]:
    return sorted(services._ids(value))


def _region(country: str) -> str:
    """The UN M49 region (Africa, Americas, Asia, Europe, Oceania) of a country."""
    chain = regions_of(country) if country else (WORLD,)
    return chain[-2] if len(chain) > 1 else WORLD


def project_status(proposal: dict[str, Any], today: dt.date, state: str = "") -> str:
    """A funded project's status: its tracked state (running, finishing, completed,
    terminated) when it has one. An awarded project not yet tracked falls back to its declared
    end date: completed after it, finishing within ``FINISHING_DAYS`` of it, and running
    otherwise (also when no end date is given)."""
    if state in grants.PROJECT_STATES:
        return state
    end = parse_date(str(proposal.get("endDate") or ""))
    if end is None:
        return "running"
    if end < today:
        return "completed"
    if (end - today).days <= FINISHING_DAYS:
        return "finishing"
    return "running"


def _count(values: Iterable[Iterable[str]]) -> Counter[str]:
    counter: Counter[str] = Counter()
    for items in values:
        counter.update(set(items))
    return counter


def figures(language: str = "en", today: dt.date | None = None) -> dict[str, Any]:
    from clearinghouse.vocabularies.labels import label as vocab_label

    today = today or timezone.now().date()

    def label(identifier: str) -> str:
        return vocab_label(identifier, language)

    def country(code: str) -> str:
        return vocab_label(code, language) if code else "—"

    # -- providers ---------------------------------------------------------------------------
    profiles = [
        doc
        for doc in services.profile_records().values_list("published__document", flat=True)
        if isinstance(doc, dict)
    ]
    providers = {
        "total": len(profiles),
        "by_country": _rows(_count(_ids(doc.get("country")) or [""] for doc in profiles), country),
        "by_assistance": _rows(_count(_ids(doc.get("assistanceTypes")) for doc in profiles), label),
        "by_target": _rows(_count(_ids(doc.get("gbfTargets")) for doc in profiles), label),
    }

    # -- requests for technical assistance -----------------------------------------------------
    requests = list(
        Request.objects.filter(kind=services.KIND).values_list("pk", "created_at", "data")
    )
    first_match = dict(
        RequestEvent.objects.filter(request__kind=services.KIND, action="match")
        .values("request_id")
        .annotate(at=Min("at"))
        .values_list("request_id", "at")
    )
    documents = [data.get("document") or {} for _, _, data in requests]
    days = [
        (first_match[pk] - created).total_seconds() / 86400
        for pk, created, _ in requests
        if pk in first_match
    ]
    assistance = {
        "total": len(requests),
        "by_target": _rows(_count(_ids(doc.get("gbfTargets")) for doc in documents), label),
        "by_region": _rows(
            _count([_region(str(data.get("country") or ""))] for _, _, data in requests),
            label,
        ),
        "matched": len(days),
        "match_rate": round(100 * len(days) / len(requests)) if requests else None,
        "median_days_to_match": round(statistics.median(days), 1) if days else None,
    }

    # -- small grants ---------------------------------------------------------------------------
    calls = list(grants.calls())
    proposals = list(
        Request.objects.filter(kind=grants.KIND)
        .exclude(state=grants.DRAFT)
        .values_list("state", "data")
    )
    by_state = Counter(
        grants.AWARDED if state in grants.FUNDED else state for state, _ in proposals
    )
    funded_rows = [(state, data) for state, data in proposals if state in grants.FUNDED]
    funded = [data.get("proposal") or {} for _, data in funded_rows]
    statuses = Counter(
        project_status(data.get("proposal") or {}, today, state) for state, data in funded_rows
    )
    countries = {
        str(c)
        for p in funded
        for c in [p.get("country"), *(p.get("partners") or [])]
        if isinstance(c, str) and c
    }
    pipeline = {
        "calls": len(calls),
        "open_calls": sum(1 for c in calls if grants.is_open(c)),
        "proposals": len(proposals),
        "by_state": _rows(
            Counter({s: by_state.get(s, 0) for s in GRANT_STATES}),
            state_label,
            keep_order=True,
        ),
        "funded": len(funded),
        "by_status": _rows(
            Counter({s: statuses.get(s, 0) for s in PROJECT_STATUSES}),
            lambda s: str(PROJECT_STATUSES[s]),
            keep_order=True,
        ),
        "countries": len(countries),
        "country_names": sorted(country(c) for c in countries),
    }
    return {"providers": providers, "requests": assistance, "grants": pipeline}
