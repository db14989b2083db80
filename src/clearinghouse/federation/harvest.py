"""Harvest a remote portal's ``/oai`` (native ``cbd`` format) into a local portal.

- Idempotent: each remote record is keyed by (source, remote OAI identifier) in
  ``HarvestedRecord``; a record whose document did not change is left alone, a changed one gets
  a new local revision, a remote tombstone withdraws the local copy (which then shows as deleted
  in the local ``/oai`` in turn).
- Resumable: every page's resumption token is saved on the job; when the connection drops (after
  retries) the job is left "interrupted" and the next run continues from that token.
- Incremental: a complete harvest remembers the remote responseDate of its first request; the next
  harvest asks only for records changed since (``from``), at the remote granularity.
- Defensive: a response that is not OAI-PMH XML fails the job with a clear message (and keeps the
  last good token); a record that cannot be used (no identifier or datestamp, no ``cbd`` metadata,
  broken JSON, unknown record type) is quarantined with the reason, and the harvest goes on.
"""

from __future__ import annotations

import datetime as dt
import gzip
import http.client
import json
import logging
import os
import socket
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.db import connection, models, transaction
from django.db.models import Max, Q
from django.utils import timezone
from lxml import etree

from clearinghouse.federation.models import (
    HarvestedRecord,
    HarvestJob,
    HarvestSource,
    JobStatus,
)
from clearinghouse.federation.provider import CBD_NS, OAI_NS
from clearinghouse.portals.models import AuditEntry, Portal
from clearinghouse.records.models import Record, Revision
from clearinghouse.records.types import RECORD_TYPES

logger = logging.getLogger(__name__)
OAI = f"{{{OAI_NS}}}"
CBD_DOCUMENT = f"{{{CBD_NS}}}document"
REPORT_LIMIT = 1000
RAW_LIMIT = 20_000
USER_AGENT = "Clearinghouse-harvester/0.1 (OAI-PMH)"
DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"
OVERLAP = dt.timedelta(minutes=10)
RESUMABLE = (JobStatus.INTERRUPTED, JobStatus.TIMED_OUT)


class FetchError(Exception):
    """The request did not get a complete answer (network, timeout, HTTP 5xx): worth retrying."""


class BadResponse(Exception):
    """An answer that is not an OAI-PMH response."""


class TimedOut(Exception):
    """The job ran past its time limit (checked after each committed page)."""


class RemoteError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


Fetch = Callable[[str, Mapping[str, str]], bytes]


def http_get(url: str, params: Mapping[str, str], timeout: float = 60) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise FetchError(f"not an http(s) URL: {url}")
    full = url + ("&" if "?" in url else "?") + urlencode(params)
    request = Request(full, headers={"Accept-Encoding": "gzip", "User-Agent": USER_AGENT})
    try:
        with urlopen(request, timeout=timeout) as response:
            body = response.read()
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            return bytes(body)
    except HTTPError as error:
        if error.code >= 500 or error.code == 429:
            raise FetchError(f"HTTP {error.code} from {url}") from None
        return bytes(error.read())  # some providers send OAI errors with 4xx statuses
    except (URLError, OSError, http.client.HTTPException, EOFError, zlib.error) as error:
        raise FetchError(f"{type(error).__name__}: {error} ({url})") from None


_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse(body: bytes) -> Any:
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        raise BadResponse(f"not well-formed XML: {error}") from None
    if root.tag != f"{OAI}OAI-PMH":
        raise BadResponse(f"not an OAI-PMH response (root element {root.tag!r})")
    error_el = root.find(f"{OAI}error")
    if error_el is not None:
        raise RemoteError(error_el.get("code") or "undefinedError", (error_el.text or "").strip())
    return root


class _Prefetch:
    """One request running in a daemon thread (network, gunzip and XML parsing release the
    GIL): the next page is fetched while the current one is written to the database."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self._result: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self._result = call()
        except BaseException as error:  # re-raised in the harvesting thread
            self._error = error

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


@dataclass
class Harvester:
    fetch: Fetch = http_get
    retries: int = 3
    backoff_s: float = 2.0
    # Stop cleanly (status "timed_out", token kept) once a page is committed past this time;
    # None: no limit.
    timeout_s: float | None = None
    # Called after each committed page with the job (counts saved): progress bars, leases.
    on_page: Callable[[HarvestJob], None] | None = None
    # Fetch the next page while the current one is imported.
    pipeline: bool = True
    # A job left "running" is one whose process died: resume it (only under the source's
    # lease, which ``run_source`` holds).
    stale_running: bool = False

    def get(self, url: str, params: Mapping[str, str]) -> Any:
        """One OAI request, retried on network failures; returns the parsed root element."""
        for attempt in range(self.retries + 1):
            try:
                body = self.fetch(url, params)
                break
            except FetchError:
                if attempt == self.retries:
                    raise
                time.sleep(self.backoff_s * 2**attempt)
        return parse(body)

    # --- the harvest loop ----------------------------------------------------------------------

    def harvest(self, source: HarvestSource, full: bool = False) -> HarvestJob:
        self._deadline = (
            time.monotonic() + self.timeout_s if self.timeout_s and self.timeout_s > 0 else None
        )
        last = source.jobs.first()
        if self.stale_running and last is not None and last.status == JobStatus.RUNNING:
            # Its process died (the caller holds the source's lease, so none runs it now).
            if not last.resumption_token or full:
                _finish(last, JobStatus.INTERRUPTED, "The harvesting process stopped.")
            else:
                last.status = JobStatus.INTERRUPTED
        if not full and last is not None and last.status in RESUMABLE and last.resumption_token:
            job = last
            job.status = JobStatus.RUNNING
            job.error = ""
            job.finished_at = None
            job.save(update_fields=["status", "error", "finished_at"])
        else:
            job = HarvestJob.objects.create(
                source=source, from_arg="" if full else source.next_from
            )
        try:
            if not job.pages and not job.resumption_token:
                granularity = self.identify(source).get("granularity", SECONDS)
                if granularity != source.granularity:
                    source.granularity = granularity
                    source.save(update_fields=["granularity"])
                if job.from_arg and source.granularity == DAY:
                    job.from_arg = job.from_arg[:10]
            self._run(source, job)
        except LeaseLost:
            return _finish(
                job,
                JobStatus.INTERRUPTED,
                "Stopped: another process took this source over (the lease had run out).",
            )
        except TimedOut:
            minutes = (self.timeout_s or 0) / 60
            return _finish(
                job,
                JobStatus.TIMED_OUT,
                f"Stopped after the time limit of {minutes:g} minutes. The next run resumes "
                "from the last resumption token.",
            )
        except FetchError as error:
            return _finish(
                job,
                JobStatus.INTERRUPTED,
                f"Connection lost: {error}. Run the harvest again to resume"
                + (" from the last resumption token." if job.resumption_token else "."),
            )
        except BadResponse as error:
            return _finish(job, JobStatus.FAILED, f"Malformed response: {error}.")
        except Exception as error:  # a bug or a database failure: never leave a job "running"
            if not isinstance(error, RemoteError):
                logger.exception("harvest of %s failed", source.base_url)
                job.refresh_from_db()  # the failed page was rolled back, its counts with it
                return _finish(job, JobStatus.FAILED, f"Internal error: {error!r}.")
            if error.code == "noRecordsMatch":
                return _complete(source, job)
            if error.code == "badResumptionToken":
                job.resumption_token = ""  # the next run starts the list again
            return _finish(job, JobStatus.FAILED, f"The source answered with an error: {error}.")
        return _complete(source, job)

    def _params(self, source: HarvestSource, job: HarvestJob, token: str) -> dict[str, str]:
        if token:
            return {"verb": "ListRecords", "resumptionToken": token}
        params = {"verb": "ListRecords", "metadataPrefix": source.metadata_prefix}
        if job.from_arg:
            params["from"] = job.from_arg
        if source.set_spec:
            params["set"] = source.set_spec
        return params

    def _run(self, source: HarvestSource, job: HarvestJob) -> None:
        url = source.base_url
        root = self.get(url, self._params(source, job, job.resumption_token))
        while True:
            self._note_response_date(job, root)
            listing = root.find(f"{OAI}ListRecords")
            if listing is None:
                raise BadResponse("the response has neither ListRecords nor an error")
            token_el = listing.find(f"{OAI}resumptionToken")
            token = (token_el.text or "").strip() if token_el is not None else ""
            if token_el is not None and (token_el.get("completeListSize") or "").isdigit():
                job.expected = int(token_el.get("completeListSize") or 0)
            # The next page is on its way while this one is written (its token is known).
            ahead = None
            if token and self.pipeline:
                params = self._params(source, job, token)
                ahead = _Prefetch(lambda params=params: self.get(url, params))  # type: ignore[misc]
            # A page and the token after it are committed together: a harvest resumed after
            # any failure neither skips nor half-applies a page.
            with transaction.atomic():
                # One harvest of a source at a time.
                HarvestSource.objects.select_for_update().filter(pk=source.pk).first()
                process_page(source, job, listing.iterfind(f"{OAI}record"))
                job.pages += 1
                job.resumption_token = token
                job.save()
            del root, listing
            if self.on_page is not None:
                self.on_page(job)
            if not token:
                return
            if self._deadline is not None and time.monotonic() > self._deadline:
                raise TimedOut()
            root = (
                ahead.result()
                if ahead is not None
                else self.get(url, self._params(source, job, token))
            )

    def _note_response_date(self, job: HarvestJob, root: Any) -> None:
        if not job.first_response_date and root is not None:
            job.first_response_date = (root.findtext(f"{OAI}responseDate") or "").strip()[:20]

    def identify(self, source: HarvestSource) -> dict[str, str]:
        root = self.get(source.base_url, {"verb": "Identify"})
        ident = root.find(f"{OAI}Identify")
        if ident is None:
            raise BadResponse("Identify answered without an Identify element")
        return {
            child.tag.replace(OAI, ""): (child.text or "").strip()
            for child in ident
            if isinstance(child.tag, str) and child.tag != f"{OAI}description"
        }


def _finish(job: HarvestJob, status: str, error: str = "") -> HarvestJob:
    job.status = status
    job.error = error
    job.finished_at = timezone.now()
    job.save()
    return job


def next_from(response_date: str, granularity: str) -> str:
    """``from`` for the next incremental harvest: the remote clock at the start of the last
    complete one, less ``OVERLAP``. A record whose publication was still being committed when
    that harvest began carries an earlier datestamp than the harvest's start; the overlap (cheap:
    unchanged records write nothing) keeps it from being missed."""
    try:
        moment = dt.datetime.strptime(response_date, "%Y-%m-%dT%H:%M:%SZ") - OVERLAP
    except ValueError:
        return ""  # no usable date: the next harvest is a full one
    return moment.strftime("%Y-%m-%d" if granularity == DAY else "%Y-%m-%dT%H:%M:%SZ")


def _complete(source: HarvestSource, job: HarvestJob) -> HarvestJob:
    job.resumption_token = ""
    if job.first_response_date:
        source.next_from = next_from(job.first_response_date, source.granularity)
        source.save(update_fields=["next_from"])
    return _finish(job, JobStatus.DONE)


# --- one page, one record ----------------------------------------------------------------------


@dataclass
class Item:
    element: Any
    identifier: str
    datestamp: str
    problem: str = ""
    deleted: bool = False
    schema: str = ""
    document: dict[str, Any] | None = None


def read_record(element: Any) -> Item:
    """What a harvested ``<record>`` says, or why it cannot be used."""
    header = element.find(f"{OAI}header")
    identifier = (header.findtext(f"{OAI}identifier") or "").strip() if header is not None else ""
    datestamp = (header.findtext(f"{OAI}datestamp") or "").strip() if header is not None else ""
    item = Item(element, identifier, datestamp)
    if not identifier or not datestamp:
        missing = [n for n, v in (("identifier", identifier), ("datestamp", datestamp)) if not v]
        item.problem = f"header without {' and '.join(missing)}"
        return item
    if header.get("status") == "deleted":
        item.deleted = True
        return item
    metadata = element.find(f"{OAI}metadata")
    document_el = metadata.find(CBD_DOCUMENT) if metadata is not None else None
    if metadata is None:
        item.problem = "no metadata"
        return item
    if document_el is None:
        found = ", ".join(c.tag for c in metadata if isinstance(c.tag, str)) or "empty"
        item.problem = f"metadata is not in the cbd format ({found})"
        return item
    try:
        document = json.loads(document_el.text or "")
    except ValueError as error:
        item.problem = f"the CBD document is not JSON: {error}"
        return item
    if not isinstance(document, dict):
        item.problem = "the CBD document is not a JSON object"
        return item
    header_doc = document.get("header")
    schema = header_doc.get("schema") if isinstance(header_doc, dict) else None
    schema = schema or document_el.get("schema")
    if schema not in RECORD_TYPES:
        item.problem = f"unknown record type {schema!r}"
        return item
    item.schema, item.document = str(schema), document
    return item


def process_page(source: HarvestSource, job: HarvestJob, elements: Iterable[Any]) -> None:
    """Apply one page of records (inside the caller's transaction), with bulk writes: about ten
    queries per page whatever its size."""
    items: dict[str, Item] = {}
    for element in elements:
        item = read_record(element)
        if not item.identifier:
            quarantine(job, None, item)
            continue
        # The same identifier twice in a page: the later entry is the newer state.
        items.pop(item.identifier[:400], None)
        items[item.identifier[:400]] = item
    if not items:
        return
    known = {prov.remote_identifier: prov for prov in _Prov.load(source, list(items))}
    now = timezone.now()
    page = _Page(source, job, now)
    for key, item in items.items():
        hr = known.get(key) or _Prov(source_id=source.pk, remote_identifier=key)
        clean = hr.pk is not None and not hr.quarantined and not hr.deleted
        same_stamp = hr.remote_datestamp == item.datestamp[:20]
        if item.problem:
            quarantine(job, hr, item)
        elif item.deleted:
            page.withdraw(hr, item)
        elif not page.upsert(hr, item) and clean and same_stamp:
            continue  # unchanged, nothing to write
        hr.remote_datestamp = item.datestamp[:20]
        hr.job_id = job.pk
        hr.harvested_at = now
        page.provenance.append(hr)
    page.flush()


_PROV_FIELDS = (
    "pk",
    "source_id",
    "remote_identifier",
    "remote_datestamp",
    "record_id",
    "deleted",
    "quarantined",
    "problem",
    "raw",
    "job_id",
    "harvested_at",
)
_LOCAL_FIELDS = ("uid", "schema", "deleted_at", "published_id", "document")
_LOCAL_COLUMNS = (
    "record__uid",
    "record__schema",
    "record__deleted_at",
    "record__published_id",
    "record__published__document",
)


class _Prov:
    """A ``HarvestedRecord`` row and what the harvester needs of its local record (uid, type,
    deletion, published document), read with one query a page: plain attributes, no model
    instances (their construction was a fifth of a first harvest)."""

    __slots__ = _PROV_FIELDS + _LOCAL_FIELDS
    pk: int | None
    source_id: int
    remote_identifier: str
    remote_datestamp: str
    record_id: int | None
    deleted: bool
    quarantined: bool
    problem: str
    raw: str
    job_id: int | None
    harvested_at: dt.datetime | None
    uid: str
    schema: str
    deleted_at: dt.datetime | None
    published_id: int | None
    document: Any

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, values.get(name))
        self.deleted = bool(self.deleted)
        self.quarantined = bool(self.quarantined)
        self.remote_datestamp = self.remote_datestamp or ""
        self.problem = self.problem or ""
        self.raw = self.raw or ""

    @classmethod
    def load(cls, source: HarvestSource, identifiers: list[str]) -> list[_Prov]:
        # The local record's columns, through the relation (the document is the published one).
        columns = [*_PROV_FIELDS, *_LOCAL_COLUMNS]
        names = _PROV_FIELDS + _LOCAL_FIELDS
        return [
            cls(**dict(zip(names, row, strict=True)))
            for row in HarvestedRecord.objects.filter(
                source=source, remote_identifier__in=identifiers
            ).values_list(*columns)
        ]


class _Page:
    """The writes of one page, collected and then done in bulk."""

    def __init__(self, source: HarvestSource, job: HarvestJob, now: dt.datetime) -> None:
        self.source, self.job, self.now = source, job, now
        self.provenance: list[_Prov] = []
        self.withdrawn: list[tuple[_Prov, str]] = []
        self.new: list[tuple[_Prov, Item, dict[str, Any]]] = []
        self.changed: list[tuple[_Prov, Item, dict[str, Any]]] = []

    def withdraw(self, hr: _Prov, item: Item) -> None:
        if hr.record_id and not hr.deleted:
            self.withdrawn.append((hr, item.identifier))
        if not hr.deleted:
            self.job.deleted += 1
        hr.deleted, hr.quarantined = True, False
        hr.problem = hr.raw = ""

    def upsert(self, hr: _Prov, item: Item) -> bool:
        """Queue the document as the local copy's next revision; False if it is unchanged."""
        assert item.document is not None
        doc = dict(item.document)  # freshly parsed: only the header is replaced, not mutated
        raw_header = doc.get("header")
        doc["header"] = {
            **(raw_header if isinstance(raw_header, dict) else {}),
            "schema": item.schema,
        }
        if hr.record_id:
            doc["header"]["identifier"] = hr.uid
        was_deleted = hr.deleted
        hr.deleted = hr.quarantined = False
        hr.problem = hr.raw = ""
        if not hr.record_id:
            self.new.append((hr, item, doc))
            return True
        if (
            hr.published_id is not None
            and hr.deleted_at is None
            and not was_deleted
            and hr.schema == item.schema
            and hr.document == doc
        ):
            self.job.unchanged += 1
            return False
        self.changed.append((hr, item, doc))
        return True

    def flush(self) -> None:
        source, now = self.source, self.now
        audit: list[dict[str, Any]] = []
        if self.withdrawn:
            ids = [hr.record_id for hr, _ in self.withdrawn if hr.record_id]
            Record.objects.filter(pk__in=ids).update(deleted_at=now, updated_at=now)
            uid_by_pk = dict(Record.objects.filter(pk__in=ids).values_list("pk", "uid"))
            audit += [
                self._audit(
                    "record.harvest.delete", uid_by_pk.get(hr.record_id or 0, ""), identifier
                )
                for hr, identifier in self.withdrawn
            ]
        uid_of: dict[int, str] = {}
        if self.new:
            # The new records are written complete but for ``published`` (set below, once the
            # revisions exist): no second full UPDATE of each row.
            uids = self._new_uids()
            ids = _insert_rows(
                Record,
                [
                    {
                        "uid": uid,
                        "portal_id": source.portal_id,
                        "schema": item.schema,
                        "government": _government(doc),
                        "created_at": now,
                        "published_at": now,
                        "updated_at": now,
                        "deleted_at": None,
                        "title": _title(doc, item.schema),
                    }
                    for uid, (_, item, doc) in zip(uids, self.new, strict=True)
                ],
                returning=True,
            )
            for pk, uid, (hr, _, doc) in zip(ids, uids, self.new, strict=True):
                doc["header"]["identifier"] = uid
                hr.record_id = pk
                uid_of[pk] = uid
            self.job.created += len(self.new)
        self.job.updated += len(self.changed)
        for hr, _, _ in self.changed:
            uid_of[hr.record_id or 0] = hr.uid
        pending = self.new + self.changed
        if pending:
            numbers = dict(
                Revision.objects.filter(record_id__in=[hr.record_id for hr, _, _ in self.changed])
                .values("record_id")
                .annotate(n=Max("number"))
                .values_list("record_id", "n")
            )
            revision_ids = _insert_rows(
                Revision,
                [
                    {
                        "record_id": hr.record_id,
                        "number": numbers.get(hr.record_id or 0, 0) + 1,
                        "document": doc,
                        "published_at": now,
                        "published_by_id": None,
                    }
                    for hr, _, doc in pending
                ],
                returning=True,
            )
            for hr, item, _ in pending:
                record_id = hr.record_id or 0
                audit.append(
                    self._audit(
                        "record.harvest",
                        uid_of[record_id],
                        item.identifier,
                        revision=numbers.get(record_id, 0) + 1,
                    )
                )
            new_count = len(self.new)
            _execute_many(
                Record,
                ["published"],
                [[revision_ids[i], hr.record_id] for i, (hr, _, _) in enumerate(self.new)],
            )
            _execute_many(
                Record,
                [
                    "schema",
                    "government",
                    "published",
                    "published_at",
                    "updated_at",
                    "deleted_at",
                    "title",
                ],
                [
                    [
                        item.schema,
                        _government(doc),
                        revision_ids[new_count + i],
                        now,
                        now,
                        None,
                        _title(doc, item.schema),
                        hr.record_id,
                    ]
                    for i, (hr, item, doc) in enumerate(self.changed)
                ],
            )
            Portal.objects.filter(pk=source.portal_id).update(last_published_at=now)
        self._save_provenance()
        _insert_rows(AuditEntry, audit)

    def _new_uids(self) -> list[str]:
        """Local uids: the remote uid when it is free here, else ``h<source>-<remote uid>``."""
        wanted = []
        for hr, item, _doc in self.new:
            remote = (item.document or {}).get("header")
            uid = remote.get("identifier") if isinstance(remote, dict) else None
            if not isinstance(uid, str) or not uid.strip():
                uid = hr.remote_identifier.rsplit(":", 1)[-1]
            wanted.append(uid.strip()[:60])
        taken = set(Record.objects.filter(uid__in=wanted).values_list("uid", flat=True))
        uids = []
        for uid in wanted:
            if uid in taken:
                # Already used here (e.g. a portal of this deployment harvested by another).
                uid = f"h{self.source.pk}-{uid}"[:80]
            taken.add(uid)
            uids.append(uid)
        return uids

    def _save_provenance(self) -> None:
        fields = [
            "record",
            "remote_datestamp",
            "deleted",
            "quarantined",
            "problem",
            "raw",
            "job",
            "harvested_at",
        ]
        attnames = [_field(HarvestedRecord, name).attname for name in fields]
        _execute_many(
            HarvestedRecord,
            fields,
            [[getattr(hr, name) for name in attnames] + [hr.pk] for hr in self.provenance if hr.pk],
        )
        _insert_rows(
            HarvestedRecord,
            [
                {name: getattr(hr, name) for name in _PROV_FIELDS if name != "pk"}
                for hr in self.provenance
                if not hr.pk
            ],
        )

    def _audit(self, action: str, uid: str, identifier: str, **extra: Any) -> dict[str, Any]:
        return {
            "portal_id": self.source.portal_id,
            "user_id": None,
            "action": action,
            "target": uid,
            "at": self.now,
            "details": {"source": self.source.base_url, "remote_identifier": identifier, **extra},
        }


def _government(doc: dict[str, Any]) -> str:
    government = doc.get("government")
    country = government.get("identifier") if isinstance(government, dict) else ""
    return country.lower() if isinstance(country, str) and len(country) == 2 else ""


def _title(doc: dict[str, Any], schema: str) -> dict[str, Any]:
    title = doc.get(RECORD_TYPES[schema].title_field)
    return title if isinstance(title, dict) else {"": str(title or "")}


# --- bulk writes without the ORM's per-value machinery -----------------------------------------
#
# ``bulk_create`` and ``bulk_update`` spend most of a harvest in the SQL compiler (a few calls
# per field and row). These write the same rows with one prepared statement per page: values of
# plain columns go to the driver as they are, JSON goes through the field's own adaptation,
# date-times are adapted once per distinct value (a page shares one "now").


def _converters(fields: list[Any]) -> list[Callable[[Any], Any]]:
    plain = (
        models.CharField,
        models.TextField,
        models.IntegerField,
        models.BooleanField,
        models.ForeignKey,
        models.AutoField,
        models.BigAutoField,
    )
    result: list[Callable[[Any], Any]] = []
    for field in fields:
        if isinstance(field, plain) and not isinstance(field, models.JSONField):
            result.append(lambda value: value)
        elif isinstance(field, models.DateTimeField):
            cache: dict[Any, Any] = {}

            def adapt(value: Any, field: Any = field, cache: dict[Any, Any] = cache) -> Any:
                if value is None:
                    return None
                if value not in cache:
                    cache[value] = field.get_db_prep_save(value, connection)
                return cache[value]

            result.append(adapt)
        elif isinstance(field, models.JSONField):
            result.append(partial(_adapt_json, encoder=field.encoder))
        else:
            result.append(partial(_prep_save, field))
    return result


def _adapt_json(value: Any, encoder: Any) -> Any:
    return None if value is None else connection.ops.adapt_json_value(value, encoder)


def _prep_save(field: Any, value: Any) -> Any:
    return field.get_db_prep_save(value, connection)


def _field(model: type[models.Model], name: str) -> Any:
    return model._meta.get_field(name)


def _insert_rows(
    model: type[models.Model], rows: list[dict[str, Any]], returning: bool = False
) -> list[int]:
    """INSERT ``rows`` (attribute name → value; missing columns take the field's default,
    computed once). With ``returning``, the new primary keys in the order of ``rows``."""
    if not rows:
        return []
    meta: Any = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in rows[0]}
    converters = _converters(fields)
    values = [
        [
            convert(row[f.attname] if f.attname in row else defaults[f.attname])
            for f, convert in zip(fields, converters, strict=True)
        ]
        for row in rows
    ]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    table = qn(meta.db_table)
    with connection.cursor() as cursor:
        if not returning:
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES {one}", values)
            return []
        if not connection.features.can_return_rows_from_bulk_insert:  # pragma: no cover
            objects = model._default_manager.bulk_create([model(**row) for row in rows])
            return [obj.pk for obj in objects]
        limit = connection.features.max_query_params
        size = max(1, limit // len(fields)) if limit else 1000
        ids: list[int] = []
        for start in range(0, len(values), size):
            batch = values[start : start + size]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(batch))} "
                f"RETURNING {qn(meta.pk.column)}",
                [value for row in batch for value in row],
            )
            ids += [row[0] for row in cursor.fetchall()]
        return ids


def _execute_many(model: type[models.Model], fields: list[str], rows: list[list[Any]]) -> None:
    """One prepared ``UPDATE … WHERE pk = %s`` run for every row (``executemany``); each row is
    the values of ``fields`` followed by the primary key."""
    if not rows:
        return
    meta: Any = model._meta
    columns = [_field(model, name) for name in fields]
    converters = _converters(columns)
    qn = connection.ops.quote_name
    sql = (
        f"UPDATE {qn(meta.db_table)} SET "
        + ", ".join(f"{qn(column.column)} = %s" for column in columns)
        + f" WHERE {qn(meta.pk.column)} = %s"
    )
    prepared = [
        [convert(value) for convert, value in zip(converters, row[:-1], strict=True)] + [row[-1]]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)


def quarantine(job: HarvestJob, hr: _Prov | None, item: Item) -> None:
    job.quarantined += 1
    if len(job.report) < REPORT_LIMIT:
        job.report.append(
            {"identifier": item.identifier, "datestamp": item.datestamp, "problem": item.problem}
        )
    if hr is not None:
        # The last good copy (if any) stays published; the provenance row notes the problem.
        hr.quarantined = True
        hr.problem = item.problem
        hr.raw = etree.tostring(item.element, encoding="unicode")[:RAW_LIMIT]


def harvest(source: HarvestSource, full: bool = False, **options: Any) -> HarvestJob:
    """Run (or resume) one harvest of ``source``; see ``Harvester`` for the options."""
    return Harvester(**options).harvest(source, full=full)


# --- schedules and leases ----------------------------------------------------------------------
#
# ``clearinghouse harvest --due`` is meant to be called from cron every minute. A source runs
# under a lease (``HarvestSource.lease_owner``/``lease_until``), taken with one conditional
# UPDATE (atomic on SQLite and PostgreSQL) and renewed after every page: a source already being
# harvested is never started twice, and the lease of a process that died runs out by itself.

LEASE = dt.timedelta(minutes=15)  # covers one page (fetch with its retries, then import)
RETRY_INTERRUPTED = dt.timedelta(minutes=15)


class LeaseLost(Exception):
    """Another process took the source over (our lease had run out)."""


def lease_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]


def acquire_lease(source: HarvestSource, owner: str) -> bool:
    now = timezone.now()
    taken = (
        HarvestSource.objects.filter(pk=source.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner))
        .update(lease_owner=owner, lease_until=now + LEASE)
    )
    if taken:
        source.lease_owner, source.lease_until = owner, now + LEASE
    return bool(taken)


def renew_lease(source: HarvestSource, owner: str) -> None:
    until = timezone.now() + LEASE
    if not HarvestSource.objects.filter(pk=source.pk, lease_owner=owner).update(lease_until=until):
        raise LeaseLost()
    source.lease_until = until


def due_sources(now: dt.datetime | None = None) -> Any:
    """Enabled sources whose scheduled run has come, or whose run was asked for, and that no
    live process is harvesting."""
    now = now or timezone.now()
    return (
        HarvestSource.objects.filter(enabled=True)
        .filter(
            Q(scheduled=True, next_run_at__isnull=True)
            | Q(scheduled=True, next_run_at__lte=now)
            | Q(run_requested_at__isnull=False)
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("next_run_at", "pk")
    )


def next_run(source: HarvestSource, job: HarvestJob, now: dt.datetime) -> dt.datetime:
    """When the scheduler runs the source again after ``job``: a timed-out job continues at the
    next check, an interrupted one (the source was unreachable) after a quarter of an hour at
    most, anything else after the source's interval."""
    if job.status == JobStatus.TIMED_OUT:
        return now
    if job.status == JobStatus.INTERRUPTED:
        return now + min(source.interval, RETRY_INTERRUPTED)
    return now + source.interval


def run_source(
    source: HarvestSource,
    full: bool = False,
    on_page: Callable[[HarvestJob], None] | None = None,
    **options: Any,
) -> HarvestJob | None:
    """Harvest ``source`` under its lease, with its time limit, and schedule its next run.
    None when another process holds the lease (the source is being harvested)."""
    owner = lease_owner()
    if not acquire_lease(source, owner):
        return None

    def page_done(job: HarvestJob) -> None:
        renew_lease(source, owner)
        if on_page is not None:
            on_page(job)

    try:
        HarvestSource.objects.filter(pk=source.pk).update(
            run_requested_at=None, run_requested_full=False
        )
        limit = source.timeout_minutes * 60 if source.timeout_minutes else None
        options.setdefault("timeout_s", limit)
        harvester = Harvester(on_page=page_done, stale_running=True, **options)
        job = harvester.harvest(source, full=full)
    finally:
        now = timezone.now()
        released = {"lease_owner": "", "lease_until": None}
        HarvestSource.objects.filter(pk=source.pk, lease_owner=owner).update(**released)
        source.lease_owner, source.lease_until = "", None
    source.next_run_at = next_run(source, job, now)
    HarvestSource.objects.filter(pk=source.pk).update(next_run_at=source.next_run_at)
    return job
