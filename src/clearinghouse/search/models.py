"""Sentence vectors per record (the lexical index lives in tables owned by ``backends``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class RecordVector(models.Model):
    record = models.OneToOneField(
        "records.Record", primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    model = models.CharField(max_length=64)
    vector = models.BinaryField()  # float32, L2-normalised
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"vector of {self.record_id}"


class SavedSearch(models.Model):
    """A signed-in user's saved search; ``send_search_alerts`` e-mails what is new in it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="+")
    query = models.CharField(max_length=200)
    filters = models.JSONField(default=dict, blank=True)  # facet → [values]
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField(default=timezone.now)
    last_alert_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.query}"
