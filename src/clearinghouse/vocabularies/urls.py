"""Two URL sets: ``uris`` (no language prefix: dereferenceable URIs and /sparql) and
``browser`` (mounted at /<lang>/vocab/ by clearinghouse.urls)."""

from django.urls import path

from clearinghouse.vocabularies import sparql, views

uris = (
    [
        path("sparql", sparql.endpoint, name="sparql"),
        path("vocab/<str:scheme>/", views.scheme_uri, name="scheme"),
        path("vocab/<str:scheme>/<str:concept>", views.concept_uri, name="concept"),
    ],
    "vocab",
)

browser = (
    [
        path("", views.index, name="index"),
        path("search/", views.search_page, name="search"),
        path("import/", views.import_page, name="import"),
        path("<str:scheme>/", views.scheme_page, name="scheme"),
        path("<str:scheme>/export.<str:fmt>", views.scheme_export, name="export"),
        path("<str:scheme>/<str:concept>/", views.concept_page, name="concept"),
    ],
    "vocabularies",
)

# Only for judging unknown URIs (see views._unknown): the URI patterns without i18n.
urlpatterns = uris[0]
