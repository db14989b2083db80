"""Suggested tags on a draft, and the editor's decisions on them (the editor page and the API
both call these): accepting adds the tag to the draft and records the decision, rejecting
records it (the concept is not suggested again for this record)."""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clearinghouse.portals import permissions
from clearinghouse.records import services
from clearinghouse.records.fields import Term
from clearinghouse.records.models import Draft, Record
from clearinghouse.records.types import get_type
from clearinghouse.search import learning, suggest
from clearinghouse.search.models import TagFeedback


class NoDraft(services.RecordError):
    pass


def draft_of(record: Record, user: Any) -> Draft:
    if not permissions.can_draft(user, record.portal):
        raise services.Forbidden(_("You cannot edit records on this portal."))
    draft = Draft.objects.filter(record=record).first()
    if draft is None:
        raise NoDraft(_("This record has no draft to tag."))
    return draft


def draft_text(draft: Draft) -> str:
    return suggest.document_text(draft.document or {})


def for_draft(record: Record, user: Any, language: str) -> suggest.Suggestions:
    """Suggestions for the draft's text, without the concepts rejected for this record nor
    those it already carries."""
    draft = draft_of(record, user)
    out = suggest.suggest(draft_text(draft), language, record_id=record.pk)
    tagged = current_tags(record.schema, draft.document or {})
    out.targets = [s for s in out.targets if s.identifier not in tagged]
    out.subjects = [s for s in out.subjects if s.identifier not in tagged]
    out.countries = [s for s in out.countries if s.identifier not in tagged]
    return out


def _term_field(schema: str, scheme: str) -> Term | None:
    """The field that takes concepts of ``scheme``: a list field first (``countryRegions``
    rather than a record's single ``country``)."""
    fields = [f for f in get_type(schema).fields if isinstance(f, Term) and f.scheme == scheme]
    return next((f for f in fields if f.multiple), fields[0] if fields else None)


def current_tags(schema: str, document: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for f in get_type(schema).fields:
        if isinstance(f, Term) and f.scheme in learning.SCHEMES:
            value = document.get(f.name)
            items = value if isinstance(value, list) else [value]
            out |= {i["identifier"] for i in items if isinstance(i, dict) and "identifier" in i}
    return out


def decide(
    record: Record,
    user: Any,
    scheme: str,
    concept: str,
    decision: str,
    confidence: float | None = None,
    apply: bool = False,
) -> TagFeedback:
    """Record the decision; with ``apply``, an accepted concept is also added to the draft."""
    learning.check(scheme, concept, decision, confidence)  # before anything changes
    with transaction.atomic():  # the tag and the decision together, or neither
        return _decide(record, user, scheme, concept, decision, confidence, apply)


def _decide(
    record: Record,
    user: Any,
    scheme: str,
    concept: str,
    decision: str,
    confidence: float | None,
    apply: bool,
) -> TagFeedback:
    draft = draft_of(record, user)
    if apply and decision == TagFeedback.ACCEPTED:
        term = _term_field(record.schema, scheme)
        if term is None:
            raise learning.FeedbackError(
                _("Records of this type have no field for %(scheme)s.") % {"scheme": scheme}
            )
        document = copy.deepcopy(draft.document or {})
        if term.multiple:
            current = document.get(term.name)
            items = current if isinstance(current, list) else []
            if concept not in {i.get("identifier") for i in items if isinstance(i, dict)}:
                document[term.name] = [*items, {"identifier": concept}]
        elif not document.get(term.name):
            document[term.name] = {"identifier": concept}
        else:
            raise learning.FeedbackError(
                _("The field “%(field)s” already has a value; change it in the form.")
                % {"field": term.label}
            )
        services.update_draft(record, user, document, strict=False)
        services.release_lock(record, user)
        draft.refresh_from_db()
    return learning.record_decision(
        record, user, scheme, concept, decision, confidence, draft_text(draft)
    )
