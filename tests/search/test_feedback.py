"""Editors' decisions on suggested tags: stored, fed back into later suggestions, and a
rejection is never suggested again for that record (API and editor page)."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.records import services
from clearinghouse.records.models import Draft, Record
from clearinghouse.search import learning, suggest
from clearinghouse.search.models import TagFeedback
from tests.factories import make_user, valid_document
from tests.helpers import Api, web

pytestmark = pytest.mark.django_db

RESTORATION = (
    "Replanting mangroves along degraded coastal lagoons: a guide to restoring damaged "
    "wetland ecosystems with local communities."
)
PARAPHRASES = [
    "Restoring degraded mangrove forests and coastal wetlands together with fishing villages.",
    "How communities replant mangroves to bring degraded lagoon shores back to life.",
]


def make_draft(portal: Any, user: Any, text: str, **changes: Any) -> Record:
    doc = valid_document(
        "resource",
        header={"languages": ["en"]},
        title={"en": text.split(":")[0]},
        summary={"en": text},
        gbfTargets=None,
        cbdSubjects=None,
        **changes,
    )
    return services.create_draft(portal, user, "resource", doc, strict=False)


def ids(items: list[Any]) -> list[str]:
    return [s["identifier"] if isinstance(s, dict) else s.identifier for s in items]


def test_api_stores_a_decision_and_refuses_bad_ones_whole(benin: Any, jean: Any) -> None:
    record = make_draft(benin, jean, RESTORATION)
    api = Api(user=jean)
    shown = api.get(f"/drafts/{record.uid}/suggestions").json()
    assert "GBF-TARGET-02" in ids(shown["targets"])
    target = next(s for s in shown["targets"] if s["identifier"] == "GBF-TARGET-02")

    # One bad decision among good ones: a 400 naming it, and nothing is stored.
    bad = api.post(
        f"/drafts/{record.uid}/suggestions",
        {
            "decisions": [
                {"scheme": "gbf-targets", "identifier": "GBF-TARGET-02", "decision": "accepted"},
                {"scheme": "gbf-targets", "identifier": "CBD-SUBJECT-FOR", "decision": "no"},
            ]
        },
    )
    assert bad.status_code == 400
    assert bad.json()["detail"].startswith("decisions[1]: CBD-SUBJECT-FOR is not a concept")
    assert not TagFeedback.objects.exists()

    resp = api.post(
        f"/drafts/{record.uid}/suggestions",
        {
            "decisions": [
                {
                    "scheme": "gbf-targets",
                    "identifier": "GBF-TARGET-02",
                    "decision": "accepted",
                    "confidence": target["confidence"],
                }
            ]
        },
    )
    assert resp.status_code == 200, resp.content
    row = TagFeedback.objects.get()
    assert (row.record_id, row.scheme, row.concept, row.decision, row.user) == (
        record.pk,
        "gbf-targets",
        "GBF-TARGET-02",
        "accepted",
        jean,
    )
    assert row.confidence == target["confidence"] and row.at is not None
    assert "mangroves" in row.text
    # Recording a decision does not change the draft unless asked to (apply).
    assert "gbfTargets" not in Draft.objects.get(record=record).document

    # Someone without editing rights on the portal can neither read nor decide.
    stranger = Api(user=make_user(None, username="stranger"))
    assert stranger.get(f"/drafts/{record.uid}/suggestions").status_code == 403
    denied = stranger.post(
        f"/drafts/{record.uid}/suggestions",
        {
            "decisions": [
                {
                    "scheme": "cbd-subjects",
                    "identifier": "CBD-SUBJECT-MAR",
                    "decision": "rejected",
                }
            ]
        },
    )
    assert denied.status_code == 403
    assert TagFeedback.objects.count() == 1


def test_rejection_suppresses_repeats_for_that_record(benin: Any, jean: Any) -> None:
    record = make_draft(benin, jean, RESTORATION)
    api = Api(user=jean)
    assert "GBF-TARGET-02" in ids(api.get(f"/drafts/{record.uid}/suggestions").json()["targets"])
    resp = api.post(
        f"/drafts/{record.uid}/suggestions",
        {
            "decisions": [
                {"scheme": "gbf-targets", "identifier": "GBF-TARGET-02", "decision": "rejected"}
            ]
        },
    )
    assert resp.status_code == 200
    assert "GBF-TARGET-02" not in ids(resp.json()["suggestions"]["targets"])
    again = api.get(f"/drafts/{record.uid}/suggestions").json()
    assert "GBF-TARGET-02" not in ids(again["targets"])
    assert again["targets"] or again["subjects"]  # the other suggestions are still offered
    # Changing one's mind replaces the decision (one row per record and concept).
    api.post(
        f"/drafts/{record.uid}/suggestions",
        {
            "decisions": [
                {"scheme": "gbf-targets", "identifier": "GBF-TARGET-02", "decision": "accepted"}
            ],
            "apply": True,
        },
    )
    row = TagFeedback.objects.get(record=record, concept="GBF-TARGET-02")
    assert row.decision == "accepted"
    assert Draft.objects.get(record=record).document["gbfTargets"] == [
        {"identifier": "GBF-TARGET-02"}
    ]


def test_accepted_tags_teach_later_suggestions(benin: Any, jean: Any) -> None:
    # Target 15 (business disclosure) has nothing to do with the words of this text.
    before = suggest.suggest(RESTORATION)
    assert "GBF-TARGET-15" not in ids(before.targets)
    for text in PARAPHRASES:
        other = make_draft(benin, jean, text)
        learning.record_decision(
            other, jean, "gbf-targets", "GBF-TARGET-15", "accepted", None, text
        )
    after = suggest.suggest(RESTORATION)
    learned = next((s for s in after.targets if s.identifier == "GBF-TARGET-15"), None)
    assert learned is not None, [(s.identifier, s.confidence) for s in after.targets]
    assert learned.reasons[0].startswith("editors accepted this target for similar texts")
    # An unrelated text is not affected by those decisions.
    unrelated = suggest.suggest("Invasive rats eradicated from small islands by biosecurity.")
    assert "GBF-TARGET-15" not in ids(unrelated.targets)
    # Turned off, the scorer is the plain one again.
    assert "GBF-TARGET-15" not in ids(suggest.suggest(RESTORATION, learn=False).targets)


def test_rejections_on_similar_texts_lower_the_confidence(benin: Any, jean: Any) -> None:
    def confidence() -> float:
        found = {s.identifier: s.confidence for s in suggest.suggest(RESTORATION).targets}
        return found.get("GBF-TARGET-02", 0.0)

    before = confidence()
    assert before >= 0.4
    for text in PARAPHRASES:
        other = make_draft(benin, jean, text)
        learning.record_decision(other, jean, "gbf-targets", "GBF-TARGET-02", "rejected", 0.8, text)
    assert confidence() < before


def test_editor_page_accept_adds_the_tag_and_reject_records_it(benin: Any, jean: Any) -> None:
    record = make_draft(benin, jean, RESTORATION)
    client = web(user=jean)
    url = f"/en/editor/drafts/{record.uid}/suggestions/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "GBF-TARGET-02" in html and 'value="accepted"' in html and 'value="rejected"' in html
    # The draft form links to the page.
    assert url in client.get(f"/en/editor/drafts/{record.uid}/").content.decode()

    resp = client.post(
        f"{url}decide",
        {
            "scheme": "gbf-targets",
            "identifier": "GBF-TARGET-02",
            "confidence": "0.8",
            "decision": "accepted",
        },
        follow=True,
    )
    assert resp.status_code == 200 and "Tag added to the draft." in resp.content.decode()
    assert {"identifier": "GBF-TARGET-02"} in Draft.objects.get(record=record).document[
        "gbfTargets"
    ]
    row = TagFeedback.objects.get(record=record)
    assert (row.decision, row.user, row.confidence) == ("accepted", jean, 0.8)
    # Accepted: now a tag of the draft, so no longer offered.
    assert "GBF-TARGET-02" not in client.get(url).content.decode()

    subject = next(iter(suggest.suggest(RESTORATION).subjects))
    client.post(
        f"{url}decide",
        {"scheme": "cbd-subjects", "identifier": subject.identifier, "decision": "rejected"},
    )
    assert TagFeedback.objects.get(concept=subject.identifier).decision == "rejected"
    assert "cbdSubjects" not in Draft.objects.get(record=record).document
    assert subject.identifier not in client.get(url).content.decode()

    # A concept of another scheme is refused with a message, and nothing changes.
    resp = client.post(
        f"{url}decide",
        {"scheme": "gbf-targets", "identifier": "bj", "decision": "accepted"},
        follow=True,
    )
    assert "bj is not a concept of gbf-targets" in resp.content.decode(), resp.content.decode()[
        :3000
    ]
    assert TagFeedback.objects.count() == 2


def test_editor_page_needs_editing_rights(benin: Any, jean: Any, peru: Any) -> None:
    record = make_draft(benin, jean, RESTORATION)
    stranger = make_user(peru, "authorized_user", username="stranger")
    url = f"/en/editor/drafts/{record.uid}/suggestions/"
    assert web(user=stranger).get(url).status_code == 404
    resp = web(user=stranger).post(
        f"{url}decide",
        {"scheme": "gbf-targets", "identifier": "GBF-TARGET-02", "decision": "rejected"},
    )
    assert resp.status_code == 404
    assert not TagFeedback.objects.exists()


def test_accepting_while_another_editor_holds_the_draft_changes_nothing(
    benin: Any, jean: Any, amina: Any
) -> None:
    record = make_draft(benin, jean, RESTORATION)
    services.lock_draft(record, amina)  # amina has the form open
    resp = web(user=jean).post(
        f"/en/editor/drafts/{record.uid}/suggestions/decide",
        {"scheme": "gbf-targets", "identifier": "GBF-TARGET-02", "decision": "accepted"},
        follow=True,
    )
    assert "is editing this record until" in resp.content.decode()
    assert "gbfTargets" not in Draft.objects.get(record=record).document
    assert not TagFeedback.objects.exists()  # the tag and the decision together, or neither
