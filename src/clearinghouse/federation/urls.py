from django.urls import path

from clearinghouse.federation import views

urlpatterns = [
    path("oai", views.oai, name="oai"),
    path("oai/cbd.xsd", views.cbd_schema, name="oai_cbd_schema"),
]
