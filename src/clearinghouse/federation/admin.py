from django.contrib import admin

from clearinghouse.federation.models import HarvestedRecord, HarvestJob, HarvestSource, StoredSet


@admin.register(HarvestSource)
class HarvestSourceAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "base_url",
        "portal",
        "set_spec",
        "enabled",
        "scheduled",
        "interval_minutes",
        "next_run_at",
        "timeout_minutes",
        "next_from",
    )
    list_filter = ("portal", "enabled", "scheduled")
    readonly_fields = ("lease_owner", "lease_until", "run_requested_at")


@admin.register(HarvestJob)
class HarvestJobAdmin(admin.ModelAdmin):
    list_display = (
        "source",
        "started_at",
        "status",
        "pages",
        "expected",
        "created",
        "updated",
        "deleted",
        "quarantined",
    )
    list_filter = ("status", "source")
    readonly_fields = ("report",)


@admin.register(HarvestedRecord)
class HarvestedRecordAdmin(admin.ModelAdmin):
    list_display = ("remote_identifier", "source", "remote_datestamp", "deleted", "quarantined")
    list_filter = ("source", "deleted", "quarantined")
    search_fields = ("remote_identifier",)
    raw_id_fields = ("record",)


@admin.register(StoredSet)
class StoredSetAdmin(admin.ModelAdmin):
    list_display = ("spec", "name", "portal", "record_types", "countries", "targets")
    list_filter = ("portal",)
    search_fields = ("spec", "name")
