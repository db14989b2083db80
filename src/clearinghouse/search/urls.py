from django.urls import path

from clearinghouse.search import views

app_name = "search"

urlpatterns = [
    path("search", views.search_page, name="page"),
    path("search/gaps/", views.gaps_page, name="gaps"),
    path("search/gaps/matrix.csv", views.gaps_csv, name="gaps_csv"),
    path("search/save", views.save_search, name="save"),
    path("search/saved/", views.saved_searches, name="saved"),
    path("search/saved/<int:pk>/delete", views.delete_saved_search, name="delete_saved"),
    path("search/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(
        "editor/drafts/<str:uid>/suggestions/",
        views.draft_suggestions,
        name="draft_suggestions",
    ),
    path("editor/drafts/<str:uid>/suggestions/decide", views.decide_suggestion, name="decide"),
]
