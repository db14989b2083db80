"""Federation: the OAI-PMH set index of local records, and harvesting from remote portals."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SetIndex(models.Model):
    """Marks a record's GBF-target set memberships as computed for one ``updated_at``.

    Record type and country sets come straight from ``Record.schema`` and
    ``Record.government``; target sets live in the published document, so they are indexed
    here, lazily, whenever a record's datestamp has moved (see ``sets.refresh``)."""

    record = models.OneToOneField(
        "records.Record", primary_key=True, on_delete=models.CASCADE, related_name="oai_index"
    )
    datestamp = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.record_id}@{self.datestamp:%Y-%m-%dT%H:%M:%S}"


class SetMembership(models.Model):
    record = models.ForeignKey("records.Record", on_delete=models.CASCADE, related_name="oai_sets")
    spec = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "spec"], name="unique_oai_set_membership")
        ]
        indexes = [models.Index(fields=["spec", "record"], name="oai_set_spec")]

    def __str__(self) -> str:
        return f"{self.record_id} ∈ {self.spec}"


class HarvestSource(models.Model):
    """A remote OAI-PMH endpoint (another portal's ``/oai``) harvested into a local portal."""

    name = models.CharField(max_length=200)
    base_url = models.URLField(max_length=400)
    portal = models.ForeignKey(
        "portals.Portal", on_delete=models.CASCADE, related_name="harvest_sources"
    )
    metadata_prefix = models.CharField(max_length=40, default="cbd")
    set_spec = models.CharField(max_length=200, blank=True, default="")
    enabled = models.BooleanField(default=True)
    # ``from`` of the next incremental harvest: the remote responseDate of the first request
    # of the last complete harvest (the remote clock, at the remote granularity).
    next_from = models.CharField(max_length=20, blank=True, default="")
    granularity = models.CharField(max_length=20, default="YYYY-MM-DDThh:mm:ssZ")
    created_at = models.DateTimeField(default=timezone.now)
    # Schedule: ``clearinghouse harvest --due`` (from cron, every minute) runs the enabled
    # sources whose ``next_run_at`` has come (or whose run was asked for on the status page).
    scheduled = models.BooleanField(_("scheduled"), default=False)
    interval_minutes = models.PositiveIntegerField(_("interval (minutes)"), default=24 * 60)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    run_requested_at = models.DateTimeField(null=True, blank=True)
    run_requested_full = models.BooleanField(default=False)
    # A job running longer stops after its current page ("timed out") and resumes on the next
    # run; 0: no limit.
    timeout_minutes = models.PositiveIntegerField(_("time limit (minutes)"), default=120)
    # The lease: who runs this source now, until when (renewed after every page). A lease
    # past its end belongs to a process that died: the next run takes it over.
    lease_owner = models.CharField(max_length=100, blank=True, default="")
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["base_url", "portal", "set_spec"], name="unique_harvest_source"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def interval(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.interval_minutes or 24 * 60)

    @property
    def is_running(self) -> bool:
        return self.lease_until is not None and self.lease_until > timezone.now()


class JobStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    INTERRUPTED = "interrupted", _("Interrupted (resumable)")
    TIMED_OUT = "timed_out", _("Timed out (resumable)")
    FAILED = "failed", _("Failed")


class HarvestJob(models.Model):
    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    from_arg = models.CharField(max_length=20, blank=True, default="")
    first_response_date = models.CharField(max_length=20, blank=True, default="")
    # The last resumption token received: an interrupted job resumes from it.
    resumption_token = models.TextField(blank=True, default="")
    pages = models.PositiveIntegerField(default=0)
    # completeListSize announced by the source (in its resumption tokens), when it gives one.
    expected = models.PositiveIntegerField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    quarantined = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    # Quarantined records: [{"identifier", "datestamp", "problem"}], capped.
    report = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M} {self.status}"

    @property
    def fetched(self) -> int:
        """Records read from the source so far."""
        return self.created + self.updated + self.unchanged + self.deleted + self.quarantined

    @property
    def duration(self) -> dt.timedelta:
        return (self.finished_at or timezone.now()) - self.started_at

    @property
    def duration_seconds(self) -> int:
        return max(0, round(self.duration.total_seconds()))


class HarvestedRecord(models.Model):
    """Provenance of one remote record: where it came from and which local record holds it."""

    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="records")
    remote_identifier = models.CharField(max_length=400)
    remote_datestamp = models.CharField(max_length=20, blank=True, default="")
    record = models.OneToOneField(
        "records.Record",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="harvested_from",
    )
    deleted = models.BooleanField(default=False)
    quarantined = models.BooleanField(default=False)
    problem = models.TextField(blank=True, default="")
    raw = models.TextField(blank=True, default="")  # a quarantined record's XML, truncated
    job = models.ForeignKey(HarvestJob, null=True, on_delete=models.SET_NULL, related_name="+")
    harvested_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "remote_identifier"], name="unique_harvested_record"
            )
        ]

    def __str__(self) -> str:
        return self.remote_identifier


class StoredSet(models.Model):
    """An OAI-PMH set defined by a stored query: ``query:<spec>`` holds the portal's published
    records that match every kind of criterion given (AND across kinds), any value of a kind
    (OR within a kind): record types, countries (ISO alpha-2, lower case, as
    ``Record.government``), GBF targets (``GBF-TARGET-nn``)."""

    portal = models.ForeignKey(
        "portals.Portal", on_delete=models.CASCADE, related_name="oai_stored_sets"
    )
    spec = models.SlugField(_("set spec"), max_length=80)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="")
    record_types = models.JSONField(_("record types"), default=list, blank=True)
    countries = models.JSONField(_("countries"), default=list, blank=True)
    targets = models.JSONField(_("GBF targets"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["spec"]
        constraints = [
            models.UniqueConstraint(fields=["portal", "spec"], name="unique_oai_stored_set")
        ]

    def __str__(self) -> str:
        return self.set_spec

    @property
    def set_spec(self) -> str:
        return f"query:{self.spec}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from clearinghouse.federation.sets import criteria_errors, normalize_criteria

        for field in ("record_types", "countries", "targets"):
            value = getattr(self, field)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValidationError({field: _("A list of strings.")})
        self.record_types, self.countries, self.targets = normalize_criteria(
            self.record_types, self.countries, self.targets
        )
        errors = criteria_errors(self.record_types, self.countries, self.targets)
        if errors:
            raise ValidationError(errors)
