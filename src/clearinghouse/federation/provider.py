"""OAI-PMH 2.0 data provider: every portal publishes its records at ``/oai``.

Identifiers are ``oai:<host>:<record uid>``; the datestamp is ``Record.updated_at`` (it moves on
every publication and deletion). Lists are paged by keyset on ``(updated_at, id)``: the
resumption token is signed, stateless, and carries the query and the last row sent, so a page
costs one indexed query however deep the harvest is."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Min, Q
from django.http import HttpRequest

from clearinghouse.federation import sets
from clearinghouse.federation.models import StoredSet
from clearinghouse.federation.xml import attr, element, text, utc_seconds
from clearinghouse.portals.models import Membership, Portal, Role
from clearinghouse.records.types import RECORD_TYPES

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
DC_NS = "http://purl.org/dc/elements/1.1/"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
CBD_NS = "urn:x-clearinghouse:cbd-document:1"
CBD_SCHEMA_PATH = "/oai/cbd.xsd"

PAGE_SIZE = 500
TOKEN_SALT = "clearinghouse.federation.oai"
GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"

VERBS: dict[str, tuple[set[str], set[str]]] = {
    # verb: (required arguments, optional arguments); resumptionToken is exclusive.
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), {"resumptionToken"}),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set", "resumptionToken"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
}
LIST_VERBS = {"ListIdentifiers", "ListRecords"}


class OAIError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Query:
    verb: str
    prefix: str
    set_spec: str = ""
    start: dt.datetime | None = None  # inclusive
    end: dt.datetime | None = None  # exclusive
    from_arg: str = ""
    until_arg: str = ""
    after: tuple[dt.datetime, int] | None = None  # keyset: last (updated_at, id) sent
    cursor: int = 0
    total: int | None = None


@dataclass
class Context:
    portal: Portal
    base_url: str
    repository_id: str
    site: str  # scheme://host, for links to record pages

    @cached_property
    def dc_publisher(self) -> str:
        return element("dc:publisher", self.portal.display_name(self.portal.default_language))

    def oai_id(self, uid: str) -> str:
        return f"oai:{self.repository_id}:{uid}"


def context_for(request: HttpRequest, portal: Portal) -> Context:
    host = request.get_host().split(":")[0].lower().rstrip(".")
    site = f"{request.scheme}://{request.get_host()}"
    return Context(portal=portal, base_url=f"{site}/oai", repository_id=host, site=site)


# --- Metadata formats ------------------------------------------------------------------------


def formats(ctx: Context) -> list[tuple[str, str, str]]:
    return [
        ("oai_dc", OAI_DC_SCHEMA, OAI_DC_NS),
        ("cbd", ctx.site + CBD_SCHEMA_PATH, CBD_NS),
    ]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v.strip()]
    return []


def _lstrings(value: Any) -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [(k, v) for k, v in value.items() if isinstance(v, str) and v.strip() and k]
    if isinstance(value, str) and value.strip():
        return [("", value)]
    return []


def _terms(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [
        item["identifier"]
        for item in items
        if isinstance(item, dict) and isinstance(item.get("identifier"), str)
    ]


def render_oai_dc(ctx: Context, row: Row) -> str:
    doc = row.document if isinstance(row.document, dict) else {}
    rtype = RECORD_TYPES.get(row.schema)
    out = [
        f'<oai_dc:dc xmlns:oai_dc="{OAI_DC_NS}" xmlns:dc="{DC_NS}" '
        f'xsi:schemaLocation="{OAI_DC_NS} {OAI_DC_SCHEMA}">'
    ]
    title_field = rtype.title_field if rtype else "title"
    titles = _lstrings(doc.get(title_field))
    if row.schema == "contact":
        name = " ".join(_strings(doc.get("firstName")) + _strings(doc.get("lastName")))
        titles = [("", name)] if name else titles
    for lang, value in titles:
        out.append(
            element("dc:title", value, xml__lang=lang) if lang else element("dc:title", value)
        )
    for field in ("authors", "organizers"):
        out.extend(element("dc:creator", v) for v in _strings(doc.get(field)))
    for field in ("organizations", "publisher"):
        out.extend(element("dc:contributor", v) for v in _strings(doc.get(field)))
    summary_field = rtype.summary_field if rtype else ""
    if summary_field:
        for lang, value in _lstrings(doc.get(summary_field)):
            out.append(
                element("dc:description", value, xml__lang=lang)
                if lang
                else element("dc:description", value)
            )
    for field in ("cbdSubjects", "gbfTargets"):
        out.extend(element("dc:subject", v) for v in _terms(doc.get(field)))
    out.extend(element("dc:subject", v) for v in _terms(doc.get("globalTargetAlignment")))
    out.extend(element("dc:subject", v.strip()) for v in _strings(doc.get("tags")))
    date = next(
        (v for f in ("publicationDate", "date", "startDate") for v in _strings(doc.get(f))), ""
    )
    out.append(element("dc:date", date or utc_seconds(row.published_at or row.updated_at)))
    out.append(element("dc:type", row.schema))
    out.extend(element("dc:type", v) for v in _terms(doc.get("resourceTypes")))
    language = ctx.portal.default_language
    out.append(element("dc:identifier", f"{ctx.site}/{language}/r/{row.uid}/"))
    for field in ("resourceLinks", "documentLinks", "links"):
        values = doc.get(field)
        for link in values if isinstance(values, list) else []:
            url = link.get("url") if isinstance(link, dict) else link
            if isinstance(url, str) and url:
                out.append(element("dc:relation", url))
    header = doc.get("header")
    for lang in _strings(header.get("languages") if isinstance(header, dict) else None):
        out.append(element("dc:language", lang))
    if row.government:
        out.append(element("dc:coverage", row.government))
    out.append(ctx.dc_publisher)
    out.append("</oai_dc:dc>")
    return "".join(out)


def render_cbd(ctx: Context, row: Row) -> str:
    body = json.dumps(row.document, ensure_ascii=False, separators=(",", ":"))
    return (
        f'<cbd:document xmlns:cbd="{CBD_NS}" '
        f'xsi:schemaLocation="{CBD_NS} {attr(ctx.site + CBD_SCHEMA_PATH)}" '
        f'identifier="{attr(row.uid)}" schema="{attr(row.schema)}" '
        f'revision="{row.revision or 0}">{text(body)}</cbd:document>'
    )


RENDERERS = {"oai_dc": render_oai_dc, "cbd": render_cbd}


# --- Rows -------------------------------------------------------------------------------------


@dataclass
class Row:
    pk: int
    uid: str
    schema: str
    government: str
    updated_at: dt.datetime
    deleted: bool
    published_at: dt.datetime | None = None
    document: Any = None
    revision: int | None = None


HEADER_FIELDS = ("id", "uid", "schema", "government", "updated_at", "deleted_at")
RECORD_FIELDS = (*HEADER_FIELDS, "published_at", "published__document", "published__number")


def _row(values: Sequence[Any]) -> Row:
    row = Row(
        pk=values[0],
        uid=values[1],
        schema=values[2],
        government=values[3],
        updated_at=values[4],
        deleted=values[5] is not None,
    )
    if len(values) > 6:
        row.published_at, row.document, row.revision = values[6], values[7], values[8]
    return row


def render_header(ctx: Context, row: Row, specs: list[str]) -> str:
    status = ' status="deleted"' if row.deleted else ""
    return (
        f"<header{status}><identifier>{text(ctx.oai_id(row.uid))}</identifier>"
        f"<datestamp>{utc_seconds(row.updated_at)}</datestamp>"
        + "".join(f"<setSpec>{text(s)}</setSpec>" for s in specs)
        + "</header>"
    )


def render_record(
    ctx: Context,
    row: Row,
    prefix: str,
    targets: list[str],
    stored: Sequence[StoredSet] = (),
) -> str:
    header = render_header(ctx, row, sets.specs_for(row.schema, row.government, targets, stored))
    if row.deleted:
        return f"<record>{header}</record>"
    return f"<record>{header}<metadata>{RENDERERS[prefix](ctx, row)}</metadata></record>"


# --- Arguments --------------------------------------------------------------------------------


def parse_datestamp(value: str, is_until: bool) -> tuple[dt.datetime, str]:
    """(bound, granularity); an ``until`` bound is returned exclusive."""
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            start = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            return (start + dt.timedelta(days=1) if is_until else start), "day"
        if len(value) == 20 and value[10] == "T" and value.endswith("Z"):
            moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            return (moment + dt.timedelta(seconds=1) if is_until else moment), "seconds"
    except ValueError:
        pass
    raise OAIError("badArgument", f"{value!r} is not a datestamp (YYYY-MM-DD or {GRANULARITY}).")


def parse_arguments(params: Mapping[str, list[str]]) -> tuple[str, dict[str, str]]:
    verbs = params.get("verb") or []
    if len(verbs) != 1 or verbs[0] not in VERBS:
        if len(verbs) > 1:
            raise OAIError("badVerb", "The verb argument is repeated.")
        if not verbs:
            raise OAIError("badVerb", "The verb argument is missing.")
        raise OAIError("badVerb", f"{verbs[0]!r} is not an OAI-PMH verb.")
    verb = verbs[0]
    required, optional = VERBS[verb]
    args: dict[str, str] = {}
    for key, values in params.items():
        if key == "verb":
            continue
        if key not in required and key not in optional:
            raise OAIError("badArgument", f"{key!r} is not an argument of {verb}.")
        if len(values) != 1:
            raise OAIError("badArgument", f"The argument {key!r} is repeated.")
        args[key] = values[0]
    if "resumptionToken" in args:
        if len(args) > 1:
            raise OAIError("badArgument", "resumptionToken is an exclusive argument.")
        return verb, args
    missing = sorted(required - set(args))
    if missing:
        raise OAIError("badArgument", f"Missing required argument(s): {', '.join(missing)}.")
    return verb, args


def list_query(ctx: Context, verb: str, args: dict[str, str]) -> Query:
    if "resumptionToken" in args:
        return decode_token(ctx, verb, args["resumptionToken"])
    query = Query(verb=verb, prefix=args["metadataPrefix"], set_spec=args.get("set", ""))
    granularities = set()
    if "from" in args:
        query.start, g = parse_datestamp(args["from"], is_until=False)
        query.from_arg = args["from"]
        granularities.add(g)
    if "until" in args:
        query.end, g = parse_datestamp(args["until"], is_until=True)
        query.until_arg = args["until"]
        granularities.add(g)
    if len(granularities) > 1:
        raise OAIError("badArgument", "from and until must have the same granularity.")
    if query.start and query.end and query.start >= query.end:
        raise OAIError("badArgument", "from is later than until.")
    if query.prefix not in RENDERERS:
        raise OAIError(
            "cannotDisseminateFormat", f"The metadata format {query.prefix!r} is not supported."
        )
    return query


# --- Resumption tokens ------------------------------------------------------------------------


def encode_token(ctx: Context, query: Query, last: Row, cursor: int) -> str:
    payload = {
        "v": query.verb,
        "p": ctx.portal.pk,
        "m": query.prefix,
        "s": query.set_spec,
        "f": query.from_arg,
        "u": query.until_arg,
        "a": last.updated_at.isoformat(),
        "i": last.pk,
        "c": cursor,
        "n": query.total,
    }
    return signing.dumps(payload, salt=TOKEN_SALT, compress=True)


def decode_token(ctx: Context, verb: str, token: str) -> Query:
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
        if data["v"] != verb or data["p"] != ctx.portal.pk:
            raise ValueError("token of another list")
        query = Query(verb=verb, prefix=str(data["m"]), set_spec=str(data["s"]))
        if data["f"]:
            query.start, _ = parse_datestamp(data["f"], is_until=False)
            query.from_arg = data["f"]
        if data["u"]:
            query.end, _ = parse_datestamp(data["u"], is_until=True)
            query.until_arg = data["u"]
        query.after = (dt.datetime.fromisoformat(data["a"]), int(data["i"]))
        query.cursor = int(data["c"])
        query.total = int(data["n"])
    except (signing.BadSignature, ValueError, KeyError, TypeError, OAIError):
        raise OAIError("badResumptionToken", "The resumption token is invalid.") from None
    if query.prefix not in RENDERERS:
        raise OAIError("badResumptionToken", "The resumption token is invalid.")
    return query


# --- Verbs ------------------------------------------------------------------------------------


ADMIN_EMAIL = re.compile(r"\S+@(\S+\.)+\S+")


def _admin_emails(ctx: Context) -> list[str]:
    """The portal's managers, else DEFAULT_FROM_EMAIL: the schema wants dotted domains."""
    managers = Membership.objects.filter(portal=ctx.portal, role=Role.MANAGER)
    candidates = sorted(set(managers.values_list("user__email", flat=True)))
    emails = [e for e in candidates if ADMIN_EMAIL.fullmatch(e)]
    if not emails and ADMIN_EMAIL.fullmatch(settings.DEFAULT_FROM_EMAIL):
        emails = [settings.DEFAULT_FROM_EMAIL]
    return emails or [
        f"oai@{ctx.repository_id}" if "." in ctx.repository_id else "oai@localhost.invalid"
    ]


def identify(ctx: Context) -> str:
    portal = ctx.portal
    earliest = sets.published_records(portal).aggregate(m=Min("updated_at"))["m"]
    earliest = earliest or portal.created_at
    return (
        "<Identify>"
        + element("repositoryName", portal.display_name(portal.default_language))
        + element("baseURL", ctx.base_url)
        + "<protocolVersion>2.0</protocolVersion>"
        + "".join(element("adminEmail", e) for e in _admin_emails(ctx))
        + f"<earliestDatestamp>{utc_seconds(earliest)}</earliestDatestamp>"
        + "<deletedRecord>persistent</deletedRecord>"
        + f"<granularity>{GRANULARITY}</granularity>"
        + "<compression>gzip</compression>"
        + "</Identify>"
    )


def find_record(ctx: Context, identifier: str, fields: Sequence[str]) -> Row:
    prefix = f"oai:{ctx.repository_id}:"
    uid = identifier[len(prefix) :] if identifier.startswith(prefix) else ""
    values = (
        sets.published_records(ctx.portal).filter(uid=uid).values_list(*fields).first()
        if uid
        else None
    )
    if values is None:
        raise OAIError("idDoesNotExist", f"{identifier!r} is not an identifier of this repository.")
    return _row(values)


def list_metadata_formats(ctx: Context, args: dict[str, str]) -> str:
    if "identifier" in args:
        row = find_record(ctx, args["identifier"], HEADER_FIELDS)
        if row.deleted:
            raise OAIError("noMetadataFormats", "The record is deleted: it has no metadata.")
    return (
        "<ListMetadataFormats>"
        + "".join(
            "<metadataFormat>"
            + element("metadataPrefix", prefix)
            + element("schema", schema)
            + element("metadataNamespace", namespace)
            + "</metadataFormat>"
            for prefix, schema, namespace in formats(ctx)
        )
        + "</ListMetadataFormats>"
    )


def list_sets(ctx: Context, args: dict[str, str]) -> str:
    if "resumptionToken" in args:
        raise OAIError("badResumptionToken", "ListSets is answered in one response.")
    return (
        "<ListSets>"
        + "".join(
            "<set>" + element("setSpec", spec) + element("setName", name) + "</set>"
            for spec, name in sets.all_sets(ctx.portal)
        )
        + "</ListSets>"
    )


def get_record(ctx: Context, args: dict[str, str]) -> str:
    prefix = args["metadataPrefix"]
    row = find_record(ctx, args["identifier"], RECORD_FIELDS)
    if prefix not in RENDERERS:
        raise OAIError(
            "cannotDisseminateFormat", f"The metadata format {prefix!r} is not supported."
        )
    targets = [f"target:{t}" for t in sets.targets_of(row.document)]
    stored = sets.stored_sets(ctx.portal)
    return f"<GetRecord>{render_record(ctx, row, prefix, targets, stored)}</GetRecord>"


def page_size() -> int:
    return int(getattr(settings, "CLEARINGHOUSE_OAI_PAGE_SIZE", PAGE_SIZE))


def list_items(ctx: Context, query: Query) -> Iterator[str]:
    """Fetch one page (one query) and return an iterator over its XML pieces.

    Errors are raised here, before anything is streamed."""
    size = page_size()
    sets.refresh(ctx.portal)
    qs = sets.published_records(ctx.portal)
    stored = sets.stored_sets(ctx.portal)
    if query.set_spec:
        set_q = sets.filter_q(query.set_spec, stored)
        if set_q is None:
            raise OAIError("noRecordsMatch", f"There is no set {query.set_spec!r}.")
        qs = qs.filter(set_q)
    if query.start:
        qs = qs.filter(updated_at__gte=query.start)
    if query.end:
        qs = qs.filter(updated_at__lt=query.end)
    if query.total is None:
        query.total = qs.count()
    if query.after:
        stamp, pk = query.after
        # The redundant lower bound lets the database seek the (portal, updated_at) index to
        # the page; with the OR alone it scans from the portal's first record (SQLite), and a
        # long harvest becomes quadratic.
        qs = qs.filter(updated_at__gte=stamp).filter(
            Q(updated_at__gt=stamp) | Q(updated_at=stamp, id__gt=pk)
        )
    fields = RECORD_FIELDS if query.verb == "ListRecords" else HEADER_FIELDS
    rows = [_row(v) for v in qs.order_by("updated_at", "id").values_list(*fields)[: size + 1]]
    if not rows:
        raise OAIError("noRecordsMatch", "No records match the request.")
    more = len(rows) > size
    rows = rows[:size]
    targets = sets.targets_by_record(r.pk for r in rows)
    return _render_list(ctx, query, rows, targets, more, stored)


def _render_list(
    ctx: Context,
    query: Query,
    rows: list[Row],
    targets: dict[int, list[str]],
    more: bool,
    stored: Sequence[StoredSet] = (),
) -> Iterator[str]:
    verb = query.verb
    yield f"<{verb}>"
    chunk: list[str] = []
    for row in rows:
        if verb == "ListRecords":
            chunk.append(render_record(ctx, row, query.prefix, targets.get(row.pk, []), stored))
        else:
            specs = sets.specs_for(row.schema, row.government, targets.get(row.pk, []), stored)
            chunk.append(render_header(ctx, row, specs))
        if len(chunk) >= 50:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)
    cursor = query.cursor + len(rows)
    if more or query.after is not None:
        token = encode_token(ctx, query, rows[-1], cursor) if more else ""
        yield (
            f'<resumptionToken completeListSize="{query.total}" cursor="{query.cursor}">'
            f"{text(token)}</resumptionToken>"
        )
    yield f"</{verb}>"


# --- Envelope ---------------------------------------------------------------------------------


def envelope_start(ctx: Context, verb: str | None, args: dict[str, str]) -> str:
    now = utc_seconds(dt.datetime.now(dt.UTC))
    attrs = ""
    if verb is not None:
        attrs = f' verb="{attr(verb)}"' + "".join(
            f' {k}="{attr(v)}"' for k, v in sorted(args.items())
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<OAI-PMH xmlns="{OAI_NS}" xmlns:xsi="{XSI_NS}" '
        f'xsi:schemaLocation="{OAI_NS} {OAI_SCHEMA}">'
        f"<responseDate>{now}</responseDate>"
        f"<request{attrs}>{text(ctx.base_url)}</request>"
    )


ENVELOPE_END = "</OAI-PMH>\n"


def error_body(error: OAIError) -> str:
    return f'<error code="{error.code}">{text(error.message)}</error>'


def respond(ctx: Context, params: Mapping[str, list[str]]) -> Iterator[str]:
    """The whole response, as pieces of text; the first piece is produced eagerly so that
    errors are answered as OAI errors rather than broken streams."""
    try:
        verb, args = parse_arguments(params)
    except OAIError as error:
        return iter([envelope_start(ctx, None, {}), error_body(error), ENVELOPE_END])
    try:
        if verb == "Identify":
            body: Iterator[str] = iter([identify(ctx)])
        elif verb == "ListMetadataFormats":
            body = iter([list_metadata_formats(ctx, args)])
        elif verb == "ListSets":
            body = iter([list_sets(ctx, args)])
        elif verb == "GetRecord":
            body = iter([get_record(ctx, args)])
        else:
            body = list_items(ctx, list_query(ctx, verb, args))
    except OAIError as error:
        request_args = {} if error.code in {"badArgument", "badVerb"} else args
        request_verb = None if error.code in {"badArgument", "badVerb"} else verb
        return iter(
            [envelope_start(ctx, request_verb, request_args), error_body(error), ENVELOPE_END]
        )
    return _chain(envelope_start(ctx, verb, args), body, ENVELOPE_END)


def _chain(first: str, body: Iterator[str], last: str) -> Iterator[str]:
    yield first
    yield from body
    yield last
