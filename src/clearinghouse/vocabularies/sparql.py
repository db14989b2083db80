"""A read-only SPARQL 1.1 Protocol endpoint over the vocabularies (rdflib's SPARQL engine).

The graph is the full SKOS export (``skos.build_graph``), built once and kept until
``labels.fingerprint()`` says a concept or scheme changed. Queries go by GET ``?query=``, by
POST form ``query=`` or by POST ``application/sparql-query``; updates are refused with 400.
Results: SELECT/ASK as SPARQL JSON (default), XML, CSV or TSV; CONSTRUCT/DESCRIBE as Turtle
(default), JSON-LD, RDF/XML or N-Triples, by Accept header or ``?format=``.

Limits (settings ``CLEARINGHOUSE_SPARQL_*``): queries longer than :func:`max_query_chars`
get 413; results are cut at :func:`max_rows` rows (SELECT) or triples (CONSTRUCT/DESCRIBE),
said by the response headers ``X-Result-Limit`` and ``X-Result-Truncated``; a query runs in
a worker thread and is stopped after :func:`time_limit` seconds (503); at most
:func:`max_concurrent` run at once (503)."""

from __future__ import annotations

import ctypes
import itertools
import threading
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from rdflib import RDF, RDFS, Graph
from rdflib.namespace import DCTERMS, OWL, SKOS
from rdflib.plugins.sparql import prepareQuery, prepareUpdate
from rdflib.plugins.sparql.algebra import traverse
from rdflib.query import Result

from clearinghouse.vocabularies import labels, skos

PREFIXES = {
    "skos": SKOS,
    "dct": DCTERMS,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "ch": skos.CH,
    "kmgbf": skos.KMGBF,
    "kmgbfo": skos.KMGBF_ONTO,
}
# media type → rdflib result format
RESULT_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
}
SHORT = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "ttl": "text/turtle",
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "nt": "application/n-triples",
}
EXAMPLES = [
    (
        "GBF targets and their English labels",
        "SELECT ?target ?label WHERE {\n  ?target skos:inScheme <http://metadata.cbd.int/kmgbf/"
        'targets> ;\n          skos:prefLabel ?label .\n  FILTER(lang(?label) = "en")\n}\n'
        "ORDER BY ?target",
    ),
    (
        "Headline indicators of Target 3",
        "SELECT ?indicator ?label WHERE {\n  ?indicator kmgbfo:isHeadlineFor kmgbf:target_3 ;\n"
        '             skos:prefLabel ?label .\n  FILTER(lang(?label) = "en")\n}',
    ),
    (
        "Concepts narrower than a region",
        "SELECT ?country WHERE {\n  ?country skos:broader ?region .\n"
        '  ?region skos:notation "002" .\n}',
    ),
]

# Limits come from the settings (environment variables CLEARINGHOUSE_SPARQL_*, see
# docs/operations.md); they are read on every query, so a changed setting applies at once.


def max_query_chars() -> int:
    return int(settings.CLEARINGHOUSE_SPARQL_MAX_QUERY_CHARS)


def max_rows() -> int:
    return int(settings.CLEARINGHOUSE_SPARQL_MAX_ROWS)


def time_limit() -> float:
    return float(settings.CLEARINGHOUSE_SPARQL_TIME_LIMIT)


def max_concurrent() -> int:
    return int(settings.CLEARINGHOUSE_SPARQL_MAX_CONCURRENT)


_lock = threading.Lock()
_slot_state: dict[str, Any] = {"size": None, "semaphore": None}


def _slots() -> threading.BoundedSemaphore:
    """One semaphore per process, sized by the setting (recreated if the setting changes)."""
    size = max_concurrent()
    with _lock:
        if _slot_state["size"] != size:
            _slot_state["size"], _slot_state["semaphore"] = size, threading.BoundedSemaphore(size)
        semaphore: threading.BoundedSemaphore = _slot_state["semaphore"]
        return semaphore


_cache: dict[str, Any] = {"key": None, "graph": None}


def graph() -> Graph:
    """The vocabulary graph, rebuilt when the vocabularies changed."""
    key = labels.fingerprint()
    with _lock:
        if _cache["key"] != key or _cache["graph"] is None:
            _cache["graph"] = skos.build_graph()
            _cache["key"] = key
        return _cache["graph"]


def _error(message: str, status: int = 400) -> HttpResponse:
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _is_update(text: str) -> bool:
    try:
        prepareUpdate(text, initNs=PREFIXES)
    except Exception:
        return False
    return True


class QueryTimeout(Exception):
    """The query ran past the time limit."""


class _Interrupt(BaseException):
    """Raised asynchronously inside the worker thread at the time limit (a BaseException, so
    that rdflib's own ``except Exception`` clauses cannot swallow it)."""


class Busy(Exception):
    """Too many queries are running."""


def prepare(text: str) -> Any:
    """Parse a query (raises ValueError with a readable message, PermissionError for updates)."""
    if len(text) > max_query_chars():
        raise OverflowError(
            f"Query too long: {len(text)} characters; the limit is {max_query_chars()}."
        )
    try:
        query = prepareQuery(text, initNs=PREFIXES)
    except Exception as exc:
        if _is_update(text):
            raise PermissionError(
                "SPARQL Update is not accepted: this endpoint is read-only."
            ) from None
        raise ValueError(f"Malformed query: {exc}") from exc
    # rdflib would fetch FROM graphs and SERVICE endpoints over HTTP: this endpoint queries
    # the vocabularies only, and never makes requests for its callers.
    names: set[str] = set()
    traverse(query.algebra, visitPre=lambda n: names.add(getattr(n, "name", "")))
    if names & {"ServiceGraphPattern", "DatasetClause"}:
        raise ValueError(
            "SERVICE, FROM and FROM NAMED are not accepted: this endpoint queries the "
            "vocabularies only."
        )
    return query


def _evaluate(query: Any, data: Graph) -> tuple[Result, bool]:
    """Evaluate and materialise at most max_rows() rows or triples; (result, truncated)."""
    limit = max_rows()
    result = data.query(query)
    if result.type == "SELECT":
        # rdflib yields bindings lazily: take one more than the limit to know it was reached
        source = result._genbindings or iter(result._bindings)
        rows = list(itertools.islice(source, limit + 1))
        capped = Result("SELECT")
        capped.vars = result.vars
        capped.bindings = rows[:limit]
        return capped, len(rows) > limit
    if result.graph is not None and len(result.graph) > limit:  # CONSTRUCT, DESCRIBE
        cut = Graph()
        for triple in itertools.islice(result.graph, limit):
            cut.add(triple)
        result.graph = cut
        return result, True
    return result, False


def _interrupt(thread: threading.Thread) -> None:
    """Raise _Interrupt inside ``thread`` (rdflib is pure Python: it stops at its next
    bytecode instruction)."""
    if thread.ident is not None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(_Interrupt)
        )


def run(text: str, data: Graph | None = None) -> tuple[Result, bool]:
    """Parse and evaluate a query in a worker thread, within time_limit() seconds.

    Raises ValueError (malformed), PermissionError (update), OverflowError (too long),
    Busy (too many running) or QueryTimeout (time limit)."""
    query = prepare(text)
    data = graph() if data is None else data  # built here: the worker touches no database
    slots = _slots()
    seconds = time_limit()
    if not slots.acquire(timeout=1.0):
        raise Busy(f"Too many queries are running (at most {max_concurrent()}); try again.")
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = _evaluate(query, data)
        except _Interrupt:
            outcome["timeout"] = True
        except Exception as exc:  # rdflib raises many kinds during evaluation
            outcome["error"] = exc
        finally:
            slots.release()

    worker = threading.Thread(target=work, name="sparql-query", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive() or "timeout" in outcome:
        _interrupt(worker)
        raise QueryTimeout(
            f"The query ran longer than {seconds:g} seconds and was stopped; "
            "narrow it down (more specific patterns, LIMIT)."
        )
    if "error" in outcome:
        raise ValueError(f"The query failed: {outcome['error']}")
    value: tuple[Result, bool] = outcome["value"]
    return value


def _choose(request: HttpRequest, offered: dict[str, str]) -> str | None:
    wanted = request.GET.get("format")
    if wanted:
        media = SHORT.get(wanted, wanted)
        return media if media in offered else None
    return request.get_preferred_type(list(offered))


@csrf_exempt
@require_http_methods(["GET", "POST", "HEAD"])
def endpoint(request: HttpRequest) -> HttpResponse:
    content_type = request.content_type or ""
    if (
        "update" in request.GET
        or (request.method == "POST" and "update" in request.POST)
        or content_type == "application/sparql-update"
    ):
        return _error("SPARQL Update is not accepted: this endpoint is read-only.")
    if request.method == "POST" and content_type == "application/sparql-query":
        text = request.body.decode("utf-8")
    elif request.method == "POST":
        text = request.POST.get("query", "")
    else:
        text = request.GET.get("query", "")
    if not text.strip():
        if request.get_preferred_type(["text/html", "text/plain"]) == "text/html":
            return render(request, "vocabularies/sparql.html", {"examples": EXAMPLES})
        return _error("Missing query: pass ?query=… (SPARQL 1.1 Protocol).")
    try:
        result, truncated = run(text)
    except (PermissionError, ValueError) as exc:
        return _error(str(exc))
    except OverflowError as exc:
        return _error(str(exc), 413)
    except (QueryTimeout, Busy) as exc:
        response = _error(str(exc), 503)
        response["Retry-After"] = "10"
        return response
    body: bytes | str | None
    if result.type in ("SELECT", "ASK"):
        media = _choose(request, RESULT_TYPES)
        if media is None:
            return _error("Not acceptable: results come as " + ", ".join(RESULT_TYPES), 406)
        body = result.serialize(format=RESULT_TYPES[media])
    else:
        media = _choose(request, GRAPH_TYPES)
        if media is None:
            return _error("Not acceptable: graphs come as " + ", ".join(GRAPH_TYPES), 406)
        assert result.graph is not None
        for prefix, ns in PREFIXES.items():
            result.graph.bind(prefix, ns)
        body = result.graph.serialize(format=GRAPH_TYPES[media])
    response = HttpResponse(body, content_type=f"{media}; charset=utf-8")
    response["Vary"] = "Accept"
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Result-Limit"] = str(max_rows())
    response["X-Result-Truncated"] = "true" if truncated else "false"
    response["Access-Control-Expose-Headers"] = "X-Result-Limit, X-Result-Truncated"
    return response
