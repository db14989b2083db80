from django.contrib import admin

from clearinghouse.portals.models import AuditEntry, Membership, Portal, PortalHost


class HostInline(admin.TabularInline):
    model = PortalHost
    extra = 0


@admin.register(Portal)
class PortalAdmin(admin.ModelAdmin):
    list_display = ("code", "kind", "country", "status", "is_default")
    list_filter = ("kind", "status")
    inlines = [HostInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "portal", "role")
    list_filter = ("role", "portal")


@admin.register(AuditEntry)
class AuditAdmin(admin.ModelAdmin):
    list_display = ("at", "portal", "user", "action", "target")
    list_filter = ("action", "portal")
