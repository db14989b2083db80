"""Reviewers of small-grant proposals (the pool used by automatic assignment)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


def validate_country(value: str) -> None:
    """An ISO 3166 alpha-2 code in lower case, as the vocabulary ``countries``."""
    if len(value) != 2 or not value.isalpha() or value != value.lower():
        raise ValidationError(
            _("Give the country as a two-letter ISO code in lower case, e.g. pe.")
        )


class ReviewerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer_profile"
    )
    country = models.CharField(_("country"), max_length=2, validators=[validate_country])
    organization = models.CharField(_("organization"), max_length=300)
    active = models.BooleanField(_("active"), default=True)
    # Working languages (vocabulary ``languages``: LANG-EN, …); optional.
    languages = models.JSONField(_("languages"), default=list, blank=True)

    class Meta:
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.user} ({self.country}, {self.organization})"
