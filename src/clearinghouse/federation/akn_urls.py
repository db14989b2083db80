"""URLs of the Akoma Ntoso export and of the InforMEA-style feed (outside language prefixes)."""

from django.urls import path

from clearinghouse.federation import akn_views, informea

urlpatterns = [
    path("decisions/<str:uid>.akn.xml", akn_views.akn_record, name="akn_record"),
    path("informea/", informea.service_document, name="informea"),
    path("informea/<str:entity_set>", informea.entity_set, name="informea_set"),
]
