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

import copy
import datetime as dt
import gzip
import http.client
import json
import logging
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.db import connection, transaction
from django.db.models import Max
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


class FetchError(Exception):
    """The request did not get a complete answer (network, timeout, HTTP 5xx): worth retrying."""


class BadResponse(Exception):
    """An answer that is not an OAI-PMH response."""


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


@dataclass
class Harvester:
    fetch: Fetch = http_get
    retries: int = 3
    backoff_s: float = 2.0

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
        last = source.jobs.first()
        if (
            not full
            and last is not None
            and last.status == JobStatus.INTERRUPTED
            and last.resumption_token
        ):
            job = last
            job.status = JobStatus.RUNNING
            job.error = ""
            job.save(update_fields=["status", "error"])
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

    def _run(self, source: HarvestSource, job: HarvestJob) -> None:
        token = job.resumption_token
        while True:
            if token:
                params = {"verb": "ListRecords", "resumptionToken": token}
            else:
                params = {"verb": "ListRecords", "metadataPrefix": source.metadata_prefix}
                if job.from_arg:
                    params["from"] = job.from_arg
                if source.set_spec:
                    params["set"] = source.set_spec
            root = self.get(source.base_url, params)
            self._note_response_date(job, root)
            listing = root.find(f"{OAI}ListRecords")
            if listing is None:
                raise BadResponse("the response has neither ListRecords nor an error")
            token_el = listing.find(f"{OAI}resumptionToken")
            token = (token_el.text or "").strip() if token_el is not None else ""
            # A page and the token after it are committed together: a harvest resumed after
            # any failure neither skips nor half-applies a page.
            with transaction.atomic():
                # One harvest of a source at a time.
                HarvestSource.objects.select_for_update().filter(pk=source.pk).first()
                process_page(source, job, listing.iterfind(f"{OAI}record"))
                job.pages += 1
                job.resumption_token = token
                job.save()
            if not token:
                return

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
    known = {
        hr.remote_identifier: hr
        for hr in HarvestedRecord.objects.filter(
            source=source, remote_identifier__in=list(items)
        ).select_related("record__published")
    }
    now = timezone.now()
    page = _Page(source, job, now)
    for key, item in items.items():
        hr = known.get(key) or HarvestedRecord(source=source, remote_identifier=key)
        clean = hr.pk is not None and not hr.quarantined and not hr.deleted
        same_stamp = hr.remote_datestamp == item.datestamp[:20]
        if item.problem:
            quarantine(job, hr, item)
        elif item.deleted:
            page.withdraw(hr, item)
        elif not page.upsert(hr, item) and clean and same_stamp:
            continue  # unchanged, nothing to write
        hr.remote_datestamp = item.datestamp[:20]
        hr.job = job
        hr.harvested_at = now
        page.provenance.append(hr)
    page.flush()


class _Page:
    """The writes of one page, collected and then done in bulk."""

    def __init__(self, source: HarvestSource, job: HarvestJob, now: dt.datetime) -> None:
        self.source, self.job, self.now = source, job, now
        self.provenance: list[HarvestedRecord] = []
        self.withdrawn: list[tuple[HarvestedRecord, str]] = []
        self.new: list[tuple[HarvestedRecord, Item, dict[str, Any]]] = []
        self.changed: list[tuple[HarvestedRecord, Item, dict[str, Any]]] = []

    def withdraw(self, hr: HarvestedRecord, item: Item) -> None:
        if hr.record_id and not hr.deleted:
            self.withdrawn.append((hr, item.identifier))
        if not hr.deleted:
            self.job.deleted += 1
        hr.deleted, hr.quarantined = True, False
        hr.problem = hr.raw = ""

    def upsert(self, hr: HarvestedRecord, item: Item) -> bool:
        """Queue the document as the local copy's next revision; False if it is unchanged."""
        assert item.document is not None
        record = hr.record if hr.record_id else None
        doc = copy.deepcopy(item.document)
        raw_header = doc.get("header")
        doc["header"] = {
            **(raw_header if isinstance(raw_header, dict) else {}),
            "schema": item.schema,
        }
        if record is not None:
            doc["header"]["identifier"] = record.uid
        was_deleted = hr.deleted
        hr.deleted = hr.quarantined = False
        hr.problem = hr.raw = ""
        if record is None:
            self.new.append((hr, item, doc))
            return True
        if (
            record.published is not None
            and record.deleted_at is None
            and not was_deleted
            and record.schema == item.schema
            and record.published.document == doc
        ):
            self.job.unchanged += 1
            return False
        self.changed.append((hr, item, doc))
        return True

    def flush(self) -> None:
        source, now = self.source, self.now
        audit: list[AuditEntry] = []
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
        if self.new:
            uids = self._new_uids()
            records = Record.objects.bulk_create(
                [
                    Record(
                        uid=uid,
                        portal_id=source.portal_id,
                        schema=item.schema,
                        created_at=now,
                    )
                    for uid, (_, item, _) in zip(uids, self.new, strict=True)
                ]
            )
            for record, (hr, _, doc) in zip(records, self.new, strict=True):
                doc["header"]["identifier"] = record.uid
                hr.record = record
            self.job.created += len(self.new)
        self.job.updated += len(self.changed)
        pending = self.new + self.changed
        if not pending:
            self._save_provenance()
            AuditEntry.objects.bulk_create(audit)
            return
        numbers = dict(
            Revision.objects.filter(record_id__in=[hr.record_id for hr, _, _ in self.changed])
            .values("record_id")
            .annotate(n=Max("number"))
            .values_list("record_id", "n")
        )
        revisions = Revision.objects.bulk_create(
            [
                Revision(
                    record=hr.record,
                    number=numbers.get(hr.record_id or 0, 0) + 1,
                    document=doc,
                    published_at=now,
                )
                for hr, _, doc in pending
            ]
        )
        records = []
        for revision, (hr, item, doc) in zip(revisions, pending, strict=True):
            local = hr.record
            assert local is not None
            government = doc.get("government")
            country = government.get("identifier") if isinstance(government, dict) else ""
            title = doc.get(RECORD_TYPES[item.schema].title_field)
            local.schema = item.schema
            local.government = (
                country.lower() if isinstance(country, str) and len(country) == 2 else ""
            )
            local.published = revision
            local.published_at = local.updated_at = now
            local.deleted_at = None
            local.title = title if isinstance(title, dict) else {"": str(title or "")}
            records.append(local)
            audit.append(
                self._audit("record.harvest", local.uid, item.identifier, revision=revision.number)
            )
        _update_rows(
            records,
            [
                "schema",
                "government",
                "published",
                "published_at",
                "updated_at",
                "deleted_at",
                "title",
            ],
        )
        Portal.objects.filter(pk=source.portal_id).update(last_published_at=now)
        self._save_provenance()
        AuditEntry.objects.bulk_create(audit)

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
        _update_rows([hr for hr in self.provenance if hr.pk], fields)
        HarvestedRecord.objects.bulk_create([hr for hr in self.provenance if not hr.pk])

    def _audit(self, action: str, uid: str, identifier: str, **extra: Any) -> AuditEntry:
        return AuditEntry(
            portal_id=self.source.portal_id,
            action=action,
            target=uid,
            at=self.now,
            details={"source": self.source.base_url, "remote_identifier": identifier, **extra},
        )


def _update_rows(objects: list[Any], fields: list[str]) -> None:
    """Like ``bulk_update``, as one prepared UPDATE run for every row (``executemany``):
    ``bulk_update``'s CASE expressions cost seconds per page."""
    if not objects:
        return
    meta = objects[0]._meta
    columns = [meta.get_field(name) for name in fields]
    qn = connection.ops.quote_name
    sql = (
        f"UPDATE {qn(meta.db_table)} SET "
        + ", ".join(f"{qn(column.column)} = %s" for column in columns)
        + f" WHERE {qn(meta.pk.column)} = %s"
    )
    rows = [
        [column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns]
        + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def quarantine(job: HarvestJob, hr: HarvestedRecord | None, item: Item) -> None:
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
