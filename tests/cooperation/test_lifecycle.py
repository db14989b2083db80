"""The assistance request lifecycle, matching cycles, escalation and notifications."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from clearinghouse.cooperation import services
from clearinghouse.cooperation.services import (
    AGREED,
    CLOSED,
    COMPLETED,
    IN_IMPLEMENTATION,
    MATCHED,
    STATES,
    SUBMITTED,
    VALIDATED,
    WORKFLOW,
)
from clearinghouse.records.errors import RecordInvalid
from clearinghouse.workflows import engine
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=False)

# action → (legal source states, target)
EXPECTED = {
    "validate": ({SUBMITTED}, VALIDATED),
    "match": ({VALIDATED}, MATCHED),
    "decline": ({MATCHED}, VALIDATED),
    "agree": ({MATCHED}, AGREED),
    "start": ({AGREED}, IN_IMPLEMENTATION),
    "complete": ({IN_IMPLEMENTATION}, COMPLETED),
    "close": ({SUBMITTED, VALIDATED, MATCHED, AGREED, IN_IMPLEMENTATION}, CLOSED),
}


def test_declared_transitions() -> None:
    assert set(WORKFLOW.actions) == set(EXPECTED)
    for name, (sources, target) in EXPECTED.items():
        assert WORKFLOW.actions[name].sources == frozenset(sources)
        assert WORKFLOW.actions[name].target == target


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_every_transition_legal_or_refused(
    action: str, state: str, carlos_record: Any, carlos: Any, helpdesk: Any, chile_institute: Any
) -> None:
    request = services.submit(carlos_record, carlos)
    request.state = state
    request.data["match"] = {"profile": chile_institute.uid, "emails": []}
    request.save()
    sources, target = EXPECTED[action]
    if state in sources:
        done = engine.perform(request, action, helpdesk, "report or reason")
        assert done.state == target
    else:
        with pytest.raises(engine.IllegalTransition):
            engine.perform(request, action, helpdesk, "report or reason")


def test_permissions(carlos_record: Any, carlos: Any, helpdesk: Any, central: Any) -> None:
    request = services.submit(carlos_record, carlos)
    assert request.portal == central and request.state == SUBMITTED
    stranger = make_user(username="stranger")
    with pytest.raises(engine.NotAllowed):
        engine.perform(request, "validate", carlos)  # only the helpdesk validates
    with pytest.raises(engine.NotAllowed):
        engine.perform(request, "close", stranger, "no")
    with pytest.raises(engine.NotAllowed):
        engine.perform(request, "close", carlos, "")  # a reason is needed
    assert engine.perform(request, "close", carlos, "Solved locally").state == CLOSED


def test_invalid_request_is_refused(peru: Any, carlos: Any, central: Any) -> None:
    from clearinghouse.records import services as record_services
    from tests.factories import valid_document

    record = record_services.create_draft(
        peru, carlos, "bbiRequest", valid_document("bbiRequest", problem=None), strict=False
    )
    with pytest.raises(RecordInvalid):
        services.submit(record, carlos)


def test_carlos_journey(
    carlos_record: Any,
    carlos: Any,
    helpdesk: Any,
    chile_institute: Any,
    chinese_institute: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = services.submit(carlos_record, carlos)
    request = engine.perform(request, "validate", helpdesk)
    ranked = services.suggestions(request, "es")
    assert [s.provider.key for s in ranked] == [chile_institute.uid]  # China covers Asia only
    assert all(c.explanation for c in ranked[0].components)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request = services.confirm_match(request, helpdesk, chile_institute.uid)
    assert request.state == MATCHED
    recipients = {addr for m in mail.outbox for addr in m.to}
    assert {"carlos@example.org", "contacto@ieb.example.cl", "ieb@example.org"} <= recipients
    provider_user = chile_institute.created_by
    request = engine.perform(request, "agree", provider_user)
    request = engine.perform(request, "start", carlos)
    with pytest.raises(engine.NotAllowed):
        engine.perform(request, "complete", carlos, "")
    request = engine.perform(request, "complete", carlos, "Se capacitó a 30 guardaparques.")
    assert request.state == COMPLETED and request.data["report"].startswith("Se capacitó")
    figures = services.indicators()
    assert figures["by_state"][COMPLETED] == 1 and figures["matched"] == 1
    assert figures["median_days_to_match"] is not None
    # the completed assignment counts in the provider's track record
    (provider,) = [p for p in services.load_providers() if p.key == chile_institute.uid]
    assert provider.track_record == 1 and provider.active == 0


def test_capacity_is_taken_by_active_matches(
    carlos_record: Any, carlos: Any, helpdesk: Any, chile_institute: Any
) -> None:
    request = engine.perform(services.submit(carlos_record, carlos), "validate", helpdesk)
    services.confirm_match(request, helpdesk, chile_institute.uid)
    (provider,) = services.load_providers()
    assert provider.active == 1 and provider.open_slots == 2  # capacity 3 in the factory


def test_only_helpdesk_confirms(
    carlos_record: Any, carlos: Any, helpdesk: Any, chile_institute: Any
) -> None:
    request = engine.perform(services.submit(carlos_record, carlos), "validate", helpdesk)
    with pytest.raises(engine.NotAllowed):
        services.confirm_match(request, carlos, chile_institute.uid)


def test_escalation_after_two_cycles(
    carlos_record: Any,
    carlos: Any,
    helpdesk: Any,
    chinese_institute: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = engine.perform(services.submit(carlos_record, carlos), "validate", helpdesk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.run_cycle()
    request.refresh_from_db()
    assert first == {"requests": 1, "with_suggestions": 0, "escalated": 0}
    assert request.data["cycles"] == 1 and not request.data.get("last_resort")
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        second = services.run_cycle()
    request.refresh_from_db()
    assert second["escalated"] == 1 and request.data["last_resort"] is True
    assert {"laila@example.org", "carlos@example.org"} <= set(mail.outbox[0].to)
    with django_capture_on_commit_callbacks(execute=True):
        third = services.run_cycle()
    assert third["escalated"] == 0 and len(mail.outbox) == 1  # told once
    assert services.indicators()["last_resort"] == 1


def test_overrides(
    carlos_record: Any, carlos: Any, helpdesk: Any, chile_institute: Any, chinese_institute: Any
) -> None:
    request = engine.perform(services.submit(carlos_record, carlos), "validate", helpdesk)
    with pytest.raises(engine.NotAllowed):
        services.set_override(request, carlos, chinese_institute.uid, "pin")
    request = services.set_override(request, helpdesk, chinese_institute.uid, "pin")
    ranked = services.suggestions(request)
    assert ranked[0].provider.key == chinese_institute.uid and ranked[0].pinned
    assert ranked[0].warnings
    request = services.set_override(request, helpdesk, chile_institute.uid, "exclude")
    assert [s.provider.key for s in services.suggestions(request)] == [chinese_institute.uid]


def test_provider_sees_fitting_requests(
    carlos_record: Any, carlos: Any, helpdesk: Any, chile_institute: Any, chinese_institute: Any
) -> None:
    request = engine.perform(services.submit(carlos_record, carlos), "validate", helpdesk)
    fits = services.fitting_requests(chile_institute)
    assert [f["request"].pk for f in fits] == [request.pk]
    assert services.fitting_requests(chinese_institute) == []


def test_cycle_command(carlos_record: Any, carlos: Any, helpdesk: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    engine.perform(services.submit(carlos_record, carlos), "validate", helpdesk)
    out = StringIO()
    call_command("run_matching_cycle", stdout=out)
    assert "1 requests" in out.getvalue()


def test_demo_content_supports_the_journeys(db: Any) -> None:
    from clearinghouse.portals.demo import load_demo
    from clearinghouse.records.models import Record

    load_demo()
    carlos_request = Record.objects.get(schema="bbiRequest", created_by__username="carlos")
    carlos = carlos_request.created_by
    stranger = make_user(username="unused")
    request = services.submit(carlos_request, carlos)
    helpdesk = type(carlos).objects.get(username="laila")
    request = engine.perform(request, "validate", helpdesk)
    names = [s.name for s in services.suggestions(request, "es")]
    assert names[0].startswith("Instituto de Ecología")
    assert "Red de Universidades Españolas por la Biodiversidad" in names
    assert services.is_helpdesk(helpdesk) and not services.is_helpdesk(stranger)
    from clearinghouse.cooperation.models import ReviewerProfile

    assert ReviewerProfile.objects.filter(active=True).count() == 3


def test_cycles_tell_fitting_providers_once(
    carlos_record: Any,
    carlos: Any,
    helpdesk: Any,
    chile_institute: Any,
    chinese_institute: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    engine.perform(services.submit(carlos_record, carlos), "validate", helpdesk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.run_cycle()
    assert [sorted(m.to) for m in mail.outbox] == [["contacto@ieb.example.cl", "ieb@example.org"]]
    assert chile_institute.uid in mail.outbox[0].body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.run_cycle()  # second cycle: escalation only, the provider was already told
    assert all("ieb@example.org" not in m.to for m in mail.outbox)
