"""``/informea/``: an InforMEA-style, read-only OData feed of the portal's published records.

InforMEA harvests the conventions through an OData-style API (v1.5.6) whose entity sets are
Decisions, Meetings, Contacts, CountryReports and NationalPlans; its harvester asks for the
records ``updated`` since its last run. We serve the sets we have a record type for:

| entity set | record type |
|---|---|
| ``Decisions`` | ``decision`` |
| ``Meetings`` | ``event`` |
| ``Contacts`` | ``contact`` |
| ``NationalPlans`` | ``nbsap`` |

Query options (OData v2 style): ``$top`` (1 to 1000, default 100), ``$skip``, ``$filter`` on
``updated`` (``updated gt datetime'2025-01-01T00:00:00'``; ``gt ge lt le eq``, joined with
``and``), ``$orderby`` (``updated`` or ``id``, ``asc``/``desc``), ``$inlinecount=allpages``,
``$format=json``. Anything else that starts with ``$`` — or a bad value — is a 400 naming the
option. Responses are ``{"d": {"results": [...], "__next": …}}``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q, QuerySet
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from clearinghouse.records import decisions
from clearinghouse.records.models import Record
from clearinghouse.records.types import get_type

MAX_TOP = 1000
DEFAULT_TOP = 100
TREATY_IDS = {"CBD": "cbd", "CP": "cartagena", "NP": "nagoya"}
OPTIONS = {"$top", "$skip", "$filter", "$orderby", "$format", "$inlinecount"}
OPERATORS = {"gt": "gt", "ge": "gte", "lt": "lt", "le": "lte", "eq": ""}
CONDITION = re.compile(
    r"^updated\s+(gt|ge|lt|le|eq)\s+datetime'(\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?)(Z|[+-]\d{2}:\d{2})?'$",
    re.IGNORECASE,
)


class BadOption(Exception):
    pass


def _lstring(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, dict):
        return []
    return [{"language": lang, "value": text} for lang, text in value.items() if text]


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _ident(value: Any) -> str:
    return str(value.get("identifier", "")) if isinstance(value, dict) else ""


def _urls(value: Any) -> list[str]:
    return [str(i.get("url")) for i in value or [] if isinstance(i, dict) and i.get("url")]


class Entity:
    def __init__(self, request: HttpRequest, record: Record) -> None:
        self.record = record
        self.doc: dict[str, Any] = record.published.document if record.published else {}
        self.base = f"{request.scheme}://{request.get_host()}"
        languages = (self.doc.get("header") or {}).get("languages") or ["en"]
        with translation.override(languages[0]):
            self.page = self.base + reverse("web:record", args=[record.uid])

    def common(self, kind: str) -> dict[str, Any]:
        return {
            "__metadata": {"uri": self.page, "type": f"InforMEA.{kind}"},
            "id": self.record.uid,
            "url": self.page,
            "updated": _iso(self.record.updated_at),
        }


def decision(e: Entity) -> dict[str, Any]:
    doc = e.doc
    languages = (doc.get("header") or {}).get("languages") or ["en"]
    akn = e.base + reverse("akn_record", args=[e.record.uid])
    files = [{"url": u, "mimeType": "", "language": None} for u in _urls(doc.get("links"))]
    files += [
        {"url": f"{akn}?lang={lang}", "mimeType": "application/akn+xml", "language": lang}
        for lang in languages
    ]
    paragraphs = doc.get("paragraphs")
    content = [
        {"language": lang, "value": decisions.to_outline(paragraphs, lang)} for lang in languages
    ]
    return {
        **e.common("Decision"),
        "treaty": TREATY_IDS.get(str(doc.get("treaty")), str(doc.get("treaty", "")).lower()),
        "number": decisions.symbol(doc),
        "title": _lstring(doc.get("title")),
        "summary": _lstring(doc.get("summary")),
        "status": doc.get("status", ""),
        "type": "decision",
        "meetingId": doc.get("meetingCode", ""),
        "meetingTitle": doc.get("meeting", "") or doc.get("meetingCode", ""),
        "published": doc.get("date"),
        "preamble": _lstring(doc.get("preamble")),
        "content": [c for c in content if c["value"]],
        "keywords": [_ident(t) for t in doc.get("gbfTargets") or []],
        "files": files,
    }


def meeting(e: Entity) -> dict[str, Any]:
    doc = e.doc
    links = _urls(doc.get("links"))
    return {
        **e.common("Meeting"),
        "treaty": "cbd",
        "title": _lstring(doc.get("title")),
        "description": _lstring(doc.get("description")),
        "start": doc.get("startDate"),
        "end": doc.get("endDate"),
        "kind": _ident(doc.get("eventType")),
        "type": "online" if doc.get("online") else "physical",
        "location": doc.get("city", ""),
        "city": doc.get("city", ""),
        "country": _ident(doc.get("country")).upper(),
        "organizers": doc.get("organizers", ""),
        "links": links,
    }


def contact(e: Entity) -> dict[str, Any]:
    doc = e.doc
    emails = [str(x) for x in doc.get("emails") or []]
    designation = doc.get("designation") or {}
    return {
        **e.common("Contact"),
        "country": _ident(doc.get("country")).upper(),
        "prefix": doc.get("prefix", ""),
        "firstName": doc.get("firstName", ""),
        "lastName": doc.get("lastName", ""),
        "position": next(iter(designation.values()), "") if isinstance(designation, dict) else "",
        "institution": doc.get("organization", ""),
        "department": doc.get("department", ""),
        "email": emails[0] if emails else "",
        "phone": doc.get("phones", ""),
        "type": _ident(doc.get("type")),
        "treaties": ["cbd"],
    }


def national_plan(e: Entity) -> dict[str, Any]:
    doc = e.doc
    files = _urls(doc.get("documentLinks"))
    return {
        **e.common("NationalPlan"),
        "country": (e.record.government or _ident(doc.get("government"))).upper(),
        "treaty": "cbd",
        "type": "nbsap",
        "title": _lstring(doc.get("title")),
        "summary": _lstring(doc.get("summary")),
        "submission": doc.get("adoptionDate") or None,
        "start": doc.get("startDate"),
        "end": doc.get("endDate"),
        "status": _ident(doc.get("status")),
        "url": files[0] if files else e.page,
        "files": [{"url": u} for u in files],
    }


ENTITY_SETS: dict[str, tuple[str, Callable[[Entity], dict[str, Any]]]] = {
    "Decisions": ("decision", decision),
    "Meetings": ("event", meeting),
    "Contacts": ("contact", contact),
    "NationalPlans": ("nbsap", national_plan),
}


def _int(params: Any, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not re.fullmatch(r"\d{1,9}", raw.strip()) or not low <= int(raw) <= high:
        raise BadOption(
            _("%(option)s must be a whole number from %(low)s to %(high)s, not “%(value)s”.")
            % {"option": name, "low": low, "high": high, "value": raw}
        )
    return int(raw)


def parse_filter(raw: str) -> Q:
    """``updated gt datetime'…' and updated lt datetime'…'`` → a filter on ``updated_at``."""
    q = Q()
    for part in re.split(r"\s+and\s+", raw.strip(), flags=re.IGNORECASE):
        m = CONDITION.match(part.strip())
        if not m:
            raise BadOption(
                _(
                    "$filter: “%(value)s” is not understood; use e.g. "
                    "updated gt datetime'2025-01-31T00:00:00' (operators gt, ge, lt, le, eq, "
                    "joined with and)."
                )
                % {"value": part.strip()}
            )
        op, stamp, zone = m.group(1).lower(), m.group(2), m.group(3) or "+00:00"
        try:
            moment = dt.datetime.fromisoformat(stamp + ("" if "T" in stamp else "T00:00:00"))
        except ValueError as exc:
            raise BadOption(
                _("$filter: “%(value)s” is not a valid date and time.") % {"value": stamp}
            ) from exc
        zone = "+00:00" if zone.upper() == "Z" else zone
        moment = moment.replace(
            tzinfo=dt.datetime.fromisoformat(f"2000-01-01T00:00:00{zone}").tzinfo
        )
        lookup = f"updated_at__{OPERATORS[op]}" if OPERATORS[op] else "updated_at"
        q &= Q(**{lookup: moment})
    return q


def parse_orderby(raw: str | None) -> list[str]:
    if raw is None or not raw.strip():
        return ["updated_at", "id"]
    order: list[str] = []
    for part in raw.split(","):
        words = part.split()
        if not words or len(words) > 2 or words[0] not in ("updated", "id"):
            raise BadOption(
                _("$orderby: “%(value)s” is not supported; order by updated or id, asc or desc.")
                % {"value": part.strip()}
            )
        direction = words[1].lower() if len(words) == 2 else "asc"
        if direction not in ("asc", "desc"):
            raise BadOption(_("$orderby: “%(value)s” must be asc or desc.") % {"value": words[1]})
        column = "updated_at" if words[0] == "updated" else "uid"
        order.append(f"-{column}" if direction == "desc" else column)
    return [*order, "id"]


def _check_options(params: Any) -> None:
    for key in params:
        if key.startswith("$") and key not in OPTIONS:
            raise BadOption(
                _("%(option)s is not a supported query option (%(supported)s).")
                % {"option": key, "supported": ", ".join(sorted(OPTIONS))}
            )
        if key.startswith("$") and len(params.getlist(key)) > 1:
            raise BadOption(_("%(option)s is given more than once.") % {"option": key})
    fmt = params.get("$format")
    if fmt is not None and fmt.lower() != "json":
        raise BadOption(_("$format: only json is offered, not “%(value)s”.") % {"value": fmt})
    count = params.get("$inlinecount")
    if count is not None and count not in ("allpages", "none"):
        raise BadOption(
            _("$inlinecount must be allpages or none, not “%(value)s”.") % {"value": count}
        )


def _error(message: str, status: int) -> JsonResponse:
    response = JsonResponse(
        {"error": {"code": str(status), "message": {"lang": "en", "value": message}}},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _ok(data: dict[str, Any]) -> JsonResponse:
    response = JsonResponse({"d": data}, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    response["DataServiceVersion"] = "2.0"
    return response


@require_GET
def service_document(request: HttpRequest) -> JsonResponse:
    try:
        _check_options(request.GET)
    except BadOption as exc:
        return _error(str(exc), 400)
    return _ok({"EntitySets": list(ENTITY_SETS)})


def records_of(portal: Any, schema: str) -> QuerySet[Record]:
    return Record.objects.filter(
        portal=portal, schema=schema, published__isnull=False, deleted_at__isnull=True
    )


@require_GET
def entity_set(request: HttpRequest, entity_set: str) -> JsonResponse:
    if entity_set not in ENTITY_SETS:
        return _error(
            _("There is no entity set %(name)s; the sets are %(sets)s.")
            % {"name": entity_set, "sets": ", ".join(ENTITY_SETS)},
            404,
        )
    params = request.GET
    try:
        _check_options(params)
        top = _int(params, "$top", DEFAULT_TOP, 1, MAX_TOP)
        skip = _int(params, "$skip", 0, 0, 10**9)
        where = parse_filter(params["$filter"]) if params.get("$filter") else Q()
        order = parse_orderby(params.get("$orderby"))
    except BadOption as exc:
        return _error(str(exc), 400)
    schema, build = ENTITY_SETS[entity_set]
    get_type(schema)  # declared
    query = records_of(request.portal, schema).filter(where)  # type: ignore[attr-defined]
    page = list(query.select_related("published").order_by(*order)[skip : skip + top + 1])
    data: dict[str, Any] = {
        "results": [build(Entity(request, record)) for record in page[:top]],
    }
    if params.get("$inlinecount") == "allpages":
        data["__count"] = str(query.count())
    if len(page) > top:
        following = {k: v for k, v in params.items()}
        following["$skip"] = str(skip + top)
        following["$top"] = str(top)
        data["__next"] = (
            f"{request.scheme}://{request.get_host()}{request.path}?{urlencode(following)}"
        )
    return _ok(data)
