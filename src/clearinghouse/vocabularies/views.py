"""Dereferenceable vocabulary URIs (content negotiation) and the vocabulary browser.

``/vocab/<scheme>/`` and ``/vocab/<scheme>/<concept>`` (no language prefix) answer with
Turtle, JSON-LD or RDF/XML by Accept header (or ``?format=ttl|jsonld|rdf``); HTML clients
are redirected (303) to the browser page under the reader's language prefix. Deprecated
concepts keep resolving, with ``owl:deprecated`` and ``dct:isReplacedBy``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from rdflib import Graph, URIRef

from clearinghouse.records.i18n import pick
from clearinghouse.vocabularies import crosswalk, skos
from clearinghouse.vocabularies import search as search_index
from clearinghouse.vocabularies.models import Concept, ConceptScheme
from clearinghouse.vocabularies.seed import indicator_roles
from clearinghouse.vocabularies.sparql import graph as cached_graph
from clearinghouse.vocabularies.tagging import tagged_records

HTML = "text/html"
RDF_TYPES = {media: fmt for fmt, (_r, media, _e) in skos.FORMATS.items() if fmt != "csv"}
OFFERED = [HTML, *RDF_TYPES]
LANGS = ("en", "fr", "es", "ar", "ru", "zh")


def _negotiate(request: HttpRequest) -> str | None:
    wanted = request.GET.get("format")
    if wanted:
        if wanted == "html":
            return HTML
        return skos.FORMATS[wanted][1] if wanted in skos.FORMATS and wanted != "csv" else None
    return request.get_preferred_type(OFFERED)


def _rdf_response(graph: Graph, media: str) -> HttpResponse:
    response = HttpResponse(
        skos.serialize(skos.bind(graph), RDF_TYPES[media]), content_type=f"{media}; charset=utf-8"
    )
    response["Vary"] = "Accept"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _not_acceptable() -> HttpResponse:
    return HttpResponse(
        "Not acceptable: this resource is available as " + ", ".join(OFFERED) + "\n",
        status=406,
        content_type="text/plain; charset=utf-8",
    )


def _browser_redirect(request: HttpRequest, name: str, *args: str) -> HttpResponse:
    language = translation.get_language_from_request(request)
    with translation.override(language):
        url = reverse(f"vocabularies:{name}", args=args)
    response = HttpResponseRedirect(url)
    response.status_code = 303  # See Other: the URI names a concept, the page describes it
    response["Vary"] = "Accept"
    return response


def _concept(scheme: str, identifier: str) -> Concept:
    return get_object_or_404(
        Concept.objects.select_related("scheme", "replaced_by"),
        scheme__identifier=scheme,
        identifier=identifier,
    )


def _unknown(request: HttpRequest) -> HttpResponse:
    """404 for an unknown URI. LocaleMiddleware would turn a 404 on an unprefixed path into a
    redirect to the /<lang>/ browser page; judged against the URI patterns alone, it does not."""
    request.urlconf = "clearinghouse.vocabularies.urls"
    return HttpResponseNotFound(
        "No such vocabulary or concept.\n", content_type="text/plain; charset=utf-8"
    )


@require_GET
def scheme_uri(request: HttpRequest, scheme: str) -> HttpResponse:
    obj = ConceptScheme.objects.filter(identifier=scheme).first()
    if obj is None:
        return _unknown(request)
    media = _negotiate(request)
    if media is None:
        return _not_acceptable()
    if media == HTML:
        return _browser_redirect(request, "scheme", obj.identifier)
    return _rdf_response(skos.build_graph([obj]), media)


def describe(concept: Concept) -> Graph:
    """The concept's statements, plus the labels of the scheme and of linked concepts."""
    full = cached_graph()
    node = URIRef(concept.uri)
    out = Graph()
    for p, o in full.predicate_objects(node):
        out.add((node, p, o))
        if isinstance(o, URIRef):
            for label in full.objects(o, skos.SKOS.prefLabel):
                out.add((o, skos.SKOS.prefLabel, label))
    # mappings towards this concept from other schemes (crosswalks), both directions shown
    for relation in skos.MAPPINGS:
        for s in full.subjects(skos.SKOS[relation], node):
            out.add((s, skos.SKOS[relation], node))
            for label in full.objects(s, skos.SKOS.prefLabel):
                out.add((s, skos.SKOS.prefLabel, label))
    return out


@require_GET
def concept_uri(request: HttpRequest, scheme: str, concept: str) -> HttpResponse:
    obj = (
        Concept.objects.select_related("scheme")
        .filter(scheme__identifier=scheme, identifier=concept)
        .first()
    )
    if obj is None:
        return _unknown(request)
    media = _negotiate(request)
    if media is None:
        return _not_acceptable()
    if media == HTML:
        return _browser_redirect(request, "concept", obj.scheme.identifier, obj.identifier)
    return _rdf_response(describe(obj), media)


# -- browser -------------------------------------------------------------------------------


def _language() -> str:
    return translation.get_language() or "en"


def _label(values: dict[str, str], identifier: str) -> dict[str, Any]:
    picked = pick(values, _language())
    return {"text": picked.text or identifier, "lang": picked.language, "fallback": picked.fallback}


def _title(scheme: ConceptScheme) -> dict[str, Any]:
    return _label(scheme.titles, scheme.identifier)


def _visible(request: HttpRequest) -> Any:
    """Global schemes and the current portal's national ones (other portals' national schemes
    are not listed, though their URLs still resolve)."""
    return ConceptScheme.objects.filter(
        Q(portal__isnull=True) | Q(portal=getattr(request, "portal", None))
    )


def _search_schemes(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "identifier": s.identifier,
            "title": _title(s)["text"],
            "national": s.portal_id is not None,
        }
        for s in _visible(request)
    ]


def index(request: HttpRequest) -> HttpResponse:
    visible = _visible(request).annotate(n=Count("concepts"))
    schemes = [{"scheme": s, "title": _title(s), "count": s.n} for s in visible]
    return render(
        request,
        "vocabularies/index.html",
        {
            "schemes": schemes,
            "search_schemes": _search_schemes(request),
            "can_import": can_import(request.user, request.portal),  # type: ignore[attr-defined]
        },
    )


def _node(concept: Concept) -> dict[str, Any]:
    return {"concept": concept, "label": _label(concept.pref_labels, concept.identifier)}


def tree(scheme: ConceptScheme) -> list[dict[str, Any]]:
    """Top concepts of ``scheme`` with their narrower concepts (any scheme), recursively."""
    concepts = list(scheme.concepts.all())
    ids = {c.pk for c in concepts}
    through = Concept.broader.through.objects
    children: dict[int, list[int]] = {}
    has_parent_here: set[int] = set()
    for child, parent in through.values_list("from_concept_id", "to_concept_id"):
        children.setdefault(parent, []).append(child)
        if child in ids and parent in ids:
            has_parent_here.add(child)
    needed = {c for p in children for c in children[p]} | ids
    by_id = {c.pk: c for c in Concept.objects.filter(pk__in=needed).select_related("scheme")}

    def build(pk: int, path: frozenset[int]) -> dict[str, Any]:
        node = _node(by_id[pk])
        node["other_scheme"] = by_id[pk].scheme_id != scheme.pk
        kids = sorted(
            (k for k in children.get(pk, []) if k in by_id and k not in path),
            key=lambda k: (by_id[k].scheme_id != scheme.pk, by_id[k].sort_key, by_id[k].identifier),
        )
        node["children"] = [build(k, path | {k}) for k in kids]
        return node

    return [build(c.pk, frozenset({c.pk})) for c in concepts if c.pk not in has_parent_here]


def scheme_page(request: HttpRequest, scheme: str) -> HttpResponse:
    obj = get_object_or_404(ConceptScheme, identifier=scheme)
    notes = []
    for kind in skos.SCHEME_NOTES:
        picked = pick((obj.notes or {}).get(kind) or {}, _language())
        if picked.text:
            notes.append({"kind": kind, "text": picked.text, "lang": picked.language})
    return render(
        request,
        "vocabularies/scheme.html",
        {
            "scheme": obj,
            "notes": notes,
            "title": _title(obj),
            "tree": tree(obj),
            "formats": ("ttl", "jsonld", "rdf", "csv"),
        },
    )


def scheme_export(request: HttpRequest, scheme: str, fmt: str) -> HttpResponse:
    obj = get_object_or_404(ConceptScheme, identifier=scheme)
    if fmt not in skos.FORMATS:
        raise Http404("Unknown format")
    response = HttpResponse(
        skos.export(fmt, [obj]), content_type=f"{skos.FORMATS[fmt][1]}; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{obj.identifier}.{fmt}"'
    return response


def concept_page(request: HttpRequest, scheme: str, concept: str) -> HttpResponse:
    obj = _concept(scheme, concept)
    language = _language()
    rows = []
    for lang in LANGS:
        rows.append(
            {
                "lang": lang,
                "pref": obj.pref_labels.get(lang, ""),
                "alt": obj.alt_labels.get(lang, []),
                "definition": obj.definitions.get(lang, ""),
            }
        )
    by_uri = {c.uri: c for c in Concept.objects.filter(uri__in=_role_uris(obj))}
    roles = [
        {"role": role, "targets": [_node(by_uri[u]) for u in uris if u in by_uri]}
        for role, uris in indicator_roles(obj).items()
    ]
    records = tagged_records(request.portal, obj)  # type: ignore[attr-defined]
    sources = (obj.extra or {}).get("mapping_sources") or {}
    local = {
        c.uri: c
        for c in Concept.objects.filter(uri__in=[m["uri"] for m in obj.mappings or []])
        .select_related("scheme")
        .only("pk", "uri", "identifier", "pref_labels", "scheme")
    }
    mappings = [
        {
            "relation": m["relation"],
            "uri": m["uri"],
            "node": _node(local[m["uri"]]) if m["uri"] in local else None,
            "source": sources.get(m["uri"], ""),
        }
        for m in obj.mappings or []
    ]
    incoming = [
        {
            "relation": relation,
            "node": _node(c),
            "source": (c.extra or {}).get("mapping_sources", {}).get(obj.uri, ""),
        }
        for relation, c in crosswalk.incoming(obj.uri)
    ]
    return render(
        request,
        "vocabularies/concept.html",
        {
            "concept": obj,
            "label": _label(obj.pref_labels, obj.identifier),
            "definition": pick(obj.definitions, language),
            "rows": rows,
            "broader": [_node(c) for c in obj.broader.select_related("scheme")],
            "narrower": [_node(c) for c in obj.narrower.select_related("scheme")],
            "related": [_node(c) for c in obj.related.select_related("scheme")],
            "replaces": [_node(c) for c in obj.replaces.select_related("scheme")],
            "replacement": _node(obj.replaced_by) if obj.replaced_by else None,
            "roles": roles,
            "mappings": mappings,
            "incoming": incoming,
            "records": [
                {"record": r, "title": pick(r.title or {}, language).text or r.uid} for r in records
            ],
            "formats": ("ttl", "jsonld", "rdf"),
        },
    )


def _role_uris(concept: Concept) -> list[str]:
    return [u for uris in indicator_roles(concept).values() for u in uris]


def search_page(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    scheme = request.GET.get("scheme") or None
    hits = search_index.search(query, scheme) if query else []
    concepts = Concept.objects.select_related("scheme").in_bulk([h.concept_id for h in hits])
    portal = getattr(request, "portal", None)
    results = [
        {**_node(concepts[h.concept_id]), "hit": h}
        for h in hits
        if h.concept_id in concepts
        # a search over all vocabularies leaves out other portals' national schemes
        and (
            scheme or concepts[h.concept_id].scheme.portal_id in (None, getattr(portal, "pk", None))
        )
    ]
    return render(
        request,
        "vocabularies/search.html",
        {
            "query": query,
            "scheme": scheme,
            "results": results,
            "search_schemes": _search_schemes(request),
        },
    )


class Scope:
    """Who may import what: ``everything`` (shared vocabularies included), or only the
    schemes of ``portal`` (a national portal's own vocabularies)."""

    def __init__(self, everything: bool = False, portal: Any = None) -> None:
        self.everything = everything
        self.portal = portal


def import_scope(user: Any, portal: Any) -> Scope | None:
    """Shared vocabularies change for every portal: the central portal's managers and the
    Secretariat (and superusers) may import anything. A national portal's managers may import
    the schemes of their portal only. Anyone else: None."""
    from clearinghouse.portals.permissions import can_manage, roles_on

    if user.is_authenticated and user.is_superuser:
        return Scope(everything=True)
    if portal is None or not user.is_authenticated:
        return None
    if portal.is_central:
        if can_manage(user, portal) or "secretariat" in roles_on(user, portal):
            return Scope(everything=True)
        return None
    return Scope(portal=portal) if can_manage(user, portal) else None


def can_import(user: Any, portal: Any) -> bool:
    return import_scope(user, portal) is not None


@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload a SKOS file; every violation is listed (with the concept URI), nothing stored."""
    scope = import_scope(request.user, getattr(request, "portal", None))
    if scope is None:
        raise PermissionDenied
    context: dict[str, Any] = {"formats": skos.FORMATS, "scope": scope}
    if scope.portal is not None:
        context["own_schemes"] = ConceptScheme.objects.filter(portal=scope.portal)
    upload: Any = request.FILES.get("file")
    if request.method == "POST" and upload is not None:
        fmt = request.POST.get("format") or _suffix_format(upload.name or "")
        data = upload.read()
        if fmt == "csv" and crosswalk.is_crosswalk(data):
            return _import_crosswalk(request, context, data, upload.name, scope)
        try:
            report = skos.import_graph(
                skos.read(data, fmt),
                request.POST.get("scheme") or None,
                portal=scope.portal,
                replace=bool(request.POST.get("replace")),
            )
        except skos.ImportFailed as failed:
            context["violations"] = failed.violations
            context["filename"] = upload.name
            return render(request, "vocabularies/import.html", context, status=400)
        messages.success(
            request,
            _("%(s)s scheme(s), %(c)s concept(s) (%(n)s new, %(d)s deprecated) imported.")
            % {
                "s": report.schemes,
                "c": report.concepts,
                "n": report.created,
                "d": report.deprecated,
            },
        )
        return HttpResponseRedirect(reverse("vocabularies:index"))
    return render(request, "vocabularies/import.html", context)


def _import_crosswalk(
    request: HttpRequest, context: dict[str, Any], data: bytes, name: str, scope: Scope
) -> HttpResponse:
    try:
        report = crosswalk.import_crosswalk(data, portal=scope.portal)
    except crosswalk.CrosswalkFailed as failed:
        context["violations"] = [skos.Violation("", p) for p in failed.problems]
        context["filename"] = name
        return render(request, "vocabularies/import.html", context, status=400)
    messages.success(
        request,
        _("Crosswalk imported: %(r)s row(s), %(a)s new mapping(s) on %(c)s concept(s).")
        % {"r": report.rows, "a": report.added, "c": report.concepts},
    )
    return HttpResponseRedirect(reverse("vocabularies:index"))


def _suffix_format(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower()
    return {"xml": "rdf", "json": "jsonld"}.get(suffix, suffix)
