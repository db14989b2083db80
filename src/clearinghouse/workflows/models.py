"""Generic requests: publication, deletion, and later technical-assistance or grant requests
all share this table and the state machine in ``workflows.engine``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Request(models.Model):
    kind = models.CharField(max_length=40, db_index=True)  # a registered Workflow's name
    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="requests")
    record = models.ForeignKey(
        "records.Record", null=True, blank=True, on_delete=models.CASCADE, related_name="requests"
    )
    state = models.CharField(max_length=40, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True, default="", max_length=1000)
    batch_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["portal", "kind", "state"], name="request_queue")]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk} ({self.state})"


class RequestEvent(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=40)
    from_state = models.CharField(max_length=40, blank=True, default="")
    to_state = models.CharField(max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comment = models.TextField(blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.from_state}→{self.to_state}"
