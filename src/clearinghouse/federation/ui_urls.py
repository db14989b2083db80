"""Harvest status pages, under the language prefixes: ``/<lang>/harvest/``."""

from django.urls import path

from clearinghouse.federation import views

app_name = "harvest"

urlpatterns = [
    path("", views.harvest_status, name="status"),
    path("<int:pk>/", views.harvest_source, name="source"),
    path("<int:pk>/run/", views.harvest_run, name="run"),
]
