"""Publication and deletion requests: every legal and illegal move, expiry, batches,
notes, review locks, edit locks and deletion tombstones."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from clearinghouse.portals.models import Role
from clearinghouse.records import services
from clearinghouse.records.models import Draft, Record
from clearinghouse.workflows import engine
from clearinghouse.workflows.models import Request
from clearinghouse.workflows.publication import (
    decide_batch,
    request_deletion,
    request_publication,
)
from tests.factories import make_user, valid_document
from tests.helpers import Api, draft, published, web

pytestmark = pytest.mark.django_db

ACTIONS = ["approve", "reject", "cancel", "expire"]
CLOSED = {"approve": "approved", "reject": "rejected", "cancel": "cancelled", "expire": "expired"}


def _open(kind: str, benin: Any, amina: Any, jean: Any) -> Request:
    if kind == "publish":
        return request_publication(draft(benin, amina), amina, note="please")
    return request_deletion(published(benin, jean), amina, note="obsolete")


def _actor(action: str, amina: Any, jean: Any) -> Any:
    return {"approve": jean, "reject": jean, "cancel": amina, "expire": None}[action]


def _take(req: Request, action: str, amina: Any, jean: Any) -> Request:
    return engine.perform(req, action, _actor(action, amina, jean), "a reason")


@pytest.mark.parametrize("kind", ["publish", "delete"])
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_is_legal_from_pending(
    kind: str, action: str, benin: Any, amina: Any, jean: Any
) -> None:
    req = _open(kind, benin, amina, jean)
    assert req.state == "pending"
    done = _take(req, action, amina, jean)
    assert done.state == CLOSED[action]
    assert Request.objects.get(pk=req.pk).state == CLOSED[action]
    assert [e.action for e in done.events.all()] == ["create", action]
    record = Record.objects.get(pk=req.record_id)
    if kind == "publish":
        assert record.is_public == (action == "approve")
        if action != "approve":  # the draft is free to edit again
            assert not Draft.objects.get(record=record).under_review
    else:
        assert (record.deleted_at is not None) == (action == "approve")


@pytest.mark.parametrize("kind", ["publish", "delete"])
@pytest.mark.parametrize("closing", ACTIONS)
@pytest.mark.parametrize("action", ACTIONS)
def test_no_action_is_legal_once_decided(
    kind: str, closing: str, action: str, benin: Any, amina: Any, jean: Any
) -> None:
    req = _take(_open(kind, benin, amina, jean), closing, amina, jean)
    with pytest.raises(engine.IllegalTransition, match=CLOSED[closing]):
        _take(req, action, amina, jean)
    assert Request.objects.get(pk=req.pk).state == CLOSED[closing]


def test_unknown_action_lists_the_possible_ones(benin: Any, amina: Any, jean: Any) -> None:
    req = _open("publish", benin, amina, jean)
    with pytest.raises(engine.IllegalTransition, match="approve, reject, cancel"):
        engine.perform(req, "publish", jean)


@pytest.mark.parametrize("kind", ["publish", "delete"])
def test_who_may_take_which_action(kind: str, benin: Any, amina: Any, jean: Any) -> None:
    req = _open(kind, benin, amina, jean)
    colleague = make_user(benin, Role.AUTHORIZED_USER)
    for action, user in [
        ("approve", amina),  # requester cannot approve
        ("reject", amina),
        ("cancel", jean),  # only the requester cancels
        ("cancel", colleague),
        ("expire", jean),  # only the system expires
        ("approve", colleague),
    ]:
        with pytest.raises(engine.NotAllowed):
            engine.perform(req, action, user, "comment")
    assert Request.objects.get(pk=req.pk).state == "pending"
    assert engine.workflow_for(req).available(req, jean) == ["approve", "reject"]
    assert engine.workflow_for(req).available(req, amina) == ["cancel"]


def test_rejection_needs_a_comment(benin: Any, amina: Any, jean: Any) -> None:
    req = _open("delete", benin, amina, jean)
    with pytest.raises(engine.NotAllowed, match="comment"):
        engine.perform(req, "reject", jean, "   ")
    done = engine.perform(req, "reject", jean, "Still relevant")
    assert done.comment == "Still relevant"
    assert done.decided_by == jean


def test_publisher_publishes_again_after_changes(benin: Any, amina: Any, jean: Any) -> None:
    record = published(benin, jean)
    services.edit_published(record, amina)
    doc = valid_document("resource", title={"fr": "Nouveau titre", "en": "New title"})
    services.update_draft(record, amina, doc)
    engine.perform(request_publication(record, amina), "approve", jean)
    record.refresh_from_db()
    assert record.published.number == 2
    assert record.title["en"] == "New title"


# --- expiry ------------------------------------------------------------------------------
def test_expire_requests_command(benin: Any, amina: Any, jean: Any) -> None:
    old = request_publication(draft(benin, amina), amina)
    fresh = request_publication(draft(benin, amina), amina)
    decided = request_publication(draft(benin, amina), amina)
    engine.perform(decided, "approve", jean)
    past = timezone.now() - dt.timedelta(days=1)
    Request.objects.filter(pk__in=[old.pk, decided.pk]).update(expires_at=past)

    out = io.StringIO()
    call_command("expire_requests", stdout=out)

    assert "1 requests expired" in out.getvalue()
    old.refresh_from_db()
    assert old.state == "expired"
    assert old.events.last().comment == "Expired without a decision."
    assert not Draft.objects.get(record=old.record).under_review
    assert Request.objects.get(pk=fresh.pk).state == "pending"
    assert Request.objects.get(pk=decided.pk).state == "approved"

    out = io.StringIO()
    call_command("expire_requests", stdout=out)
    assert "0 requests expired" in out.getvalue()


def test_requests_expire_after_twelve_weeks(benin: Any, amina: Any) -> None:
    req = request_publication(draft(benin, amina), amina)
    assert req.expires_at is not None
    weeks = (req.expires_at - req.created_at) / dt.timedelta(weeks=1)
    assert round(weeks) == 12


# --- batches -----------------------------------------------------------------------------
def test_batch_approval_publishes_every_request(benin: Any, amina: Any, jean: Any) -> None:
    reqs = [request_publication(draft(benin, amina), amina, batch_id="b-1") for _ in range(3)]
    other = request_publication(draft(benin, amina), amina, batch_id="b-2")
    done = decide_batch("b-1", benin.pk, "approve", jean)
    assert len(done) == 3
    for req in reqs:
        assert Record.objects.get(pk=req.record_id).is_public
    assert Request.objects.get(pk=other.pk).state == "pending"


def test_batch_approval_from_the_review_queue(benin: Any, amina: Any, jean: Any) -> None:
    reqs = [request_publication(draft(benin, amina), amina, batch_id="b-9") for _ in range(2)]
    client = web("bj.testserver", jean)
    queue = client.get("/en/editor/reviews/")
    assert "Batch b-9: 2 requests" in queue.content.decode()
    response = client.post("/en/editor/batches/b-9/decide/", {"action": "approve"}, follow=True)
    assert "2 requests: approval." in response.content.decode()
    assert all(Request.objects.get(pk=r.pk).state == "approved" for r in reqs)


def test_batch_approval_by_the_requester_is_refused(benin: Any, amina: Any) -> None:
    req = request_publication(draft(benin, amina), amina, batch_id="b-3")
    with pytest.raises(engine.NotAllowed):
        decide_batch("b-3", benin.pk, "approve", amina)
    assert Request.objects.get(pk=req.pk).state == "pending"


# --- notes -------------------------------------------------------------------------------
def test_note_longer_than_1000_characters_is_refused(benin: Any, amina: Any) -> None:
    record = draft(benin, amina)
    with pytest.raises(services.RecordError, match="1000"):
        request_publication(record, amina, note="x" * 1001)
    assert not Request.objects.exists()
    assert not Draft.objects.get(record=record).under_review
    assert request_publication(record, amina, note="x" * 1000).note == "x" * 1000


def test_deletion_note_longer_than_1000_characters_is_refused(
    benin: Any, amina: Any, jean: Any
) -> None:
    record = published(benin, jean)
    with pytest.raises(services.RecordError, match="1000"):
        request_deletion(record, amina, note="x" * 1001)
    assert not Request.objects.exists()


def test_long_note_through_the_api_is_a_clear_error(benin: Any, amina: Any) -> None:
    record = draft(benin, amina)
    response = Api("bj.testserver", amina).post(
        f"/drafts/{record.uid}/request-publication", {"note": "x" * 1001}
    )
    assert response.status_code == 409
    assert "1000" in response.json()["detail"]


# --- locks -------------------------------------------------------------------------------
def test_draft_is_locked_while_under_review(benin: Any, amina: Any, jean: Any) -> None:
    record = draft(benin, amina)
    req = request_publication(record, amina)
    changed = valid_document("resource", authors="Someone else")
    for user in (amina, jean):
        with pytest.raises(services.Locked, match="under review"):
            services.update_draft(record, user, changed)
    with pytest.raises(services.Locked):
        services.discard_draft(record, amina)
    with pytest.raises(services.Locked):
        request_publication(record, amina)
    with pytest.raises(services.Locked):
        services.publish(record, jean)
    assert Draft.objects.get(record=record).document["authors"] == "A. Author"

    api = Api("bj.testserver", amina)
    response = api.put(f"/drafts/{record.uid}", {"document": changed})
    assert response.status_code == 409

    page = web("bj.testserver", amina).post(
        f"/en/editor/drafts/{record.uid}/", {"action": "save", "authors": "X"}
    )
    assert "under review" in page.content.decode()
    assert Draft.objects.get(record=record).document["authors"] == "A. Author"

    engine.perform(req, "cancel", amina)
    services.update_draft(record, amina, changed)
    assert Draft.objects.get(record=record).document["authors"] == "Someone else"


def test_edit_lock_between_two_users(benin: Any, amina: Any, jean: Any) -> None:
    record = draft(benin, amina)
    services.lock_draft(record, amina)
    changed = valid_document("resource", authors="Jean")
    with pytest.raises(services.Locked, match="amina is editing"):
        services.update_draft(record, jean, changed)
    # The holder keeps editing.
    services.update_draft(record, amina, valid_document("resource", authors="Amina"))
    # The other user sees who holds the lock in the editor.
    page = web("bj.testserver", jean).post(
        f"/en/editor/drafts/{record.uid}/", {"action": "save", "authors": "Jean"}
    )
    assert "amina is editing this record" in page.content.decode()
    assert Draft.objects.get(record=record).document["authors"] == "Amina"

    services.release_lock(record, amina)
    services.update_draft(record, jean, changed)
    assert Draft.objects.get(record=record).document["authors"] == "Jean"


def test_edit_lock_lapses(benin: Any, amina: Any, jean: Any) -> None:
    record = draft(benin, amina)
    services.lock_draft(record, amina)
    Draft.objects.filter(record=record).update(
        locked_until=timezone.now() - dt.timedelta(minutes=1)
    )
    services.update_draft(record, jean, valid_document("resource", authors="Jean"))
    assert Draft.objects.get(record=record).updated_by == jean


# --- deletion ----------------------------------------------------------------------------
def test_deletion_leaves_a_tombstone(benin: Any, amina: Any, jean: Any) -> None:
    record = published(benin, jean)
    engine.perform(request_deletion(record, amina, note="superseded"), "approve", jean)
    record.refresh_from_db()
    assert record.deleted_at is not None
    assert record.revisions.count() == 1  # history kept

    page = web("bj.testserver").get(f"/en/r/{record.uid}/")
    assert page.status_code == 410
    assert "This record was deleted" in page.content.decode()

    response = Api("bj.testserver").get(f"/records/{record.uid}")
    assert response.status_code == 410
    assert "deleted" in response.json()["detail"]

    listing = Api("bj.testserver").get("/records").json()
    assert record.uid not in [r["uid"] for r in listing["results"]]


def test_deletion_of_an_unpublished_record_is_refused(benin: Any, amina: Any) -> None:
    with pytest.raises(services.RecordError, match="published"):
        request_deletion(draft(benin, amina), amina)


def test_only_one_pending_deletion_request(benin: Any, amina: Any, jean: Any) -> None:
    record = published(benin, jean)
    request_deletion(record, amina)
    with pytest.raises(services.RecordError, match="already pending"):
        request_deletion(record, amina)


def test_opening_the_editor_takes_the_edit_lock(benin: Any, amina: Any, jean: Any) -> None:
    record = draft(benin, amina)
    amina_browser = web("bj.testserver", amina)
    jean_browser = web("bj.testserver", jean)
    amina_browser.get(f"/en/editor/drafts/{record.uid}/")

    # Jean opens the same draft: he is told who is editing it, and cannot save over it.
    page = jean_browser.get(f"/en/editor/drafts/{record.uid}/").content.decode()
    assert "amina is editing this record until" in page
    jean_browser.post(f"/en/editor/drafts/{record.uid}/", {"action": "save", "authors": "J"})
    response = Api("bj.testserver", jean).put(
        f"/drafts/{record.uid}", {"document": valid_document("resource", authors="J")}
    )
    assert response.status_code == 409
    assert "amina is editing" in response.json()["detail"]
    assert Draft.objects.get(record=record).document["authors"] == "A. Author"

    # Amina saves and leaves; once her lock is released Jean can edit.
    amina_browser.post(
        f"/en/editor/drafts/{record.uid}/",
        {"action": "save", "title__fr": "Guide", "authors": "Amina"},
    )
    page = jean_browser.get(f"/en/editor/drafts/{record.uid}/").content.decode()
    assert "is editing this record" not in page
    with pytest.raises(services.Locked, match="jean is editing"):
        services.update_draft(record, amina, valid_document("resource"))


def test_deleting_a_record_closes_its_pending_publication_request(
    benin: Any, amina: Any, jean: Any
) -> None:
    record = published(benin, jean)
    services.edit_published(record, amina)
    publication = request_publication(record, amina, note="new version")
    engine.perform(request_deletion(record, amina), "approve", jean)

    publication.refresh_from_db()
    assert publication.state == "rejected"
    assert publication.comment == "The record was deleted."
    # Nothing left to decide: a clear refusal, not a server error.
    response = Api("bj.testserver", jean).post(f"/requests/{publication.pk}/approve")
    assert response.status_code == 409
    assert Api("bj.testserver").get(f"/records/{record.uid}").status_code == 410


# --- the review pages ----------------------------------------------------------------
def test_reviewer_sees_the_proposed_changes_and_approves_on_the_web(
    benin: Any, amina: Any, jean: Any
) -> None:
    record = published(benin, jean)
    services.edit_published(record, amina)
    services.update_draft(record, amina, valid_document("resource", authors="A. Author et C. Cé"))
    req = request_publication(record, amina, note="Co-author added")
    client = web("bj.testserver", jean)
    page = client.get(f"/en/editor/requests/{req.pk}/").content.decode()
    assert "Changes against the published version" in page
    assert "A. Author <ins>et C. Cé</ins>" in page
    assert "Co-author added" in page
    assert 'value="approve"' in page
    assert 'value="reject"' in page
    assert 'value="cancel"' not in page

    response = client.post(f"/en/editor/requests/{req.pk}/decide/", {"action": "approve"})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.published.number == 2
    assert record.published.document["authors"] == "A. Author et C. Cé"


def test_rejecting_on_the_web_without_a_comment_is_explained(
    benin: Any, amina: Any, jean: Any
) -> None:
    req = request_publication(draft(benin, amina), amina)
    client = web("bj.testserver", jean)
    page = client.post(
        f"/en/editor/requests/{req.pk}/decide/", {"action": "reject", "comment": ""}, follow=True
    ).content.decode()
    assert "Please give a comment explaining the decision." in page
    assert Request.objects.get(pk=req.pk).state == "pending"
    client.post(f"/en/editor/requests/{req.pk}/decide/", {"action": "reject", "comment": "Vague"})
    assert Request.objects.get(pk=req.pk).state == "rejected"
    # The requester sees the outcome and the reason on their dashboard.
    dashboard = web("bj.testserver", amina).get("/en/editor/").content.decode()
    assert "rejected" in dashboard
    assert "Vague" in dashboard


def test_requester_cancels_on_the_web(benin: Any, amina: Any) -> None:
    req = request_publication(draft(benin, amina), amina)
    client = web("bj.testserver", amina)
    page = client.get(f"/en/editor/requests/{req.pk}/").content.decode()
    assert 'value="cancel"' in page
    assert 'value="approve"' not in page
    client.post(f"/en/editor/requests/{req.pk}/decide/", {"action": "cancel"})
    assert Request.objects.get(pk=req.pk).state == "cancelled"
    assert not Draft.objects.get(record=req.record).under_review
