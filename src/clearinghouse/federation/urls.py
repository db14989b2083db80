from django.urls import path

from clearinghouse.federation import iati_views, views

urlpatterns = [
    path("oai", views.oai, name="oai"),
    path("catalog", views.catalog, name="catalog"),
    path("catalog.<str:fmt>", views.catalog, name="catalog_format"),
    path("cbd/records/<str:uid>.json", views.cbd_record, name="cbd_record"),
    path("oai/cbd.xsd", views.cbd_schema, name="oai_cbd_schema"),
    path("iati/activities.xml", iati_views.activities, name="iati_activities"),
    path("iati/activities/<str:uid>.xml", iati_views.record_activity, name="iati_activity"),
    path("iati/grants/<int:pk>.xml", iati_views.grant_activity, name="iati_grant"),
]
