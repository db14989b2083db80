from django.urls import path

from clearinghouse.federation import views

urlpatterns = [
    path("oai", views.oai, name="oai"),
    path("catalog", views.catalog, name="catalog"),
    path("catalog.<str:fmt>", views.catalog, name="catalog_format"),
    path("cbd/records/<str:uid>.json", views.cbd_record, name="cbd_record"),
    path("oai/cbd.xsd", views.cbd_schema, name="oai_cbd_schema"),
]
