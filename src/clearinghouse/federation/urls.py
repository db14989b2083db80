from django.urls import path

from clearinghouse.federation import views

urlpatterns = [
    path("oai", views.oai, name="oai"),
    path("catalog", views.catalog, name="catalog"),
    path("catalog.<str:fmt>", views.catalog, name="catalog_format"),
    path("oai/cbd.xsd", views.cbd_schema, name="oai_cbd_schema"),
]
