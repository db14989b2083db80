"""The draft → request → approve/reject → published revision journey, through services."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from clearinghouse.records import services
from clearinghouse.records.models import Draft
from clearinghouse.workflows import engine
from clearinghouse.workflows.publication import request_publication
from tests.factories import valid_document

pytestmark = pytest.mark.django_db


def test_request_then_approve_publishes_a_new_revision(
    benin: Any, amina: Any, jean: Any, django_capture_on_commit_callbacks: Any
) -> None:
    record = services.create_draft(benin, amina, "resource", valid_document("resource"))
    with django_capture_on_commit_callbacks(execute=True):
        req = request_publication(record, amina, note="Nouveau guide")
    assert Draft.objects.get(record=record).under_review
    assert jean.email in mail.outbox[0].to

    with django_capture_on_commit_callbacks(execute=True):
        engine.perform(req, "approve", jean)

    record.refresh_from_db()
    assert record.is_public
    assert record.published.number == 1
    assert record.title["fr"] == "Guide de restauration des mangroves"
    assert not Draft.objects.filter(record=record).exists()
    assert amina.email in mail.outbox[-1].to


def test_reject_needs_a_comment_and_unlocks_the_draft(benin: Any, amina: Any, jean: Any) -> None:
    record = services.create_draft(benin, amina, "resource", valid_document("resource"))
    req = request_publication(record, amina)
    with pytest.raises(engine.NotAllowed):
        engine.perform(req, "reject", jean, "")
    engine.perform(req, "reject", jean, "Le résumé est trop court")
    draft = Draft.objects.get(record=record)
    assert not draft.under_review
    record.refresh_from_db()
    assert not record.is_public


def test_approving_twice_is_refused_with_a_clear_message(benin: Any, amina: Any, jean: Any) -> None:
    record = services.create_draft(benin, amina, "resource", valid_document("resource"))
    req = request_publication(record, amina)
    engine.perform(req, "approve", jean)
    with pytest.raises(engine.IllegalTransition, match="approved"):
        engine.perform(req, "approve", jean)


def test_authorized_user_cannot_approve_own_request(benin: Any, amina: Any) -> None:
    record = services.create_draft(benin, amina, "resource", valid_document("resource"))
    req = request_publication(record, amina)
    with pytest.raises(engine.NotAllowed):
        engine.perform(req, "approve", amina)
