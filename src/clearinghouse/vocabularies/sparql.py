"""A read-only SPARQL 1.1 Protocol endpoint over the vocabularies (rdflib's SPARQL engine).

The graph is the full SKOS export (``skos.build_graph``), built once and kept until
``labels.fingerprint()`` says a concept or scheme changed. Queries go by GET ``?query=``, by
POST form ``query=`` or by POST ``application/sparql-query``; updates are refused with 400.
Results: SELECT/ASK as SPARQL JSON (default), XML, CSV or TSV; CONSTRUCT/DESCRIBE as Turtle
(default), JSON-LD, RDF/XML or N-Triples, by Accept header or ``?format=``."""

from __future__ import annotations

import threading
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from rdflib import RDF, RDFS, Graph
from rdflib.namespace import DCTERMS, OWL, SKOS
from rdflib.plugins.sparql import prepareQuery, prepareUpdate

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

_lock = threading.Lock()
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


def run(text: str) -> Any:
    """Parse and evaluate a query (raises ValueError with a readable message)."""
    try:
        query = prepareQuery(text, initNs=PREFIXES)
    except Exception as exc:
        if _is_update(text):
            raise PermissionError(
                "SPARQL Update is not accepted: this endpoint is read-only."
            ) from None
        raise ValueError(f"Malformed query: {exc}") from exc
    return graph().query(query)


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
        result = run(text)
    except PermissionError as exc:
        return _error(str(exc))
    except ValueError as exc:
        return _error(str(exc))
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
    return response
