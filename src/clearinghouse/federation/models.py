"""Federation: the OAI-PMH set index of local records, and harvesting from remote portals."""

from __future__ import annotations

from django.db import models


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
