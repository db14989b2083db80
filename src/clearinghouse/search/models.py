"""Sentence vectors per record (the lexical index lives in tables owned by ``backends``)."""

from __future__ import annotations

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
