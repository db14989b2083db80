"""Crosswalks: the published GBF crosswalk as SKOS mappings, shown in both directions,
exported and queryable; crosswalk CSV import by page and command, checked row by row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS

from clearinghouse.portals.models import PortalKind, Role
from clearinghouse.vocabularies import crosswalk, skos
from clearinghouse.vocabularies.models import Concept, ConceptScheme
from tests.factories import PASSWORD, make_portal, make_user

pytestmark = pytest.mark.django_db
BASE = "https://clearinghouse.example.org/vocab/"
GBF3 = URIRef("http://metadata.cbd.int/kmgbf/target_3")


def _uri(identifier: str) -> str:
    return Concept.objects.get(identifier=identifier).uri


def test_shipped_crosswalk_is_loaded_with_its_source() -> None:
    gbf3 = Concept.objects.get(identifier="GBF-TARGET-03")
    related = {m["uri"] for m in gbf3.mappings if m["relation"] == "relatedMatch"}
    expected = {
        "AICHI-TARGET-11",
        "CBD-SUBJECT-MAR",
        "CBD-SUBJECT-PA",
        "SDG-GOAL-6",
        "SDG-GOAL-11",
        "SDG-GOAL-14",
        "SDG-GOAL-15",
    }
    assert related == {_uri(i) for i in expected}
    sources = gbf3.extra["mapping_sources"]
    assert all("GBF_SAMEAS" in sources[u] for u in related)
    # all 92 resolvable rows of GBF_SAMEAS (139 references, 47 left out) are loaded
    shipped = [
        m
        for c in Concept.objects.filter(scheme__identifier="gbf-targets")
        for m in c.mappings
        if "GBF_SAMEAS" in c.extra.get("mapping_sources", {}).get(m["uri"], "")
    ]
    assert len(shipped) == 92
    subjects = {m["uri"].rsplit("/", 1)[-1] for m in shipped if "/cbd-subjects/" in m["uri"]}
    assert subjects == {f"CBD-SUBJECT-{k}" for k in ("MAR", "CC", "AGR", "PA", "IAS", "ABS", "KM")}
    # keys the source writes without a leading zero are read as the two-digit identifiers
    gbf5 = Concept.objects.get(identifier="GBF-TARGET-05")
    assert _uri("AICHI-TARGET-06") in {m["uri"] for m in gbf5.mappings}
    # every GBF target but 9 and 17 (no Aichi counterpart in the source) maps to an Aichi target
    aichi = set(
        Concept.objects.filter(scheme__identifier="aichi-targets").values_list("uri", flat=True)
    )
    without = [
        c.identifier
        for c in Concept.objects.filter(scheme__identifier="gbf-targets")
        if not aichi & {m["uri"] for m in c.mappings}
    ]
    assert without == ["GBF-TARGET-09", "GBF-TARGET-17"]


def test_concept_pages_show_mappings_in_both_directions(web: Any) -> None:
    page = web.get("/en/vocab/gbf-targets/GBF-TARGET-03/").content.decode()
    assert "skos:relatedMatch" in page
    assert "/en/vocab/aichi-targets/AICHI-TARGET-11/" in page
    assert "/en/vocab/sdg/SDG-GOAL-14/" in page
    assert "GBF_SAMEAS" in page  # the source is shown
    back = web.get("/en/vocab/aichi-targets/AICHI-TARGET-11/").content.decode()
    assert "Mapped from" in back
    assert "/en/vocab/gbf-targets/GBF-TARGET-03/" in back
    sdg = web.get("/fr/vocab/sdg/SDG-GOAL-14/").content.decode()
    for n in ("01", "02", "03", "05", "07", "08", "09", "18", "21"):
        assert f"/fr/vocab/gbf-targets/GBF-TARGET-{n}/" in sdg


def test_concept_rdf_has_incoming_mappings(web: Any) -> None:
    response = web.get("/vocab/sdg/SDG-GOAL-14", HTTP_ACCEPT="text/turtle")
    graph = Graph().parse(data=response.content, format="turtle")
    goal14 = URIRef(_uri("SDG-GOAL-14"))
    assert (GBF3, SKOS.relatedMatch, goal14) in graph
    assert (GBF3, SKOS.prefLabel, None) in graph  # with its label


def test_mappings_round_trip_through_turtle_and_json_ld() -> None:
    for fmt in ("ttl", "jsonld"):
        first = skos.build_graph()
        assert (GBF3, SKOS.relatedMatch, URIRef(_uri("AICHI-TARGET-11"))) in first
        text = skos.serialize(first, fmt)
        skos.import_graph(skos.read(text, fmt))
        second = skos.build_graph()
        assert isomorphic(first, second)
    assert {"relation": "relatedMatch", "uri": _uri("SDG-GOAL-15")} in Concept.objects.get(
        identifier="GBF-TARGET-03"
    ).mappings


def test_sparql_over_mappings(web: Any) -> None:
    query = (
        "SELECT ?goal WHERE { kmgbf:target_3 skos:relatedMatch ?goal . "
        f"?goal skos:inScheme <{BASE}sdg> }} ORDER BY ?goal"
    )
    response = web.get("/sparql", {"query": query})
    assert response.status_code == 200
    goals = [b["goal"]["value"] for b in json.loads(response.content)["results"]["bindings"]]
    assert sorted(goals) == sorted(_uri(f"SDG-GOAL-{n}") for n in (6, 11, 14, 15))
    # the inverse direction: which GBF targets relate to Aichi target 11?
    inverse = (
        f"SELECT ?t WHERE {{ ?t skos:relatedMatch <{_uri('AICHI-TARGET-11')}> ; "
        "skos:inScheme <http://metadata.cbd.int/kmgbf/targets> }"
    )
    rows = json.loads(web.get("/sparql", {"query": inverse}).content)["results"]["bindings"]
    assert [r["t"]["value"] for r in rows] == [str(GBF3)]


# -- import ----------------------------------------------------------------------------------


@pytest.fixture
def secretariat(db: Any) -> Client:
    central = make_portal("central", "", hosts=["c.testserver"], kind=PortalKind.CENTRAL)
    user = make_user(central, Role.SECRETARIAT)
    client = Client(HTTP_HOST="c.testserver")
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _post(client: Client, data: bytes, name: str = "crosswalk.csv") -> Any:
    return client.post("/en/vocab/import/", {"file": SimpleUploadedFile(name, data)})


GOOD = (
    b"from,relation,to,source\n"
    b"SDG-TARGET-14.5,closeMatch,AICHI-TARGET-11,test fixture\n"
    b"http://metadata.cbd.int/kmgbf/target_10,skos:relatedMatch,SDG-TARGET-2.4,\n"
)


def test_import_crosswalk_through_the_import_page(secretariat: Client) -> None:
    response = _post(secretariat, GOOD)
    assert response.status_code == 302, response.content.decode()
    page = secretariat.get("/en/vocab/").content.decode()
    assert "Crosswalk imported: 2 row(s), 2 new mapping(s) on 2 concept(s)." in page
    sdg = Concept.objects.get(identifier="SDG-TARGET-14.5")
    assert {"relation": "closeMatch", "uri": _uri("AICHI-TARGET-11")} in sdg.mappings
    assert sdg.extra["mapping_sources"][_uri("AICHI-TARGET-11")] == "test fixture"
    gbf10 = Concept.objects.get(identifier="GBF-TARGET-10")
    assert {"relation": "relatedMatch", "uri": _uri("SDG-TARGET-2.4")} in gbf10.mappings
    # the same file again adds nothing
    assert _post(secretariat, GOOD).status_code == 302
    assert (
        "2 row(s), 0 new mapping(s) on 0 concept(s)"
        in secretariat.get("/en/vocab/").content.decode()
    )
    assert Concept.objects.get(identifier="SDG-TARGET-14.5").mappings == sdg.mappings


def test_bad_crosswalk_lists_every_problem_and_stores_nothing(secretariat: Client) -> None:
    before = list(Concept.objects.order_by("pk").values_list("mappings", flat=True))
    bad = (
        b"from,relation,to,source\n"
        b"SDG-TARGET-14.5,closeMatch,AICHI-TARGET-11,fine\n"
        b"SDG-TARGET-14.5,sameAs,AICHI-TARGET-12,\n"
        b"NO-SUCH-CONCEPT,relatedMatch,AICHI-TARGET-12,\n"
        b"SDG-GOAL-1,relatedMatch,SDG-GOAL-2,\n"
        b",exactMatch,SDG-GOAL-2,\n"
    )
    response = _post(secretariat, bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert "line 3: relation &#x27;sameAs&#x27; is not one of exactMatch" in html
    assert "line 4: from &#x27;NO-SUCH-CONCEPT&#x27; is not a known concept" in html
    assert "line 5: SDG-GOAL-1 and SDG-GOAL-2 are in the same scheme" in html
    assert "line 6: the from column is empty." in html
    assert "4 problems, nothing was imported." in html
    after = list(Concept.objects.order_by("pk").values_list("mappings", flat=True))
    assert after == before  # not even the good first row
    # S46: exactMatch and relatedMatch to the same concept
    clash = b"from,relation,to\nGBF-TARGET-03,exactMatch,AICHI-TARGET-11\n"
    html = _post(secretariat, clash).content.decode()
    assert "skos:exactMatch and skos:relatedMatch to the same concept" in html


def test_wrong_header_is_explained() -> None:
    with pytest.raises(crosswalk.CrosswalkFailed, match="lacks the column\\(s\\) relation"):
        crosswalk.import_crosswalk(b"from,to\nA,B\n")
    assert crosswalk.is_crosswalk(b"\xef\xbb\xbffrom,relation,to,source\n")
    assert not crosswalk.is_crosswalk(b"uri,identifier,scheme\n")


def test_national_portal_maps_only_its_own_concepts(benin: Any) -> None:
    scheme = ConceptScheme.objects.create(
        identifier="bj-targets", uri="http://example.org/bj/targets", portal=benin
    )
    Concept.objects.create(
        scheme=scheme, identifier="BJ-T1", uri="http://example.org/bj/t1", pref_labels={"fr": "C1"}
    )
    user = make_user(benin, Role.MANAGER)
    client = Client(HTTP_HOST="bj.testserver")
    assert client.login(username=user.username, password=PASSWORD)
    ok = b"from,relation,to\nBJ-T1,broadMatch,GBF-TARGET-03\n"
    assert _post(client, ok).status_code == 302
    assert Concept.objects.get(identifier="BJ-T1").mappings == [
        {"relation": "broadMatch", "uri": str(GBF3)}
    ]
    not_ours = b"from,relation,to\nGBF-TARGET-03,broadMatch,BJ-T1\n"
    response = _post(client, not_ours)
    assert response.status_code == 400
    assert "a national portal may only map its own concepts" in response.content.decode()


def test_import_crosswalk_command(tmp_path: Path) -> None:
    path = tmp_path / "cw.csv"
    path.write_bytes(b"from,relation,to\nSDG-TARGET-15.5,closeMatch,AICHI-TARGET-12\n")
    call_command("import_crosswalk", str(path), "--source", "command test")
    sdg = Concept.objects.get(identifier="SDG-TARGET-15.5")
    assert {"relation": "closeMatch", "uri": _uri("AICHI-TARGET-12")} in sdg.mappings
    assert sdg.extra["mapping_sources"][_uri("AICHI-TARGET-12")] == "command test"
    path.write_bytes(b"from,relation,to\nSDG-TARGET-15.5,closeMatch,AICHI-TARGET-99\n")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("import_crosswalk", str(path))
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_crosswalk", str(tmp_path / "nope.csv"))
