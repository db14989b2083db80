"""The vocabulary search lists the current portal's national schemes with the global ones;
other portals' national schemes are not listed, but their pages stay reachable by URL."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from clearinghouse.vocabularies.models import Concept, ConceptScheme
from tests.factories import make_portal

pytestmark = pytest.mark.django_db


@pytest.fixture
def national(benin: Any) -> None:
    peru = make_portal("pe", "PE", hosts=["pe.testserver"])
    for portal, code, label in ((benin, "bj", "Cible nationale"), (peru, "pe", "Meta nacional")):
        scheme = ConceptScheme.objects.create(
            identifier=f"{code}-targets",
            uri=f"http://example.org/{code}/targets",
            titles={"fr": f"Cibles {code}"},
            portal=portal,
        )
        Concept.objects.create(
            scheme=scheme,
            identifier=f"{code.upper()}-T1",
            uri=f"http://example.org/{code}/t1",
            pref_labels={"fr": f"{label} biodiversité"},
        )


def test_dropdown_lists_own_national_schemes(web: Any, national: None) -> None:
    for path in ("/fr/vocab/", "/fr/vocab/search/?q=x"):
        html = web.get(path).content.decode()
        assert '<option value="bj-targets"' in html
        assert '<option value="pe-targets"' not in html
        assert '<option value="sdg"' in html and '<option value="gbf-targets"' in html
    peru = Client(HTTP_HOST="pe.testserver").get("/fr/vocab/").content.decode()
    assert '<option value="pe-targets"' in peru and '<option value="bj-targets"' not in peru


def test_search_over_all_leaves_out_other_portals(web: Any, national: None) -> None:
    html = web.get("/fr/vocab/search/", {"q": "nationale biodiversité"}).content.decode()
    assert "Cible nationale biodiversité" in html
    other = web.get("/fr/vocab/search/", {"q": "Meta nacional"}).content.decode()
    assert "Meta nacional biodiversité" not in other
    # reachable by URL: the scheme filter and the pages still answer
    scoped = web.get("/fr/vocab/search/", {"q": "Meta nacional", "scheme": "pe-targets"})
    assert "Meta nacional biodiversité" in scoped.content.decode()
    assert web.get("/fr/vocab/pe-targets/").status_code == 200
    assert web.get("/fr/vocab/pe-targets/PE-T1/").status_code == 200
