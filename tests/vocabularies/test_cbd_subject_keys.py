"""CBD subjects carry the CBD thesaurus' own keys (CBD-SUBJECT-MAR …); the former project keys
(CBD-SUBJECT-MARINE …) stay as deprecated concepts replaced by them, so old records stay valid."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.cooperation.services import need_from_document
from clearinghouse.federation import cbdjson
from clearinghouse.records.models import Draft
from clearinghouse.records.types import get_type
from clearinghouse.records.validation import validate
from clearinghouse.vocabularies import labels
from clearinghouse.vocabularies.models import Concept
from tests.factories import valid_document

pytestmark = pytest.mark.django_db

RENAMED = {
    "CBD-SUBJECT-MARINE": "CBD-SUBJECT-MAR",
    "CBD-SUBJECT-CLIMATE": "CBD-SUBJECT-CC",
    "CBD-SUBJECT-AGRI": "CBD-SUBJECT-AGR",
    "CBD-SUBJECT-FOREST": "CBD-SUBJECT-FOR",
}


def test_former_keys_are_deprecated_and_replaced_by_the_cbd_keys() -> None:
    for old, new in RENAMED.items():
        concept = Concept.objects.select_related("replaced_by").get(identifier=old)
        assert concept.deprecated
        assert concept.replaced_by is not None and concept.replaced_by.identifier == new
        current = Concept.objects.get(identifier=new)
        assert current.scheme.identifier == "cbd-subjects" and not current.deprecated
        assert current.pref_labels == concept.pref_labels  # the same concept, a new key
    offered = set(
        Concept.objects.filter(scheme__identifier="cbd-subjects", deprecated=False).values_list(
            "identifier", flat=True
        )
    )
    assert len(offered) == 18 and not offered & set(RENAMED)
    # pickers offer only the current keys
    assert {key for key, _ in labels.options("cbd-subjects", "en")} == offered


def test_record_tagged_with_a_former_key_still_validates(benin: Any) -> None:
    for key in ("CBD-SUBJECT-MARINE", "CBD-SUBJECT-MAR"):
        doc = valid_document("resource", cbdSubjects=[{"identifier": key}])
        assert validate(get_type("resource"), doc, benin) == []


def test_concept_page_of_a_former_key_points_to_its_replacement(web: Any) -> None:
    response = web.get("/en/vocab/cbd-subjects/CBD-SUBJECT-MARINE/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "This concept is deprecated." in page
    assert "/en/vocab/cbd-subjects/CBD-SUBJECT-MAR/" in page


def test_cbd_json_import_keeps_a_cbd_subject_key(benin: Any) -> None:
    document = {
        **valid_document("resource", cbdSubjects=[{"identifier": "CBD-SUBJECT-MAR"}]),
        "header": {"schema": "resource", "languages": ["en"]},
        "title": {"en": "Mangroves"},
        "summary": {"en": "Mangroves."},
    }
    result = cbdjson.import_documents(benin, document)
    assert result.imported, [r.issues for r in result.reports]
    draft = Draft.objects.get(record__uid=result.reports[0].uid)
    assert draft.document["cbdSubjects"] == [{"identifier": "CBD-SUBJECT-MAR"}]


def test_matching_reads_a_former_key_as_its_replacement() -> None:
    need = need_from_document({"cbdSubjects": [{"identifier": "CBD-SUBJECT-MARINE"}]})
    assert need.subjects == frozenset({"CBD-SUBJECT-MAR"})
