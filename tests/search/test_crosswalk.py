"""The GBF crosswalk in search expansion, with the real vocabularies (GBF targets, Aichi targets,
SDGs, CBD subjects and the CBD's GBF_SAMEAS crosswalk, loaded by the test session) and real
published records of the labelled corpus:

r07–r10 protected areas (GBF Target 3), r16 ocean plastic (Target 7, subject marine),
r01 mangroves (Target 2, marine), r11 invasive species (Target 6), r22 urban green spaces
(Target 12), r40 species extinction (Target 4).

The crosswalk maps Target 3 to Aichi Target 11, and Targets 1, 2, 3, 5, 7, 8, 9, 10, 18 and 21
to SDG 14 — not Targets 4, 6 or 12; Aichi Target 17 and SDG 7 are mapped to nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clearinghouse.search import service, thesaurus
from clearinghouse.vocabularies import crosswalk

pytestmark = pytest.mark.django_db
CENTRAL = {"HTTP_HOST": "central.testserver"}
TARGET_3 = {"r07", "r08", "r09", "r10"}


@pytest.fixture
def corpus(publish_corpus: Callable) -> dict[str, Any]:
    return publish_corpus("r01", "r07", "r08", "r09", "r10", "r11", "r16", "r22", "r40")


@pytest.fixture(autouse=True)
def _fresh_thesaurus() -> Any:
    thesaurus.invalidate()
    yield
    thesaurus.invalidate()


def run(q: str, portal: Any, records: dict[str, Any], language: str = "en") -> Any:
    key_of = {r.pk: k for k, r in records.items()}
    res = service.search(q, portal, mode="lexical", language=language)
    res.keys = [key_of[h.record_id] for h in res.hits]
    res.by = {key_of[h.record_id]: h.matched_by for h in res.hits}
    return res


@pytest.mark.parametrize(
    ("q", "language"),
    [("Aichi Target 11", "en"), ("Objectif d'Aichi 11", "fr"), ("爱知目标11", "zh")],
)
def test_an_aichi_target_finds_the_records_of_the_gbf_target_mapped_to_it(
    corpus: dict[str, Any], central: Any, q: str, language: str
) -> None:
    res = run(q, central, corpus, language)
    assert set(res.keys) == TARGET_3  # nothing else: the query's words apart are not searched
    assert all(res.by[k] == ["mapping"] for k in res.keys), res.by
    assert [(m.identifier, m.via) for m in res.mapped] == [("GBF-TARGET-03", "AICHI-TARGET-11")]
    explanation = res.mapped[0].explanation
    if language == "fr":
        assert explanation.startswith("via mapping: Objectif d'Aichi 11 → Cible 3")
    elif language == "en":
        assert explanation.startswith("via mapping: Aichi Target 11 → Target 3")
    assert res.concepts == []  # records are not tagged with Aichi targets


@pytest.mark.parametrize(("q", "language"), [("SDG 14", "en"), ("ODS 14", "es")])
def test_an_sdg_finds_the_records_of_the_gbf_targets_mapped_to_it(
    corpus: dict[str, Any], central: Any, q: str, language: str
) -> None:
    res = run(q, central, corpus, language)
    # Targets 2, 3 and 7 are mapped to SDG 14; 4, 6 and 12 are not.
    assert set(res.keys) == TARGET_3 | {"r01", "r16"}
    mapped = {m.identifier for m in res.mapped}
    assert {"GBF-TARGET-02", "GBF-TARGET-03", "GBF-TARGET-07"} <= mapped
    assert not mapped & {"GBF-TARGET-04", "GBF-TARGET-06", "GBF-TARGET-12"}
    assert {m.via for m in res.mapped} == {"SDG-GOAL-14"}
    label = "SDG 14 — Life below water" if language == "en" else "ODS 14 — Vida Submarina"
    assert res.mapped[0].via_label == label


def test_crosswalk_matches_rank_below_direct_ones(corpus: dict[str, Any], central: Any) -> None:
    # "Target 3" names GBF Target 3 (words and tags: r07–r10); the crosswalk maps it to the
    # subjects marine and protected areas, bringing r01 and r16 (marine), after them.
    res = run("Target 3", central, corpus)
    assert set(res.keys[:4]) == TARGET_3
    assert set(res.keys[4:]) == {"r01", "r16"}
    assert all("mapping" in res.by[k] for k in ("r01", "r16"))
    assert all("mapping" not in res.by[k] for k in TARGET_3)
    vias = {(m.via, m.identifier) for m in res.mapped}
    assert ("GBF-TARGET-03", "CBD-SUBJECT-MAR") in vias


def test_unmapped_concepts_and_partial_names_do_not_expand(
    corpus: dict[str, Any], central: Any
) -> None:
    for q in ("Aichi Target 17", "SDG 7", "SDG", "sustainable development"):
        res = run(q, central, corpus)
        assert res.mapped == [], q
        assert not any({"mapping", "concept"} & set(by) for by in res.by.values()), q
    # A query that only shares words with a long label (Target 10's) is not translated again.
    res = run("sustainable forest management", central, corpus)
    assert res.mapped == []


def test_broad_match_is_not_followed_and_deprecated_concepts_are_replaced(
    corpus: dict[str, Any], central: Any
) -> None:
    # A broadMatch does not expand the search.
    crosswalk.import_crosswalk(
        "from,relation,to,source\nAICHI-TARGET-17,broadMatch,GBF-TARGET-12,test\n"
    )
    thesaurus.invalidate()
    assert run("Aichi Target 17", central, corpus).mapped == []
    # A relatedMatch to a deprecated subject (marine, replaced by CBD-SUBJECT-MAR) expands to
    # its replacement: the records tagged with it.
    crosswalk.import_crosswalk(
        "from,relation,to,source\nAICHI-TARGET-16,relatedMatch,CBD-SUBJECT-MARINE,test\n"
    )
    thesaurus.invalidate()
    res = run("Aichi Target 16", central, corpus)
    assert ("CBD-SUBJECT-MAR", "AICHI-TARGET-16") in [(m.identifier, m.via) for m in res.mapped]
    assert "CBD-SUBJECT-MARINE" not in [m.identifier for m in res.mapped]
    assert {"r01", "r09", "r16"} <= set(res.keys)
    assert "r22" not in res.keys


def test_explanation_on_the_page_and_in_the_api(
    corpus: dict[str, Any], client: Any, central: Any
) -> None:
    page = client.get("/fr/search", {"q": "Objectif d'Aichi 11", "mode": "lexical"}, **CENTRAL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "par correspondance : Objectif d&#x27;Aichi 11 → Cible 3" in html  # in French
    assert 'data-concept="GBF-TARGET-03"' in html
    assert "Protected area management effectiveness toolkit" in html  # r07, found

    body = client.get("/api/search", {"q": "Aichi Target 11", "mode": "lexical"}, **CENTRAL).json()
    assert {r["uid"] for r in body["results"]} == {corpus[k].uid for k in TARGET_3}
    assert all(r["matched_by"] == ["mapping"] for r in body["results"])
    (concept,) = body["concepts"]
    assert concept["identifier"] == "GBF-TARGET-03"
    assert concept["via"] == {"identifier": "AICHI-TARGET-11", "label": "Aichi Target 11"}
    assert concept["explanation"].startswith("via mapping: Aichi Target 11 → Target 3")

    # A direct concept has no "via"; the schema documents the new fields.
    body = client.get("/api/search", {"q": "protected areas", "mode": "lexical"}, **CENTRAL)
    direct = [c for c in body.json()["concepts"] if c["via"] is None]
    assert "CBD-SUBJECT-PA" in [c["identifier"] for c in direct]
    spec = client.get("/api/openapi.json", **CENTRAL).json()
    props = spec["components"]["schemas"]["ConceptOut"]["properties"]
    assert {"via", "explanation"} <= set(props)
    assert "crosswalk" in props["via"]["description"]
