from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from clearinghouse.api.routes import api
from clearinghouse.vocabularies import urls as vocab
from clearinghouse.web import public

urlpatterns = [
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("healthz", public.health, name="health"),
    path("", public.root, name="root"),
    path("", include(vocab.uris)),  # /vocab/<scheme>/<concept> URIs and /sparql
    path("", include("clearinghouse.federation.urls")),  # /oai
    path("", include("clearinghouse.federation.akn_urls")),  # /decisions/<uid>.akn.xml, /informea/
    *i18n_patterns(
        path("", include("clearinghouse.web.urls")),
        path("vocab/", include(vocab.browser)),
        path("cooperation/", include("clearinghouse.cooperation.urls")),
        path("harvest/", include("clearinghouse.federation.ui_urls")),
        path("", include("clearinghouse.search.urls")),
        prefix_default_language=True,
    ),
]
