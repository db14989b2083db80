"""schema.org JSON-LD on record pages: expanded offline with the local schema.org v30 context
(no network), every key and type a schema.org term, nothing dropped on expansion."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from rdflib import RDF, Graph, Literal, URIRef

from tests.factories import VALID
from tests.federation.conftest import add_records

pytestmark = pytest.mark.django_db

HOST = "bj.testserver"
SCHEMA = "http://schema.org/"
CONTEXT = json.loads(
    (Path(__file__).resolve().parent / "standards" / "schemaorgcontext.jsonld").read_text()
)["@context"]
SCRIPT = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)

EXPECTED = {
    "resource": "CreativeWork",
    "event": "Event",
    "organization": "Organization",
    "caseStudy": "CreativeWork",
    "capacityBuildingInitiative": "Project",
    "nationalTarget7": "CreativeWork",
    "nbsap": "CreativeWork",
    "contact": "Person",
}


def schema_term(term: str) -> bool:
    """A term the schema.org context defines itself (not one caught by its @vocab)."""
    entry = CONTEXT.get(term)
    target = entry.get("@id") if isinstance(entry, dict) else entry
    return isinstance(target, str) and target.startswith("schema:")


def walk(node: Any, keys: set[str], types: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            walk(item, keys, types)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "@type":
                types.add(value)
            elif not key.startswith("@"):
                keys.add(key)
            walk(value, keys, types)


def page_jsonld(client: Any, uid: str) -> dict[str, Any]:
    response = client.get(f"/en/r/{uid}/", HTTP_HOST=HOST)
    assert response.status_code == 200
    found = SCRIPT.findall(response.content.decode())
    assert len(found) == 1
    return json.loads(found[0])


def expand(data: dict[str, Any]) -> Graph:
    assert data["@context"] == "https://schema.org"
    local = {**data, "@context": CONTEXT}  # the local copy: nothing is fetched
    return Graph().parse(data=json.dumps(local), format="json-ld")


@pytest.mark.parametrize("schema", sorted(VALID))
def test_every_record_type_expands_to_schema_org_terms(
    client: Any, local_portal: Any, schema: str
) -> None:
    extra = {"tags": "mangroves"} if schema == "resource" else {}
    record = add_records(local_portal, 1, schema=schema, **extra)[0]
    data = page_jsonld(client, record.uid)
    if schema in EXPECTED:
        assert data["@type"] == EXPECTED[schema]
    keys: set[str] = set()
    types: set[str] = set()
    walk(data, keys, types)
    assert {k for k in keys if not schema_term(k)} == set()
    assert {t for t in types if not schema_term(t)} == set()

    graph = expand(data)
    predicates = {p for p in graph.predicates() if p != RDF.type}
    assert all(str(p).startswith(SCHEMA) for p in predicates), predicates
    assert all(str(o).startswith(SCHEMA) for o in graph.objects(None, RDF.type))
    # Every key became a statement: none was dropped by the expansion.
    assert {str(p)[len(SCHEMA) :] for p in predicates} == keys

    subject = URIRef(data["@id"])
    page = f"http://{HOST}/en/r/{record.uid}/"
    assert (subject, URIRef(SCHEMA + "url"), URIRef(page)) in graph
    assert str(graph.value(subject, URIRef(SCHEMA + "identifier"))) == record.uid
    names = list(graph.objects(subject, URIRef(SCHEMA + "name")))
    assert names
    if schema != "contact":
        languages = set(VALID[schema]["header"]["languages"])
        assert {n.language for n in names if isinstance(n, Literal)} == languages
    if data["@type"] in ("CreativeWork", "NewsArticle"):
        assert graph.value(subject, URIRef(SCHEMA + "datePublished")) is not None
        assert graph.value(subject, URIRef(SCHEMA + "inLanguage")) is not None


def test_resource_details(client: Any, local_portal: Any) -> None:
    record = add_records(local_portal, 1, tags="mangroves")[0]
    data = page_jsonld(client, record.uid)
    assert {"@value": "Mangrove restoration guide", "@language": "en"} in data["name"]
    assert data["inLanguage"] == ["fr", "en"]
    assert data["about"][0]["termCode"] == "GBF-TARGET-02"
    assert data["about"][0]["@id"].startswith("http")
    graph = expand(data)
    about = graph.value(URIRef(data["@id"]), URIRef(SCHEMA + "about"))
    assert str(about) == data["about"][0]["@id"]


def test_markup_in_text_cannot_close_the_script(client: Any, local_portal: Any) -> None:
    title = {"fr": "</script><script>alert(1)</script>", "en": "A & B <i>"}
    record = add_records(local_portal, 1, title=title)[0]
    body = client.get(f"/en/r/{record.uid}/", HTTP_HOST=HOST).content.decode()
    assert "<script>alert(1)" not in body
    data = page_jsonld(client, record.uid)
    assert {"@value": title["fr"], "@language": "fr"} in data["name"]


def test_the_cached_page_carries_it(client: Any, local_portal: Any) -> None:
    record = add_records(local_portal, 1)[0]
    first = client.get(f"/en/r/{record.uid}/", HTTP_HOST=HOST)
    second = client.get(f"/en/r/{record.uid}/", HTTP_HOST=HOST)  # served from the page cache
    assert first.content == second.content
    assert b'<script type="application/ld+json">' in second.content


def test_date_published_is_the_first_publication(client: Any, benin: Any, jean: Any) -> None:
    from clearinghouse.records import services
    from clearinghouse.records.models import Revision
    from tests.factories import valid_document

    record = services.create_draft(benin, jean, "resource", valid_document("resource"))
    services.publish(record, jean)
    services.edit_published(record, jean)
    services.publish(record, jean)
    first = Revision.objects.get(record=record, number=1).published_at
    data = page_jsonld(client, record.uid)
    assert data["datePublished"] == first.isoformat()
    assert data["dateModified"] != data["datePublished"]
