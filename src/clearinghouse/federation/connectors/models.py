"""Connector data: dated GBIF snapshots per country, and paged imports (source, job, provenance)
from the CBD index and PANORAMA."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from clearinghouse.federation.models import JobStatus


class GbifSnapshot(models.Model):
    """GBIF's figures for one country on one day (the latest of that day wins)."""

    country = models.CharField(max_length=2)  # ISO 3166-1 alpha-2, upper case
    date = models.DateField()
    taken_at = models.DateTimeField(default=timezone.now)
    # Occurrence records located in the country (occurrence search, ``count``).
    occurrences = models.BigIntegerField()
    # Datasets holding occurrences located in the country (``/occurrence/counts/datasets``).
    datasets_with_occurrences = models.PositiveIntegerField()
    # Datasets published by organizations of the country (``/dataset?country=``).
    datasets_published = models.PositiveIntegerField()
    # GBIF publishers (organizations) of the country (``/organization?country=``).
    publishers = models.PositiveIntegerField()
    # Countries whose publishers shared the most occurrences of this country:
    # [{"country": "FR", "count": 123}], largest first.
    publishing_countries = models.JSONField(default=list)
    source = models.URLField(max_length=400)

    class Meta:
        ordering = ["-date", "-taken_at"]
        constraints = [
            models.UniqueConstraint(fields=["country", "date"], name="unique_gbif_snapshot_day")
        ]

    def __str__(self) -> str:
        return f"GBIF {self.country} {self.date}"


class ImportKind(models.TextChoices):
    CBD_INDEX = "cbd-index", "CBD index (Solr)"
    PANORAMA = "panorama", "PANORAMA solutions"


class ImportSource(models.Model):
    """One query of a remote system, imported into one local portal."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    base_url = models.URLField(max_length=400)
    # The Solr ``q`` (CBD index) or the ISO alpha-2 country (PANORAMA).
    query = models.CharField(max_length=1000)
    portal = models.ForeignKey(
        "portals.Portal", on_delete=models.CASCADE, related_name="import_sources"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "base_url", "query", "portal"], name="unique_import_source"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.query} → {self.portal_id}"


class ImportJob(models.Model):
    source = models.ForeignKey(ImportSource, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Where the next page starts: the Solr ``start`` offset, or the PANORAMA page number.
    cursor = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)  # as the source last said
    pages = models.PositiveIntegerField(default=0)
    seen = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    quarantined = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    # Quarantined documents: [{"identifier", "problem"}], capped.
    report = models.JSONField(default=list, blank=True)
    # Documents of record types that are not imported, counted by remote type.
    skipped_types = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M} {self.status}"


class ImportedRecord(models.Model):
    """Provenance of one imported document: its remote identifier, realm and address."""

    source = models.ForeignKey(ImportSource, on_delete=models.CASCADE, related_name="records")
    remote_identifier = models.CharField(max_length=400)
    remote_updated = models.CharField(max_length=40, blank=True, default="")
    realm = models.CharField(max_length=100, blank=True, default="")  # CHM, BCH, ABS…
    url = models.URLField(max_length=1000, blank=True, default="")  # the record at the source
    record = models.OneToOneField(
        "records.Record",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imported_from",
    )
    quarantined = models.BooleanField(default=False)
    problem = models.TextField(blank=True, default="")
    raw = models.TextField(blank=True, default="")  # the remote document (JSON), truncated
    job = models.ForeignKey(ImportJob, null=True, on_delete=models.SET_NULL, related_name="+")
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "remote_identifier"], name="unique_imported_record"
            )
        ]

    def __str__(self) -> str:
        return self.remote_identifier
