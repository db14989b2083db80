from django.contrib import admin

from clearinghouse.federation.connectors.models import (
    GbifSnapshot,
    ImportedRecord,
    ImportJob,
    ImportSource,
)


@admin.register(GbifSnapshot)
class GbifSnapshotAdmin(admin.ModelAdmin):
    list_display = ("country", "date", "occurrences", "datasets_published", "publishers")
    list_filter = ("country",)


@admin.register(ImportSource)
class ImportSourceAdmin(admin.ModelAdmin):
    list_display = ("kind", "query", "portal", "base_url", "created_at")
    list_filter = ("kind", "portal")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = (
        "source",
        "started_at",
        "status",
        "pages",
        "created",
        "updated",
        "unchanged",
        "skipped",
        "quarantined",
    )
    list_filter = ("status",)


@admin.register(ImportedRecord)
class ImportedRecordAdmin(admin.ModelAdmin):
    list_display = ("remote_identifier", "source", "realm", "record", "quarantined")
    list_filter = ("quarantined", "source")
    search_fields = ("remote_identifier",)
