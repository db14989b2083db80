"""Django forms derived from the record type declarations.

The form only parses input; the declaration's validator decides what is valid, and its
issues are attached to the form inputs they concern."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clearinghouse.records.errors import Issue
from clearinghouse.records.i18n import LANGUAGE_AUTONYMS, UN_LANGUAGES
from clearinghouse.records.types import RecordType
from clearinghouse.vocabularies import labels


class LanguagesForm(forms.Form):
    languages = forms.MultipleChoiceField(
        label=_("Languages of this record"),
        choices=[(code, LANGUAGE_AUTONYMS[code]) for code in UN_LANGUAGES],
        widget=forms.CheckboxSelectMultiple,
    )


def record_form_class(rtype: RecordType, languages: list[str], ui_language: str) -> type:
    fields: dict[str, forms.Field] = {}
    for fld in rtype.fields:
        inputs = fld.form_fields(languages, lambda scheme: labels.options(scheme, ui_language))
        for input_field in inputs.values():
            input_field.required = False  # requiredness is the validator's call
            input_field.widget.attrs.setdefault("aria-describedby", "")
        if fld.required:
            for input_field in inputs.values():
                input_field.widget.attrs["aria-required"] = "true"
                input_field.label = f"{input_field.label} *"
        fields.update(inputs)
    form_class: type = type(f"{rtype.schema}Form", (forms.Form,), fields)
    form_class.record_type = rtype  # type: ignore[attr-defined]
    form_class.languages = languages  # type: ignore[attr-defined]
    return form_class


def document_from_form(rtype: RecordType, data: Any, languages: list[str]) -> dict[str, Any]:
    doc: dict[str, Any] = {"header": {"schema": rtype.schema, "languages": languages}}
    for fld in rtype.fields:
        value = fld.from_form(data, languages)
        if not fld.is_empty(value):
            doc[fld.name] = value
    return doc


def initial_from_document(
    rtype: RecordType, document: dict[str, Any], languages: list[str]
) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    for fld in rtype.fields:
        initial.update(fld.to_initial(document.get(fld.name), languages))
    return initial


def attach_issues(form: forms.Form, rtype: RecordType, issues: list[Issue]) -> None:
    """Show each issue next to the input it concerns (or at the top of the form)."""
    if not form.is_bound and not hasattr(form, "cleaned_data"):
        # The draft page's check (?check=1) marks an unbound form, which was never
        # cleaned; add_error needs the (empty) cleaned data.
        form.cleaned_data = {}
    for issue in issues:
        base = issue.property.split(".")[0].split("[")[0]
        target = None
        if "." in issue.property:
            candidate = f"{base}__{issue.property.split('.', 1)[1]}"
            target = candidate if candidate in form.fields else None
        if target is None:
            target = next(
                (name for name in form.fields if name == base or name.startswith(f"{base}__")), None
            )
        form.add_error(target, issue.message())
        if target is not None:
            # Screen readers announce the message with the input (see editor/form.html).
            attrs = form.fields[target].widget.attrs
            attrs["aria-invalid"] = "true"
            attrs["aria-describedby"] = f"{form[target].auto_id}-err"
