"""Shared by the import commands: run one import with a progress bar and report on it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from clearinghouse.federation.connectors.imports import Connector, describe, run_import
from clearinghouse.federation.connectors.models import ImportSource
from clearinghouse.federation.connectors.progress import ProgressBar
from clearinghouse.federation.models import JobStatus
from clearinghouse.portals.models import Portal


def portal_or_error(code: str) -> Portal:
    portal = Portal.objects.filter(code=code or "").first()
    if portal is None:
        raise CommandError(f"--portal needs the code of an existing portal (got {code!r})")
    return portal


def run(command: BaseCommand, source: ImportSource, connector: Connector, **opts: Any) -> None:
    command.stdout.write(
        f"import {source.pk}: {source.base_url} [{source.query}] → {source.portal.code}"
    )
    bar = ProgressBar(command.stderr)
    try:
        job = run_import(source, connector, restart=opts.get("restart", False), progress=bar)
    finally:
        bar.close()
    command.stdout.write(describe(job))
    if job.skipped_types:
        skipped = ", ".join(f"{k} {v}" for k, v in sorted(job.skipped_types.items()))
        command.stdout.write(f"  not imported (record types without a local type): {skipped}")
    for entry in job.report:
        identifier = entry["identifier"] or "(no identifier)"
        command.stdout.write(f"  quarantined {identifier}: {entry['problem']}")
    if job.quarantined > len(job.report):
        command.stdout.write(f"  … and {job.quarantined - len(job.report)} more")
    if job.status != JobStatus.DONE:
        raise CommandError(job.error or job.status)
