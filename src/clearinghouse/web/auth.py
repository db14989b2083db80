"""Log-in form with our own translatable wording.

Django ships no catalog for the plain ``zh`` code we serve under /zh/, so the labels and
errors of its stock form would stay English there."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("The user name or password is not correct. Both are case-sensitive."),
        "inactive": _("This account is inactive."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("User name")
        self.fields["password"].label = _("Password")
        for field in self.fields.values():
            field.error_messages["required"] = _("This field is required.")
        self.fields["password"].widget = forms.PasswordInput(
            attrs={"autocomplete": "current-password"}
        )
