"""Paged imports of remote documents into local records (CBD index, PANORAMA), built like the
OAI-PMH harvester: a persisted job per run, one transaction per page together with the cursor of
the next page (a run that fails resumes there and never half-applies a page), provenance per
remote document, and quarantine of documents that cannot be used (the import goes on; the job's
report says which and why).

A connector says how to fetch one page (``fetch``) and how to map one remote document to a local
record document (``map``); this module does the rest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.apps import apps
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from clearinghouse.federation.connectors.http import ConnectorError
from clearinghouse.federation.connectors.models import ImportedRecord, ImportJob, ImportSource
from clearinghouse.federation.models import JobStatus
from clearinghouse.portals.models import AuditEntry, Portal
from clearinghouse.records import errors as E
from clearinghouse.records.models import Record, Revision, new_uid
from clearinghouse.records.signals import public_changed
from clearinghouse.records.types import RECORD_TYPES
from clearinghouse.records.validation import validate

logger = logging.getLogger(__name__)
REPORT_LIMIT = 1000
RAW_LIMIT = 20_000
MISSING_CODES = {E.MANDATORY, E.MANDATORY_ANY_OF}


@dataclass
class Page:
    items: list[Any]
    total: int | None
    next_cursor: int | None  # None: this was the last page


@dataclass
class Mapped:
    """One remote document, mapped: a local ``schema`` and ``document``, or why not."""

    identifier: str
    raw: Any = None
    schema: str = ""
    document: dict[str, Any] | None = None
    remote_type: str = ""
    updated: str = ""
    realm: str = ""
    url: str = ""
    problem: str = ""
    skip: bool = False  # a record type that is not imported (counted, not quarantined)
    issues: list[str] = field(default_factory=list)


class Connector(Protocol):
    kind: str
    first_cursor: int
    # Whether documents may lack mandatory fields (index entries carry only part of a record).
    partial: bool

    def fetch(self, source: ImportSource, cursor: int) -> Page: ...

    def map(self, raw: Any) -> Mapped: ...


Progress = Callable[[ImportJob], None]


def run_import(
    source: ImportSource,
    connector: Connector,
    restart: bool = False,
    progress: Progress | None = None,
) -> ImportJob:
    """Run (or resume) one import of ``source``. An interrupted or failed job that had
    committed pages continues from its cursor unless ``restart``."""
    last = source.jobs.first()
    if (
        not restart
        and last is not None
        and last.status in (JobStatus.INTERRUPTED, JobStatus.FAILED, JobStatus.RUNNING)
        and last.pages
    ):
        job = last
        job.status, job.error = JobStatus.RUNNING, ""
        job.save(update_fields=["status", "error"])
    else:
        job = ImportJob.objects.create(source=source, cursor=connector.first_cursor)
    try:
        while True:
            page = connector.fetch(source, job.cursor)
            with transaction.atomic():
                ImportSource.objects.select_for_update().filter(pk=source.pk).first()
                apply_page(source, job, connector, page.items)
                job.pages += 1
                job.total = page.total
                if page.next_cursor is not None:
                    if page.next_cursor <= job.cursor:
                        raise ConnectorError(
                            _("The source's paging does not advance (page %(cursor)s).")
                            % {"cursor": job.cursor}
                        )
                    job.cursor = page.next_cursor
                job.save()
            if progress is not None:
                progress(job)
            if page.next_cursor is None:
                return _finish(job, JobStatus.DONE)
    except ConnectorError as error:
        job.refresh_from_db()  # the failed page (if any) was rolled back, its counts with it
        if error.transient:
            return _finish(
                job,
                JobStatus.INTERRUPTED,
                _("%(error)s. Run the import again to resume.") % {"error": error},
            )
        return _finish(job, JobStatus.FAILED, str(error))
    except Exception as error:  # a bug or a database failure: never leave a job "running"
        logger.exception("import of %s failed", source.base_url)
        job.refresh_from_db()
        return _finish(job, JobStatus.FAILED, _("Internal error: %(error)r") % {"error": error})


def _finish(job: ImportJob, status: str, error: str = "") -> ImportJob:
    job.status = status
    job.error = error
    job.finished_at = timezone.now()
    job.save()
    return job


def apply_page(
    source: ImportSource, job: ImportJob, connector: Connector, items: list[Any]
) -> None:
    """Import one page (inside the caller's transaction)."""
    mapped = [connector.map(raw) for raw in items]
    wanted = [m.identifier[:400] for m in mapped if m.identifier]
    known = {
        ir.remote_identifier: ir
        for ir in ImportedRecord.objects.filter(
            source=source, remote_identifier__in=wanted
        ).select_related("record__published")
    }
    portal = source.portal
    now = timezone.now()
    changed: list[int] = []
    for m in mapped:
        job.seen += 1
        if m.skip:
            job.skipped += 1
            job.skipped_types[m.remote_type] = job.skipped_types.get(m.remote_type, 0) + 1
            continue
        key = m.identifier[:400]
        ir = known.get(key) if key else None
        if key and ir is None:
            ir = known[key] = ImportedRecord(source=source, remote_identifier=key)
        if not m.problem and m.document is not None:
            m.problem = _problems(m, portal, connector.partial)
        if not key or m.problem:
            _quarantine(job, ir, m)
            if ir is not None:
                ir.job, ir.imported_at = job, now
                ir.save()
            continue
        assert ir is not None and m.document is not None
        ir.remote_updated, ir.realm, ir.url = m.updated[:40], m.realm[:100], m.url[:1000]
        ir.quarantined, ir.problem = False, ""
        ir.raw = _raw(m)
        ir.job, ir.imported_at = job, now
        if _upsert(source, job, ir, m, now):
            assert ir.record_id is not None
            changed.append(ir.record_id)
        ir.save()
    if changed:
        Portal.objects.filter(pk=portal.pk).update(last_published_at=now)
        transaction.on_commit(lambda: _announce(changed), robust=True)


def _announce(record_ids: list[int]) -> None:
    """Tell the search index once the page is committed: the whole page in one batch when the
    search app is installed (one embedding run, one write), else record by record through
    ``public_changed``."""
    if apps.is_installed("clearinghouse.search"):
        from clearinghouse.search import indexing

        try:
            indexing.refresh(record_ids)
        except Exception:  # the index must never break an import; `reindex` repairs
            logger.exception("search: could not index %d imported records", len(record_ids))
        return
    for pk in record_ids:
        public_changed.send_robust(sender=Record, record_id=pk)


def _problems(m: Mapped, portal: Portal, partial: bool) -> str:
    """Validation issues of the mapped document, as one line; '' when it may be published."""
    assert m.document is not None
    rtype = RECORD_TYPES[m.schema]
    issues = validate(rtype, {**m.document, "header": _header("", m)}, portal)
    if partial:
        issues = [i for i in issues if i.code not in MISSING_CODES]
    return "; ".join(f"{i.code} {i.property}: {i.message()}" for i in issues)


def _header(uid: str, m: Mapped) -> dict[str, Any]:
    assert m.document is not None
    header = dict(m.document.get("header") or {})
    header["schema"] = m.schema
    if uid:
        header["identifier"] = uid
    return header


def _upsert(source: ImportSource, job: ImportJob, ir: ImportedRecord, m: Mapped, now: Any) -> bool:
    """Create the local record or publish a new revision of it; False when nothing changed."""
    assert m.document is not None
    rtype = RECORD_TYPES[m.schema]
    record = ir.record if ir.record_id else None
    if record is not None and record.deleted_at is not None:
        job.unchanged += 1  # withdrawn here by a manager: a re-import does not bring it back
        return False
    uid = record.uid if record is not None else new_uid(source.portal.code)
    doc = {**m.document, "header": _header(uid, m)}
    government = doc.get("government")
    country = government.get("identifier") if isinstance(government, dict) else ""
    if record is not None:
        if (
            record.published is not None
            and record.schema == m.schema
            and record.published.document == doc
        ):
            job.unchanged += 1
            return False
        number = (record.revisions.aggregate(n=Max("number"))["n"] or 0) + 1
        job.updated += 1
    else:
        record = Record.objects.create(
            uid=uid, portal=source.portal, schema=m.schema, created_at=now
        )
        ir.record = record
        number = 1
        job.created += 1
    revision = Revision.objects.create(record=record, number=number, document=doc, published_at=now)
    Record.objects.filter(pk=record.pk).update(
        schema=m.schema,
        government=country.lower() if isinstance(country, str) else "",
        published=revision,
        published_at=now,
        updated_at=now,
        deleted_at=None,
        title=rtype.titles(doc),
    )
    AuditEntry.objects.create(
        portal=source.portal,
        action="record.import",
        target=uid,
        at=now,
        details={
            "kind": source.kind,
            "source": source.base_url,
            "remote_identifier": m.identifier,
            "realm": m.realm,
            "url": m.url,
            "revision": number,
        },
    )
    return True


def _quarantine(job: ImportJob, ir: ImportedRecord | None, m: Mapped) -> None:
    """Note why a document cannot be used; the last good copy (if any) stays published."""
    job.quarantined += 1
    if len(job.report) < REPORT_LIMIT:
        job.report.append({"identifier": m.identifier, "problem": m.problem})
    if ir is not None:
        ir.quarantined = True
        ir.problem = m.problem
        ir.raw = _raw(m)


def _raw(m: Mapped) -> str:
    """The remote document as received (provenance; fields without a local home stay here)."""
    return json.dumps(m.raw, ensure_ascii=False, default=str)[:RAW_LIMIT]


def describe(job: ImportJob) -> str:
    """One line of counts for the command line."""
    return _(
        "%(status)s: %(seen)s read, %(created)s created, %(updated)s updated, "
        "%(unchanged)s unchanged, %(skipped)s skipped, %(quarantined)s quarantined "
        "(%(pages)s pages)"
    ) % {
        "status": job.get_status_display(),
        "seen": job.seen,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "skipped": job.skipped,
        "quarantined": job.quarantined,
        "pages": job.pages,
    }
