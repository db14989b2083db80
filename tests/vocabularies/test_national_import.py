"""National vocabularies: a national portal's managers import and replace their own schemes
(page and command); shared schemes and other portals' schemes are out of their reach."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from clearinghouse.portals.models import PortalKind, Role
from clearinghouse.vocabularies import skos
from clearinghouse.vocabularies.models import Concept, ConceptScheme
from tests.factories import PASSWORD, make_portal, make_user

pytestmark = pytest.mark.django_db

PREFIXES = b"""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix kmgbf: <http://metadata.cbd.int/kmgbf/> .
"""
NATIONAL = (
    PREFIXES
    + b"""
<http://example.org/bj/targets> a skos:ConceptScheme ; dct:identifier "bj-targets" ;
    skos:prefLabel "Cibles nationales du Benin"@fr .
<http://example.org/bj/t1> a skos:Concept ; skos:inScheme <http://example.org/bj/targets> ;
    dct:identifier "BJ-T1" ; skos:prefLabel "Cible 1"@fr ;
    skos:broadMatch kmgbf:target_1 ; skos:closeMatch kmgbf:target_2 .
<http://example.org/bj/t2> a skos:Concept ; skos:inScheme <http://example.org/bj/targets> ;
    dct:identifier "BJ-T2" ; skos:prefLabel "Cible 2"@fr ; skos:exactMatch kmgbf:target_3 .
"""
)


def _client(portal: Any, host: str, role: str) -> Client:
    user = make_user(portal, role)
    client = Client(HTTP_HOST=host)
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def bj_manager(benin: Any) -> Client:
    return _client(benin, "bj.testserver", Role.MANAGER)


def _post(client: Client, data: bytes, **extra: str) -> Any:
    return client.post("/en/vocab/import/", {"file": SimpleUploadedFile("v.ttl", data), **extra})


def test_national_manager_imports_own_scheme_with_gbf_mappings(
    bj_manager: Client, benin: Any
) -> None:
    assert bj_manager.get("/en/vocab/import/").status_code == 200
    response = _post(bj_manager, NATIONAL)
    assert response.status_code == 302, response.content.decode()
    scheme = ConceptScheme.objects.get(identifier="bj-targets")
    assert scheme.portal == benin
    t1 = Concept.objects.get(identifier="BJ-T1")
    assert {"relation": "broadMatch", "uri": "http://metadata.cbd.int/kmgbf/target_1"} in (
        t1.mappings
    )
    assert {"relation": "closeMatch", "uri": "http://metadata.cbd.int/kmgbf/target_2"} in (
        t1.mappings
    )
    # the index of Benin's portal lists it; a re-import keeps the owner
    assert b"bj-targets" in bj_manager.get("/en/vocab/").content
    assert _post(bj_manager, NATIONAL).status_code == 302
    assert ConceptScheme.objects.get(identifier="bj-targets").portal == benin


def test_replace_deprecates_concepts_the_file_no_longer_lists(bj_manager: Client) -> None:
    from clearinghouse.records.validation import known_terms

    _post(bj_manager, NATIONAL)
    smaller = NATIONAL.split(b"<http://example.org/bj/t2>")[0]
    assert _post(bj_manager, smaller).status_code == 302
    assert not Concept.objects.get(identifier="BJ-T2").deprecated  # plain import keeps it
    response = _post(bj_manager, smaller, replace="1")
    assert response.status_code == 302
    page = bj_manager.get("/en/vocab/").content.decode()
    assert "1 concept(s) (0 new, 1 deprecated) imported." in page
    # kept, deprecated: records tagged with it stay valid, its URI keeps resolving
    t2 = Concept.objects.get(identifier="BJ-T2")
    assert t2.deprecated and t2.replaced_by is None
    assert not Concept.objects.get(identifier="BJ-T1").deprecated
    assert known_terms("bj-targets", {"BJ-T1", "BJ-T2"}) == {"BJ-T1", "BJ-T2"}
    rdf = bj_manager.get("/vocab/bj-targets/BJ-T2", HTTP_ACCEPT="text/turtle")
    assert rdf.status_code == 200
    assert "owl:deprecated true" in rdf.content.decode()
    assert (
        "This concept is deprecated."
        in bj_manager.get("/en/vocab/bj-targets/BJ-T2/").content.decode()
    )
    # a later replace whose new concept says dct:replaces the old one names the replacement
    with_t3 = smaller + (
        b"<http://example.org/bj/t3> a skos:Concept ;"
        b" skos:inScheme <http://example.org/bj/targets> ;"
        b' dct:identifier "BJ-T3" ; skos:prefLabel "Cible 3"@fr ;'
        b" dct:replaces <http://example.org/bj/t2> .\n"
    )
    assert _post(bj_manager, with_t3, replace="1").status_code == 302
    t2.refresh_from_db()
    assert t2.deprecated and t2.replaced_by == Concept.objects.get(identifier="BJ-T3")
    rdf = bj_manager.get("/vocab/bj-targets/BJ-T2", HTTP_ACCEPT="text/turtle").content.decode()
    assert "dct:isReplacedBy <http://example.org/bj/t3>" in rdf
    # listing it again undeprecates it
    assert _post(bj_manager, NATIONAL, replace="1").status_code == 302
    assert not Concept.objects.get(identifier="BJ-T2").deprecated


def test_national_manager_cannot_touch_global_schemes(bj_manager: Client) -> None:
    goals = skos.export("ttl", ConceptScheme.objects.filter(identifier="gbf-goals"))
    response = _post(bj_manager, goals.encode())
    assert response.status_code == 400
    html = response.content.decode()
    assert "scheme &#x27;gbf-goals&#x27; belongs to a shared (global) vocabulary" in html
    # nor add a concept to a global scheme, nor change a global concept
    sneaky = (
        PREFIXES
        + b"""
<http://example.org/bj/x> a skos:Concept ; skos:inScheme kmgbf:targets ;
    skos:prefLabel "X"@fr .
<http://example.org/bj/z> a skos:Concept ; skos:topConceptOf kmgbf:goals ;
    skos:prefLabel "Z"@fr .
kmgbf:target_1 a skos:Concept ; skos:inScheme <http://example.org/bj/targets> ;
    skos:prefLabel "Hijacked"@en .
<http://example.org/bj/targets> a skos:ConceptScheme ; dct:identifier "bj-targets" ;
    skos:prefLabel "Cibles"@fr .
"""
    )
    html = _post(bj_manager, sneaky).content.decode()
    assert "skos:inScheme &#x27;gbf-targets&#x27; belongs to a shared (global) vocabulary" in html
    assert "scheme &#x27;gbf-targets&#x27;, which belongs to a shared (global) vocabulary" in html
    assert "skos:topConceptOf &#x27;gbf-goals&#x27; belongs to a shared" in html
    assert not Concept.objects.filter(uri="http://example.org/bj/x").exists()
    assert "Hijacked" not in str(Concept.objects.get(identifier="GBF-TARGET-01").pref_labels)
    assert not ConceptScheme.objects.filter(identifier="bj-targets").exists()


def test_other_portals_schemes_are_refused(bj_manager: Client, peru: Any) -> None:
    pe = _client(peru, "pe.testserver", Role.MANAGER)
    peruvian = NATIONAL.replace(b"bj", b"pe").replace(b"BJ", b"PE")
    assert _post(pe, peruvian).status_code == 302
    assert ConceptScheme.objects.get(identifier="pe-targets").portal == peru
    response = _post(bj_manager, peruvian)
    assert response.status_code == 400
    assert "scheme &#x27;pe-targets&#x27; belongs to another portal" in response.content.decode()
    # and the default scheme for concepts that name none is checked too
    loose = PREFIXES + b'<http://example.org/bj/y> a skos:Concept ; skos:prefLabel "Y"@fr .\n'
    response = _post(bj_manager, loose, scheme="pe-targets")
    assert "scheme &#x27;pe-targets&#x27; belongs to another portal" in response.content.decode()


def test_scheme_identifier_clash_is_a_violation(bj_manager: Client) -> None:
    clash = NATIONAL.replace(b'"bj-targets"', b'"gbf-targets"')
    response = _post(bj_manager, clash)
    assert response.status_code == 400
    assert "scheme identifier &#x27;gbf-targets&#x27; is already used by" in (
        response.content.decode()
    )


def test_who_may_import(benin: Any) -> None:
    for role in (Role.PUBLISHING_AUTHORITY, Role.AUTHORIZED_USER):
        assert _client(benin, "bj.testserver", role).get("/en/vocab/import/").status_code == 403
    central = make_portal("central", "", hosts=["c.testserver"], kind=PortalKind.CENTRAL)
    secretariat = _client(central, "c.testserver", Role.SECRETARIAT)
    goals = skos.export("ttl", ConceptScheme.objects.filter(identifier="gbf-goals"))
    assert _post(secretariat, goals.encode()).status_code == 302  # global: central portal


def test_command_scoped_to_a_portal(tmp_path: Path, benin: Any) -> None:
    path = tmp_path / "bj.ttl"
    path.write_bytes(NATIONAL)
    call_command("import_vocabulary", str(path), "--portal", "bj")
    assert ConceptScheme.objects.get(identifier="bj-targets").portal == benin
    goals = tmp_path / "goals.ttl"
    goals.write_text(skos.export("ttl", ConceptScheme.objects.filter(identifier="gbf-goals")))
    with pytest.raises(CommandError, match="violation"):
        call_command("import_vocabulary", str(goals), "--portal", "bj")
    with pytest.raises(CommandError, match="No portal"):
        call_command("import_vocabulary", str(goals), "--portal", "zz")
    path.write_bytes(NATIONAL.split(b"<http://example.org/bj/t2>")[0])
    call_command("import_vocabulary", str(path), "--portal", "bj", "--replace")
    assert Concept.objects.get(identifier="BJ-T2").deprecated
