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
import gzip
import http.client
import json
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

from django.db import transaction
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

OAI = f"{{{OAI_NS}}}"
CBD_DOCUMENT = f"{{{CBD_NS}}}document"
REPORT_LIMIT = 1000
RAW_LIMIT = 20_000
USER_AGENT = "Clearinghouse-harvester/0.1 (OAI-PMH)"
DAY = "YYYY-MM-DD"
SECONDS = "YYYY-MM-DDThh:mm:ssZ"


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
        except RemoteError as error:
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
            try:
                root = self.get(source.base_url, params)
            except RemoteError:
                self._note_response_date(job, None)
                raise
            self._note_response_date(job, root)
            listing = root.find(f"{OAI}ListRecords")
            if listing is None:
                raise BadResponse("the response has neither ListRecords nor an error")
            for element in listing.iterfind(f"{OAI}record"):
                process_record(source, job, element)
            token_el = listing.find(f"{OAI}resumptionToken")
            token = (token_el.text or "").strip() if token_el is not None else ""
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


def _complete(source: HarvestSource, job: HarvestJob) -> HarvestJob:
    job.resumption_token = ""
    if job.first_response_date:
        # Day-granularity sources only accept days: "from" that day (harvests overlap, safely).
        stamp = job.first_response_date
        source.next_from = stamp[:10] if source.granularity == DAY else stamp
        source.save(update_fields=["next_from"])
    return _finish(job, JobStatus.DONE)


# --- one record --------------------------------------------------------------------------------


def process_record(source: HarvestSource, job: HarvestJob, element: Any) -> None:
    header = element.find(f"{OAI}header")
    identifier = (header.findtext(f"{OAI}identifier") or "").strip() if header is not None else ""
    datestamp = (header.findtext(f"{OAI}datestamp") or "").strip() if header is not None else ""
    if not identifier or not datestamp:
        missing = [n for n, v in (("identifier", identifier), ("datestamp", datestamp)) if not v]
        quarantine(
            source, job, identifier, datestamp, f"header without {' and '.join(missing)}", element
        )
        return
    if header.get("status") == "deleted":
        withdraw(source, job, identifier, datestamp)
        return
    metadata = element.find(f"{OAI}metadata")
    document_el = metadata.find(CBD_DOCUMENT) if metadata is not None else None
    if document_el is None:
        found = [c.tag for c in metadata if isinstance(c.tag, str)] if metadata is not None else []
        problem = (
            "no metadata"
            if metadata is None
            else f"metadata is not in the cbd format ({', '.join(found) or 'empty'})"
        )
        quarantine(source, job, identifier, datestamp, problem, element)
        return
    try:
        document = json.loads(document_el.text or "")
    except ValueError as error:
        quarantine(
            source, job, identifier, datestamp, f"the CBD document is not JSON: {error}", element
        )
        return
    if not isinstance(document, dict):
        quarantine(
            source, job, identifier, datestamp, "the CBD document is not a JSON object", element
        )
        return
    header_doc = document.get("header")
    schema = header_doc.get("schema") if isinstance(header_doc, dict) else None
    schema = schema or document_el.get("schema")
    if schema not in RECORD_TYPES:
        quarantine(source, job, identifier, datestamp, f"unknown record type {schema!r}", element)
        return
    upsert(source, job, identifier, datestamp, str(schema), document)


def quarantine(
    source: HarvestSource,
    job: HarvestJob,
    identifier: str,
    datestamp: str,
    problem: str,
    element: Any,
) -> None:
    job.quarantined += 1
    if len(job.report) < REPORT_LIMIT:
        job.report.append({"identifier": identifier, "datestamp": datestamp, "problem": problem})
    if not identifier:
        return
    raw = etree.tostring(element, encoding="unicode")[:RAW_LIMIT]
    # The last good copy (if any) stays published; the provenance row notes the problem.
    HarvestedRecord.objects.update_or_create(
        source=source,
        remote_identifier=identifier[:400],
        defaults={
            "remote_datestamp": datestamp[:20],
            "quarantined": True,
            "problem": problem,
            "raw": raw,
            "job": job,
            "harvested_at": timezone.now(),
        },
    )


def withdraw(source: HarvestSource, job: HarvestJob, identifier: str, datestamp: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        hr, _ = HarvestedRecord.objects.select_for_update().get_or_create(
            source=source, remote_identifier=identifier[:400]
        )
        if hr.record_id and not hr.deleted:
            Record.objects.filter(pk=hr.record_id).update(deleted_at=now, updated_at=now)
            _audit(source.portal, "record.harvest.delete", hr.record_id, source, identifier)
        if not hr.deleted:
            job.deleted += 1
        hr.deleted = True
        hr.quarantined = False
        hr.problem = hr.raw = ""
        hr.remote_datestamp = datestamp[:20]
        hr.job = job
        hr.harvested_at = now
        hr.save()


def _local_uid(source: HarvestSource, identifier: str, document: dict[str, Any]) -> str:
    header = document.get("header")
    remote_uid = header.get("identifier") if isinstance(header, dict) else None
    if not isinstance(remote_uid, str) or not remote_uid.strip():
        remote_uid = identifier.rsplit(":", 1)[-1]
    remote_uid = remote_uid.strip()[:60]
    if not Record.objects.filter(uid=remote_uid).exists():
        return remote_uid
    # Already used here (e.g. a portal of this deployment harvested by another): qualify it.
    return f"h{source.pk}-{remote_uid}"[:80]


def upsert(
    source: HarvestSource,
    job: HarvestJob,
    identifier: str,
    datestamp: str,
    schema: str,
    document: dict[str, Any],
) -> None:
    now = timezone.now()
    with transaction.atomic():
        hr, _ = HarvestedRecord.objects.select_for_update().get_or_create(
            source=source, remote_identifier=identifier[:400]
        )
        record = (
            Record.objects.select_related("published").filter(pk=hr.record_id).first()
            if hr.record_id
            else None
        )
        uid = record.uid if record else _local_uid(source, identifier, document)
        doc = copy.deepcopy(document)
        raw_header = doc.get("header")
        doc["header"] = {**(raw_header if isinstance(raw_header, dict) else {})}
        doc["header"].update(identifier=uid, schema=schema)
        government = doc.get("government")
        country = government.get("identifier") if isinstance(government, dict) else ""
        country = country.lower() if isinstance(country, str) and len(country) == 2 else ""
        if (
            record is not None
            and record.published is not None
            and record.deleted_at is None
            and record.schema == schema
            and record.published.document == doc
        ):
            job.unchanged += 1
        else:
            if record is None:
                record = Record.objects.create(
                    uid=uid, portal=source.portal, schema=schema, government=country
                )
                job.created += 1
            else:
                job.updated += 1
            number = (record.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
            revision = Revision.objects.create(
                record=record, number=number, document=doc, published_at=now
            )
            title = doc.get(RECORD_TYPES[schema].title_field)
            Record.objects.filter(pk=record.pk).update(
                schema=schema,
                government=country,
                published=revision,
                published_at=now,
                updated_at=now,
                deleted_at=None,
                title=title if isinstance(title, dict) else {"": str(title or "")},
            )
            Portal.objects.filter(pk=source.portal_id).update(last_published_at=now)
            _audit(source.portal, "record.harvest", record.pk, source, identifier, revision=number)
        hr.record = record
        hr.remote_datestamp = datestamp[:20]
        hr.deleted = hr.quarantined = False
        hr.problem = hr.raw = ""
        hr.job = job
        hr.harvested_at = now
        hr.save()


def _audit(
    portal: Portal,
    action: str,
    record_id: int,
    source: HarvestSource,
    identifier: str,
    **extra: Any,
) -> None:
    uid = Record.objects.filter(pk=record_id).values_list("uid", flat=True).first() or ""
    AuditEntry.objects.create(
        portal=portal,
        action=action,
        target=uid,
        details={"source": source.base_url, "remote_identifier": identifier, **extra},
    )


def harvest(source: HarvestSource, full: bool = False, **options: Any) -> HarvestJob:
    """Run (or resume) one harvest of ``source``; see ``Harvester`` for the options."""
    return Harvester(**options).harvest(source, full=full)
