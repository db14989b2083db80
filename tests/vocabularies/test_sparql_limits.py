"""SPARQL endpoint limits: query size (413), result cap (headers), time limit (503)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from rdflib import Graph

from clearinghouse.vocabularies import sparql

pytestmark = pytest.mark.django_db

# A cross product of every triple with every triple: far too slow to finish.
SLOW = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . FILTER(STR(?c) = CONCAT(STR(?f), 'x')) }"


def test_too_long_query_is_refused(web: Any, settings: Any) -> None:
    query = "ASK { ?s ?p ?o }" + " " * sparql.max_query_chars()
    response = web.post("/sparql", query, content_type="application/sparql-query")
    assert response.status_code == 413
    assert "the limit is 10000" in response.content.decode()
    settings.CLEARINGHOUSE_SPARQL_MAX_QUERY_CHARS = 20  # the setting applies at once
    response = web.get("/sparql", {"query": "ASK { ?s ?p ?o . ?o ?q ?r }"})
    assert response.status_code == 413
    assert "the limit is 20" in response.content.decode()


def test_results_are_capped_and_say_so(web: Any, settings: Any) -> None:
    response = web.get("/sparql", {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 3"})
    assert response["X-Result-Limit"] == "10000"
    assert response["X-Result-Truncated"] == "false"
    settings.CLEARINGHOUSE_SPARQL_MAX_ROWS = 5
    response = web.get("/sparql", {"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert response.status_code == 200
    assert len(json.loads(response.content)["results"]["bindings"]) == 5
    assert response["X-Result-Limit"] == "5"
    assert response["X-Result-Truncated"] == "true"
    construct = web.get(
        "/sparql", {"query": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "format": "nt"}
    )
    assert len(Graph().parse(data=construct.content, format="nt")) == 5
    assert construct["X-Result-Truncated"] == "true"


def test_slow_query_is_stopped_with_503(web: Any, settings: Any) -> None:
    settings.CLEARINGHOUSE_SPARQL_TIME_LIMIT = 0.3
    started = time.monotonic()
    response = web.get("/sparql", {"query": SLOW})
    assert response.status_code == 503
    assert "longer than 0.3 seconds" in response.content.decode()
    assert time.monotonic() - started < 5
    # the worker thread is interrupted, not left running
    deadline = time.monotonic() + 5
    while any(t.name == "sparql-query" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the query thread kept running"
        time.sleep(0.05)
    # and the endpoint still answers
    ok = web.get("/sparql", {"query": "ASK { ?s ?p ?o }"})
    assert json.loads(ok.content)["boolean"] is True


def test_no_requests_to_other_servers(web: Any) -> None:
    for query in (
        "SELECT * WHERE { SERVICE <http://x.invalid/> { ?s ?p ?o } }",
        "SELECT * FROM <http://x.invalid/g> WHERE { ?s ?p ?o }",
        "SELECT * FROM NAMED <http://x.invalid/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
    ):
        response = web.get("/sparql", {"query": query})
        assert response.status_code == 400
        assert "SERVICE, FROM and FROM NAMED are not accepted" in response.content.decode()


def test_errors_during_evaluation_are_400(web: Any, monkeypatch: Any) -> None:
    def fail(query: Any, data: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(sparql, "_evaluate", fail)
    response = web.get("/sparql", {"query": "ASK { ?s ?p ?o }"})
    assert response.status_code == 400
    assert response.content.decode() == "The query failed: boom\n"


def test_too_many_running_queries_get_503(web: Any, settings: Any) -> None:
    settings.CLEARINGHOUSE_SPARQL_MAX_CONCURRENT = 1
    slots = sparql._slots()
    slots.acquire()  # one query is running
    try:
        response = web.get("/sparql", {"query": "ASK { ?s ?p ?o }"})
    finally:
        slots.release()
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    assert "Too many queries are running (at most 1)" in response.content.decode()
    ok = web.get("/sparql", {"query": "ASK { ?s ?p ?o }"})
    assert ok.status_code == 200


def _setting_in_fresh_process(env: dict[str, str], name: str) -> subprocess.CompletedProcess:
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
        "'clearinghouse.settings'); django.setup(); from django.conf import settings; "
        f"print(repr(settings.{name}))"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DEBUG": "1", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_limits_are_read_from_the_environment() -> None:
    done = _setting_in_fresh_process(
        {"CLEARINGHOUSE_SPARQL_TIME_LIMIT": "2.5"}, "CLEARINGHOUSE_SPARQL_TIME_LIMIT"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2.5"
    done = _setting_in_fresh_process(
        {"CLEARINGHOUSE_SPARQL_MAX_ROWS": "lots"}, "CLEARINGHOUSE_SPARQL_MAX_ROWS"
    )
    assert done.returncode != 0
    assert "CLEARINGHOUSE_SPARQL_MAX_ROWS='lots' is not an integer" in done.stderr
