"""The import page: managers of the central portal only; violations listed, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from clearinghouse.portals.models import PortalKind, Role
from clearinghouse.vocabularies.models import Concept
from tests.factories import PASSWORD, make_portal, make_user

pytestmark = pytest.mark.django_db

GOOD = b"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<http://example.org/h/s> a skos:ConceptScheme ; skos:prefLabel "Habitats"@en .
<http://example.org/h/w> a skos:Concept ; skos:inScheme <http://example.org/h/s> ;
    skos:prefLabel "Wetlands"@en .
"""
BAD = GOOD + b'<http://example.org/h/w> skos:prefLabel "Zones"@en .\n'


@pytest.fixture
def manager_client() -> Client:
    central = make_portal("central", "", hosts=["central.testserver"], kind=PortalKind.CENTRAL)
    user = make_user(central, Role.MANAGER, username="laila")
    client = Client(HTTP_HOST="central.testserver")
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_national_users_and_anonymous_cannot_import(web: Any, jean: Any) -> None:
    assert web.get("/en/vocab/import/").status_code == 403
    web.login(username="jean", password=PASSWORD)
    assert web.get("/en/vocab/import/").status_code == 403


def test_bad_file_lists_violations_and_stores_nothing(manager_client: Client) -> None:
    upload = SimpleUploadedFile("habitats.ttl", BAD)
    response = manager_client.post("/en/vocab/import/", {"file": upload})
    assert response.status_code == 400
    html = response.content.decode()
    assert "<code>http://example.org/h/w</code>: has 2 skos:prefLabel in language" in html
    assert "nothing was imported" in html
    assert not Concept.objects.filter(uri="http://example.org/h/w").exists()


def test_good_file_is_imported(manager_client: Client) -> None:
    response = manager_client.post(
        "/en/vocab/import/", {"file": SimpleUploadedFile("habitats.ttl", GOOD)}
    )
    assert response.status_code == 302
    assert Concept.objects.get(uri="http://example.org/h/w").pref_labels == {"en": "Wetlands"}
