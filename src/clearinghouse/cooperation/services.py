"""Technical and scientific cooperation: the request lifecycle (declared on the generic
workflow engine), matching cycles, helpdesk overrides and indicators.

A request for technical assistance is a ``bbiRequest`` record; submitting it opens a
``Request`` of kind ``assistance`` on the central portal (the helpdesk's queue) whose ``data``
keeps a snapshot of the document, the matching cycles, the overrides and the confirmed match.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from clearinghouse.cooperation import notify
from clearinghouse.cooperation.matching import (
    Encoder,
    MatchIndex,
    Need,
    Provider,
    Suggestion,
    current_subjects,
    default_encoder,
)
from clearinghouse.portals import permissions
from clearinghouse.portals.models import Portal, PortalKind, Role
from clearinghouse.records import services as record_services
from clearinghouse.records.i18n import pick
from clearinghouse.records.models import Draft, Record
from clearinghouse.workflows import engine
from clearinghouse.workflows.models import Request, RequestEvent

KIND = "assistance"
SUBMITTED, VALIDATED, MATCHED, AGREED, IN_IMPLEMENTATION, COMPLETED, CLOSED = (
    "submitted",
    "validated",
    "matched",
    "agreed",
    "in_implementation",
    "completed",
    "closed",
)
STATES = (SUBMITTED, VALIDATED, MATCHED, AGREED, IN_IMPLEMENTATION, COMPLETED, CLOSED)
OPEN_STATES = (SUBMITTED, VALIDATED, MATCHED, AGREED, IN_IMPLEMENTATION)
ACTIVE_STATES = (MATCHED, AGREED, IN_IMPLEMENTATION)  # a provider's slot is taken
CYCLES_BEFORE_ESCALATION = 2
MAX_REPORT = 2000


class CooperationError(record_services.RecordError):
    pass


# --- roles ---------------------------------------------------------------------------------
def central_portal() -> Portal | None:
    return Portal.objects.filter(kind=PortalKind.CENTRAL).order_by("-is_default", "pk").first()


def is_helpdesk(user: Any) -> bool:
    """Helpdesk = Secretariat reviewer or manager of the central portal."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    central = central_portal()
    return central is not None and bool(
        permissions.roles_on(user, central) & {Role.SECRETARIAT, Role.MANAGER}
    )


def _helpdesk(request: Request, user: Any) -> bool:
    return is_helpdesk(user)


def is_requester(request: Request, user: Any) -> bool:
    return bool(user and user.is_authenticated and request.created_by_id == user.pk)


def is_matched_provider(request: Request, user: Any) -> bool:
    uid = (request.data.get("match") or {}).get("profile")
    if not uid or user is None or not user.is_authenticated:
        return False
    return Record.objects.filter(uid=uid, created_by_id=user.pk).exists()


def _party(request: Request, user: Any) -> bool:
    return is_helpdesk(user) or is_requester(request, user) or is_matched_provider(request, user)


def _requester_or_helpdesk(request: Request, user: Any) -> bool:
    return is_helpdesk(user) or is_requester(request, user)


def can_view(request: Request, user: Any) -> bool:
    return _party(request, user)


# --- effects -------------------------------------------------------------------------------
def _parties_emails(request: Request) -> list[str]:
    emails = set(notify._emails([request.created_by]))
    emails |= set((request.data.get("match") or {}).get("emails", []))
    return sorted(emails)


def _announce(request: Request, user: Any, comment: str) -> None:
    notify.state_changed(request, _parties_emails(request))


def _confirmed(request: Request, user: Any, comment: str) -> None:
    match = request.data.get("match") or {}
    notify.match_confirmed(
        request,
        list(match.get("emails", [])),
        match.get("name", ""),
        str(match.get("language") or "en"),
    )


def _unmatch(request: Request, user: Any, comment: str) -> None:
    emails = _parties_emails(request)
    match = request.data.pop("match", None)
    if match:
        request.data.setdefault("declined", []).append(match.get("profile"))
    request.save(update_fields=["data"])
    notify.state_changed(request, emails)


def _completed(request: Request, user: Any, comment: str) -> None:
    request.data["report"] = comment
    request.save(update_fields=["data"])
    notify.state_changed(request, _parties_emails(request))


WORKFLOW = engine.Workflow(
    kind=KIND,
    states=STATES,
    initial=SUBMITTED,
    final=frozenset({COMPLETED, CLOSED}),
)
WORKFLOW.action("validate", {SUBMITTED}, VALIDATED, _helpdesk, _announce)
WORKFLOW.action("match", {VALIDATED}, MATCHED, _helpdesk, _confirmed)
WORKFLOW.action("decline", {MATCHED}, VALIDATED, _party, _unmatch, needs_comment=True)
WORKFLOW.action("agree", {MATCHED}, AGREED, _party, _announce)
WORKFLOW.action("start", {AGREED}, IN_IMPLEMENTATION, _party, _announce)
WORKFLOW.action("complete", {IN_IMPLEMENTATION}, COMPLETED, _party, _completed, needs_comment=True)
WORKFLOW.action(
    "close", set(OPEN_STATES), CLOSED, _requester_or_helpdesk, _announce, needs_comment=True
)
engine.register(WORKFLOW)


# --- documents → matching values -------------------------------------------------------------
def _ids(value: Any) -> frozenset[str]:
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        return frozenset()
    return frozenset(
        str(v["identifier"]) for v in value if isinstance(v, dict) and v.get("identifier")
    )


def _texts(doc: dict[str, Any], *names: str) -> str:
    parts = []
    for name in names:
        value = doc.get(name)
        if isinstance(value, dict):
            parts += [t for t in value.values() if isinstance(t, str)]
        elif isinstance(value, str):
            parts.append(value)
    return " ".join(parts)


def _first_text(value: Any, language: str = "en") -> str:
    return pick(value, language).text if isinstance(value, dict) else str(value or "")


def need_from_document(doc: dict[str, Any], key: str = "") -> Need:
    return Need(
        key=key,
        country=next(iter(_ids(doc.get("country"))), ""),
        assistance=_ids(doc.get("assistanceTypes")),
        languages=_ids(doc.get("workingLanguages")),
        targets=_ids(doc.get("gbfTargets")),
        subjects=current_subjects(_ids(doc.get("cbdSubjects"))),
        beneficiaries=_ids(doc.get("beneficiaryTypes")),
        text=_texts(doc, "title", "problem", "objectives", "addressedPriorities"),
        title=_first_text(doc.get("title")),
    )


def provider_from_document(
    doc: dict[str, Any], key: str, active: int = 0, completed: int = 0
) -> Provider:
    capacity = doc.get("capacity")
    slots = int(capacity) if isinstance(capacity, int | float) else 1
    declared = doc.get("completedAssignments")
    track = (int(declared) if isinstance(declared, int | float) else 0) + completed
    return Provider(
        key=key,
        name=_first_text(doc.get("title")) or str(doc.get("organization") or key),
        country=next(iter(_ids(doc.get("country"))), ""),
        assistance=_ids(doc.get("assistanceTypes")),
        languages=_ids(doc.get("operationalLanguages")),
        coverage=_ids(doc.get("coverageArea")) | _ids(doc.get("coverageRegions")),
        targets=_ids(doc.get("gbfTargets")),
        subjects=current_subjects(_ids(doc.get("cbdSubjects"))),
        beneficiaries=_ids(doc.get("beneficiaryTypes")),
        text=_texts(doc, "title", "expertise", "areasOfCollaboration", "recentExperience"),
        open_slots=slots - active,
        active=active,
        track_record=track,
        titles=_title_map(doc.get("title")),
    )


def _title_map(value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if isinstance(v, str) and v}
    return {}


def _assignments() -> tuple[dict[str, int], dict[str, int]]:
    active: dict[str, int] = {}
    completed: dict[str, int] = {}
    rows = Request.objects.filter(kind=KIND, state__in=(*ACTIVE_STATES, COMPLETED)).values_list(
        "state", "data"
    )
    for state, data in rows:
        uid = (data.get("match") or {}).get("profile")
        if uid:
            target = completed if state == COMPLETED else active
            target[uid] = target.get(uid, 0) + 1
    return active, completed


def profile_records() -> Any:
    return Record.objects.filter(
        schema="bbiProfile", published__isnull=False, deleted_at__isnull=True
    ).select_related("published", "created_by")


def load_providers() -> list[Provider]:
    active, completed = _assignments()
    return [
        provider_from_document(
            r.published.document, r.uid, active.get(r.uid, 0), completed.get(r.uid, 0)
        )
        for r in profile_records()
        if r.published is not None
    ]


def build_index(encoder: Encoder | None = None) -> MatchIndex:
    return MatchIndex(load_providers(), encoder or default_encoder())


def labeller(language: str) -> Any:
    from clearinghouse.vocabularies.labels import label

    return lambda ident: label(ident, language)


# --- submitting ------------------------------------------------------------------------------
def _document(record: Record) -> dict[str, Any]:
    draft = Draft.objects.filter(record=record).first()
    if draft is not None:
        return dict(draft.document)
    if record.published is not None:
        return dict(record.published.document)
    raise CooperationError(_("The request has no content."))


def submit(record: Record, user: Any, note: str = "") -> Request:
    """Submit a ``bbiRequest`` record to the helpdesk; its content must be complete and valid."""
    if record.schema != "bbiRequest":
        raise CooperationError(_("Only requests for technical assistance can be submitted."))
    if not (
        permissions.can_request_publication(user, record.portal)
        or (user.is_authenticated and record.created_by_id == user.pk)
    ):
        raise record_services.Forbidden(_("You cannot submit requests for this portal."))
    if Request.objects.filter(kind=KIND, record=record, state__in=OPEN_STATES).exists():
        raise CooperationError(_("This request was already submitted."))
    doc = _document(record)
    record_services.check_valid(record.schema, doc, record.portal, record.uid)
    central = central_portal() or record.portal
    with transaction.atomic():
        request = engine.open_request(
            WORKFLOW,
            portal=central,
            record=record,
            created_by=user,
            note=note[:1000],
            data={
                "document": doc,
                "title": _first_text(doc.get("title"), record.portal.default_language),
                "country": next(iter(_ids(doc.get("country"))), ""),
                "cycles": 0,
                "pinned": [],
                "excluded": [],
            },
        )
    return request


# --- matching --------------------------------------------------------------------------------
def suggestions(
    request: Request, language: str = "en", k: int = 5, index: MatchIndex | None = None
) -> list[Suggestion]:
    index = index or build_index()
    need = need_from_document(request.data.get("document") or {}, str(request.pk))
    excluded = list(request.data.get("excluded", [])) + list(request.data.get("declined", []))
    return index.suggest(
        need,
        k=k,
        labels=labeller(language),
        pinned=list(request.data.get("pinned", [])),
        excluded=excluded,
        language=language,
    )


def set_override(request: Request, user: Any, profile_uid: str, mode: str) -> Request:
    """Helpdesk override: ``pin`` a provider at the top, ``exclude`` it, or ``clear`` both."""
    if not is_helpdesk(user):
        raise engine.NotAllowed(_("Only the helpdesk can change suggestions."))
    if mode not in {"pin", "exclude", "clear"}:
        raise CooperationError(_("Unknown override %(mode)s.") % {"mode": mode})
    if not profile_records().filter(uid=profile_uid).exists():
        raise CooperationError(_("No provider profile %(uid)s.") % {"uid": profile_uid})
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=request.pk)
        pinned = [u for u in locked.data.get("pinned", []) if u != profile_uid]
        excluded = [u for u in locked.data.get("excluded", []) if u != profile_uid]
        if mode == "pin":
            pinned.append(profile_uid)
        elif mode == "exclude":
            excluded.append(profile_uid)
        locked.data["pinned"], locked.data["excluded"] = pinned, excluded
        locked.save(update_fields=["data"])
        RequestEvent.objects.create(
            request=locked,
            action=f"override.{mode}",
            from_state=locked.state,
            to_state=locked.state,
            user=user,
            comment=profile_uid,
        )
    return locked


def confirm_match(request: Request, user: Any, profile_uid: str, comment: str = "") -> Request:
    """The helpdesk confirms a provider: the request moves to ``matched``, both are told."""
    record = profile_records().filter(uid=profile_uid).first()
    if record is None or record.published is None:
        raise CooperationError(_("No provider profile %(uid)s.") % {"uid": profile_uid})
    doc = record.published.document
    emails = set(str(e) for e in doc.get("emails") or [] if isinstance(e, str))
    if record.created_by is not None and record.created_by.email:
        emails.add(record.created_by.email)
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=request.pk)
        if locked.state == VALIDATED and is_helpdesk(user):
            scored = {s.provider.key: s.score for s in suggestions(locked, k=50)}
            language = str(
                (locked.data.get("document") or {}).get("header", {}).get("languages", ["en"])[0]
            )
            locked.data["match"] = {
                "profile": profile_uid,
                "name": _first_text(doc.get("title"), language),
                "emails": sorted(emails),
                "score": scored.get(profile_uid),
                "language": _ui_language(doc),
                "at": timezone.now().isoformat(),
            }
            locked.save(update_fields=["data"])
        return engine.perform(locked, "match", user, comment)


def _ui_language(doc: dict[str, Any]) -> str:
    """The first language of a document that the interface speaks (else English)."""
    from django.conf import settings

    spoken = {code for code, _name in settings.LANGUAGES}
    languages = (doc.get("header") or {}).get("languages") or []
    return next((str(lang) for lang in languages if lang in spoken), "en")


def run_cycle(now: dt.datetime | None = None, index: MatchIndex | None = None) -> dict[str, int]:
    """One matching cycle over every validated, unmatched request.

    Records the cycle's suggestions; a request still unmatched after
    ``CYCLES_BEFORE_ESCALATION`` cycles is flagged for the last-resort fund and the helpdesk
    and requester are told (once)."""
    now = now or timezone.now()
    index = index or build_index()
    stats = {"requests": 0, "with_suggestions": 0, "escalated": 0}
    for request in Request.objects.filter(kind=KIND, state=VALIDATED):
        with transaction.atomic():
            locked = Request.objects.select_for_update().get(pk=request.pk)
            found = suggestions(locked, index=index)
            locked.data["cycles"] = int(locked.data.get("cycles", 0)) + 1
            locked.data["last_cycle"] = now.isoformat()
            locked.data["suggested"] = [s.provider.key for s in found]
            stats["requests"] += 1
            stats["with_suggestions"] += bool(found)
            escalate = locked.data["cycles"] >= CYCLES_BEFORE_ESCALATION and not locked.data.get(
                "last_resort"
            )
            if escalate:
                locked.data["last_resort"] = True
                stats["escalated"] += 1
            locked.save(update_fields=["data"])
            RequestEvent.objects.create(
                request=locked,
                action="cycle",
                from_state=locked.state,
                to_state=locked.state,
                comment=_("Matching cycle %(n)s: %(count)s suggestions.")
                % {"n": locked.data["cycles"], "count": len(found)},
            )
            if escalate:
                notify.escalated(locked)
            _tell_new_providers(locked, found)
    return stats


def provider_emails(uids: list[str]) -> dict[str, list[str]]:
    """E-mail addresses of each profile: its owner and the addresses it lists."""
    out: dict[str, list[str]] = {}
    for record in profile_records().filter(uid__in=uids):
        doc = record.published.document if record.published else {}
        emails = {str(e) for e in doc.get("emails") or [] if isinstance(e, str)}
        if record.created_by is not None and record.created_by.email:
            emails.add(record.created_by.email)
        out[record.uid] = sorted(emails)
    return out


def _tell_new_providers(request: Request, found: list[Suggestion]) -> None:
    """Two-sided matching: each provider is told once that a request fits its profile."""
    told = set(request.data.get("told_providers", []))
    new = [s.provider.key for s in found if s.provider.key not in told and not s.warnings]
    if not new:
        return
    emails = provider_emails(new)
    for uid in new:
        notify.request_fits(request, uid, emails.get(uid, []))
    request.data["told_providers"] = sorted(told | set(new))
    request.save(update_fields=["data"])


# --- the provider's side ---------------------------------------------------------------------
def fitting_requests(profile: Record, language: str = "en", k: int = 20) -> list[dict[str, Any]]:
    """Open requests (validated, not yet matched) for which this provider is a candidate."""
    if profile.published is None:
        return []
    active, completed = _assignments()
    provider = provider_from_document(
        profile.published.document,
        profile.uid,
        active.get(profile.uid, 0),
        completed.get(profile.uid, 0),
    )
    index = MatchIndex([provider], default_encoder())
    out: list[dict[str, Any]] = []
    for request in Request.objects.filter(kind=KIND, state=VALIDATED):
        if profile.uid in request.data.get("excluded", []):
            continue
        need = need_from_document(request.data.get("document") or {}, str(request.pk))
        found = index.suggest(need, k=1, labels=labeller(language), language=language)
        if found:
            out.append({"request": request, "suggestion": found[0]})
    out.sort(key=lambda item: -float(item["suggestion"].score))
    return out[:k]


# --- indicators ------------------------------------------------------------------------------
def indicators() -> dict[str, Any]:
    requests = Request.objects.filter(kind=KIND)
    by_state = dict(requests.values_list("state").annotate(n=Count("id")).order_by())
    matched_at = dict(
        RequestEvent.objects.filter(request__kind=KIND, action="match").values_list(
            "request_id", "at"
        )
    )
    days = [
        (matched_at[r.pk] - r.created_at).total_seconds() / 86400
        for r in requests.filter(pk__in=matched_at)
    ]
    return {
        "total": requests.count(),
        "by_state": {state: by_state.get(state, 0) for state in STATES},
        "last_resort": sum(
            1 for d in requests.values_list("data", flat=True) if d.get("last_resort")
        ),
        "matched": len(days),
        "median_days_to_match": round(statistics.median(days), 2) if days else None,
        "mean_days_to_match": round(statistics.mean(days), 2) if days else None,
        "providers": profile_records().count(),
    }
