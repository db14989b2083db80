from django.urls import path

from clearinghouse.search import views

app_name = "search"

urlpatterns = [
    path("search", views.search_page, name="page"),
    path("search/gaps/", views.gaps_page, name="gaps"),
]
