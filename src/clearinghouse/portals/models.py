"""Portals (national and central), their host names and who may do what on each."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PortalKind(models.TextChoices):
    NATIONAL = "national", _("National portal")
    CENTRAL = "central", _("Central portal")


class PortalStatus(models.TextChoices):
    PREPUBLISHED = "prepublished", _("Pre-published")
    LIVE = "live", _("Live")
    ARCHIVED = "archived", _("Archived")


class Role(models.TextChoices):
    MANAGER = "manager", _("Manager")
    PUBLISHING_AUTHORITY = "publishing_authority", _("Publishing authority")
    AUTHORIZED_USER = "authorized_user", _("Authorized user")
    CONTRIBUTOR = "contributor", _("Contributor")
    READER = "reader", _("Reader")
    SECRETARIAT = "secretariat", _("Secretariat reviewer")


class Portal(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    kind = models.CharField(max_length=16, choices=PortalKind.choices, default=PortalKind.NATIONAL)
    # ISO 3166-1 alpha-2, upper case; empty for the central portal.
    country = models.CharField(max_length=2, blank=True, default="")
    name = models.JSONField(default=dict, help_text="Name per language code")
    languages = models.JSONField(default=list)
    default_language = models.CharField(max_length=8, default="en")
    status = models.CharField(
        max_length=16, choices=PortalStatus.choices, default=PortalStatus.PREPUBLISHED
    )
    is_default = models.BooleanField(
        default=False, help_text="Serves requests whose host name matches no portal"
    )
    accent_color = models.CharField(max_length=7, default="#0b6e4f")
    created_at = models.DateTimeField(default=timezone.now)
    last_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_portal",
            )
        ]

    def __str__(self) -> str:
        return self.code

    def display_name(self, language: str) -> str:
        from clearinghouse.records.i18n import pick

        return pick(self.name, language, self.default_language).text or self.code

    @property
    def is_central(self) -> bool:
        return self.kind == PortalKind.CENTRAL


class PortalHost(models.Model):
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="hosts")
    host = models.CharField(max_length=253, unique=True)

    def __str__(self) -> str:
        return self.host


class Membership(models.Model):
    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=24, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["portal", "user", "role"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role}@{self.portal}"


class AuditEntry(models.Model):
    """Who did what, when: written by every state-changing action."""

    portal = models.ForeignKey(Portal, on_delete=models.CASCADE, related_name="audit")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=128, blank=True, default="")
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.target}"
