"""The GBF ontology as loaded: 4 goals, 23 targets, 204 indicators with their roles."""

from __future__ import annotations

import pytest

from clearinghouse.vocabularies.models import Concept
from clearinghouse.vocabularies.seed import indicator_roles

pytestmark = pytest.mark.django_db


def test_counts_and_stable_identifiers() -> None:
    assert Concept.objects.filter(scheme__identifier="gbf-goals").count() == 4
    assert Concept.objects.filter(scheme__identifier="gbf-targets").count() == 23
    assert Concept.objects.filter(scheme__identifier="gbf-indicators").count() == 204
    goal = Concept.objects.get(identifier="GBF-GOAL-A")
    assert goal.uri == "http://metadata.cbd.int/kmgbf/goal_A"
    target = Concept.objects.get(identifier="GBF-TARGET-01")
    assert target.uri == "http://metadata.cbd.int/kmgbf/target_1"
    indicator = Concept.objects.get(identifier="GBF-INDICATOR-A.1")
    assert indicator.uri == "http://metadata.cbd.int/kmgbf/indicator_A.1"
    assert indicator.notation == "A.1"


def test_indicator_roles_are_kept_and_give_the_browsing_hierarchy() -> None:
    indicator = Concept.objects.get(identifier="GBF-INDICATOR-A.1")
    roles = indicator_roles(indicator)
    assert set(roles["headline"]) == {
        "http://metadata.cbd.int/kmgbf/goal_A",
        "http://metadata.cbd.int/kmgbf/target_1",
    }
    assert {c.identifier for c in indicator.broader.all()} == {"GBF-GOAL-A", "GBF-TARGET-01"}
    all_roles = {
        role
        for c in Concept.objects.filter(scheme__identifier="gbf-indicators")
        for role in indicator_roles(c)
    }
    assert all_roles == {"headline", "binary", "component", "complementary"}


def test_official_text_only_in_english_french_spanish() -> None:
    for concept in Concept.objects.filter(
        scheme__identifier__in=["gbf-goals", "gbf-targets", "gbf-indicators"]
    ):
        assert set(concept.pref_labels) <= {"en", "fr", "es"}, concept.identifier
        assert set(concept.definitions) <= {"en", "fr", "es"}, concept.identifier
    target = Concept.objects.get(identifier="GBF-TARGET-03")
    assert {"en", "fr", "es"} <= set(target.definitions)


def test_countries_in_six_languages_with_groups() -> None:
    benin = Concept.objects.get(identifier="bj")
    assert set(benin.pref_labels) == {"en", "fr", "es", "ar", "ru", "zh"}
    assert "LDC" in benin.extra["groups"]
