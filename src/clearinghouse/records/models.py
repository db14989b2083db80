"""Records: a parent that carries identity, a draft being edited, and published revisions."""

from __future__ import annotations

import uuid
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_uid(portal_code: str) -> str:
    return f"{portal_code}-{uuid.uuid4().hex[:12]}"


class Record(models.Model):
    uid = models.CharField(max_length=80, unique=True)
    portal = models.ForeignKey("portals.Portal", on_delete=models.CASCADE, related_name="records")
    schema = models.CharField(max_length=64, db_index=True)
    government = models.CharField(max_length=2, blank=True, default="")  # ISO alpha-2, lower
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The latest published revision, denormalised for fast listing.
    published = models.ForeignKey(
        "Revision", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    title = models.JSONField(default=dict, blank=True)  # of the published revision
    # Changes whenever the public view changes (publish, delete): the OAI datestamp.
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["portal", "schema", "-published_at"], name="record_browse"),
            # Newest first across types (home page, API list): read in order, no sort.
            models.Index(fields=["portal", "-published_at", "-id"], name="record_listing"),
            models.Index(fields=["portal", "updated_at"], name="record_datestamp"),
        ]

    def __str__(self) -> str:
        return self.uid

    @property
    def is_public(self) -> bool:
        return self.published_id is not None and self.deleted_at is None


class Draft(models.Model):
    record = models.OneToOneField(Record, on_delete=models.CASCADE, related_name="draft")
    document = models.JSONField(default=dict)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    locked_until = models.DateTimeField(null=True, blank=True)
    # Locked for review while a publication request is pending.
    under_review = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"draft of {self.record_id}"

    @property
    def languages(self) -> list[str]:
        langs: Any = (self.document.get("header") or {}).get("languages") or []
        return list(langs)


class Revision(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["record", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["record", "number"], name="unique_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.record_id}@{self.number}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never trust the uploaded name for the path on disk.
    suffix = PurePath(filename).suffix.lower()[:10]
    return f"attachments/{instance.record.portal.code}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.filename


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, default="default")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.name}"
