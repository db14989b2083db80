"""The cooperation pages: ranked providers with reasons, confirm match, provider view."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from clearinghouse.cooperation import services
from clearinghouse.workflows import engine
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(user: Any, host: str = "testserver") -> Client:
    client = Client(HTTP_HOST=host)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_helpdesk_sees_ranked_providers_and_confirms(
    carlos_record: Any,
    carlos: Any,
    helpdesk: Any,
    chile_institute: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    item = engine.perform(services.submit(carlos_record, carlos), "validate", helpdesk)
    client = login(helpdesk)
    page = client.get(f"/es/cooperation/requests/{item.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Instituto de Ecología y Biodiversidad" in html
    assert "GBF-TARGET-06" in html or "Meta 6" in html  # the target reason, in Spanish
    assert 'name="profile"' in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/es/cooperation/requests/{item.pk}/confirm/", {"profile": chile_institute.uid}
        )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.state == services.MATCHED
    assert item.data["match"]["language"] == "es"  # the provider is written to in Spanish
    assert len(mail.outbox) == 2


def test_requester_cannot_confirm_and_strangers_see_nothing(
    carlos_record: Any, carlos: Any, helpdesk: Any, chile_institute: Any
) -> None:
    item = engine.perform(services.submit(carlos_record, carlos), "validate", helpdesk)
    client = login(carlos, "pe.testserver")
    page = client.get(f"/es/cooperation/requests/{item.pk}/")
    assert page.status_code == 200 and "Confirm" not in page.content.decode()
    client.post(f"/es/cooperation/requests/{item.pk}/confirm/", {"profile": chile_institute.uid})
    item.refresh_from_db()
    assert item.state == services.VALIDATED
    stranger = login(chile_institute.created_by)
    assert stranger.get(f"/en/cooperation/requests/{item.pk}/").status_code == 404


def test_submit_from_the_index_and_act(carlos_record: Any, carlos: Any, central: Any) -> None:
    client = login(carlos, "pe.testserver")
    index = client.get("/es/cooperation/")
    assert carlos_record.uid in index.content.decode()
    response = client.post(f"/es/cooperation/submit/{carlos_record.uid}/")
    item = services.Request.objects.get(kind=services.KIND)
    assert response.status_code == 302 and item.state == services.SUBMITTED
    client.post(f"/es/cooperation/requests/{item.pk}/act/", {"action": "close", "comment": "x"})
    item.refresh_from_db()
    assert item.state == services.CLOSED


def test_provider_sees_fitting_requests(
    carlos_record: Any, carlos: Any, helpdesk: Any, chile_institute: Any
) -> None:
    engine.perform(services.submit(carlos_record, carlos), "validate", helpdesk)
    client = login(chile_institute.created_by)
    page = client.get(f"/en/cooperation/providers/{chile_institute.uid}/")
    assert page.status_code == 200
    assert "Manejo de especies exóticas invasoras" in page.content.decode()


def test_helpdesk_index_and_cycle(carlos_record: Any, carlos: Any, helpdesk: Any) -> None:
    engine.perform(services.submit(carlos_record, carlos), "validate", helpdesk)
    client = login(helpdesk)
    assert "Indicators" in client.get("/en/cooperation/").content.decode()
    client.post("/en/cooperation/cycle/")
    assert services.Request.objects.get(kind=services.KIND).data["cycles"] == 1


def test_pages_through_the_whole_lifecycle(
    carlos_record: Any, carlos: Any, helpdesk: Any, chile_institute: Any
) -> None:
    item = engine.perform(services.submit(carlos_record, carlos), "validate", helpdesk)
    services.confirm_match(item, helpdesk, chile_institute.uid)
    provider = login(chile_institute.created_by)
    url = f"/en/cooperation/requests/{item.pk}/"
    assert "Instituto de Ecología" in provider.get(url).content.decode()  # matched provider
    for action in ("agree", "start"):
        provider.post(f"{url}act/", {"action": action})
    page = provider.get(url).content.decode()
    assert "<strong>in implementation</strong>" in page  # the state's label, not its code
    assert ">Complete (with the report)</button>" in page and "agreement" in page
    requester = login(carlos, "pe.testserver")
    requester.post(f"{url}act/", {"action": "complete", "comment": ""})  # refused: no report
    item.refresh_from_db()
    assert item.state == services.IN_IMPLEMENTATION
    requester.post(f"{url}act/", {"action": "complete", "comment": "30 guardaparques formados"})
    item.refresh_from_db()
    assert item.state == services.COMPLETED
    page = requester.get(url.replace("/en/", "/es/")).content.decode()
    assert "30 guardaparques formados" in page
