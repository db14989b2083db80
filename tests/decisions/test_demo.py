from __future__ import annotations

import pytest

from clearinghouse.portals.demo import load_demo
from clearinghouse.records.models import Record


@pytest.mark.django_db
def test_demo_has_decision_15_4_cited_by_the_mangrove_guide() -> None:
    load_demo()
    decision = Record.objects.get(schema="decision")
    doc = decision.published.document
    assert doc["number"] == "15/4" and len(doc["paragraphs"]) == 23
    assert doc["paragraphs"][1]["text"]["en"].startswith("Ensure that by 2030 at least 30")
    guide = Record.objects.get(
        schema="resource", title__en="National guide to mangrove restoration"
    )
    assert guide.published.document["decisionCitations"] == [
        {"identifier": decision.uid, "paragraph": "para_2"}
    ]
