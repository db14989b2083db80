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
    mode = models.CharField(max_length=8, default="lexical")  # hybrid: closest records too
    created_at = models.DateTimeField(default=timezone.now)
    last_alert_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.query}"


class TagFeedback(models.Model):
    """An editor's decision on a suggested tag for a draft: the training signal that
    ``search.learning`` blends into later suggestions (one row per record and concept: the
    latest decision wins)."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    DECISIONS = [(ACCEPTED, ACCEPTED), (REJECTED, REJECTED)]

    record = models.ForeignKey("records.Record", on_delete=models.CASCADE, related_name="+")
    scheme = models.CharField(max_length=32)
    concept = models.CharField(max_length=128)
    confidence = models.FloatField(null=True, blank=True)  # as suggested; None: not suggested
    decision = models.CharField(max_length=8, choices=DECISIONS)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    text = models.TextField(blank=True, default="")  # the draft's text when decided
    vector = models.BinaryField(null=True, blank=True)  # its sentence vector (float32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "concept"], name="search_feedback_once")
        ]
        indexes = [models.Index(fields=["scheme", "decision"])]

    def __str__(self) -> str:
        return f"{self.record_id} {self.concept}: {self.decision}"


class IndexPending(models.Model):
    """A record whose public view changed and whose index entry may not reflect it yet.
    Written in the same transaction as the change (so a crash or a failed index write after
    the commit leaves it behind), deleted once the index has been written;
    ``clearinghouse reindex --pending`` repairs whatever is left."""

    record_id = models.BigIntegerField(db_index=True)  # no FK: rows deleted outright count too
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"pending {self.record_id}"
