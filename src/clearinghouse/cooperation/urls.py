from django.urls import path

from clearinghouse.cooperation import grant_views, views

app_name = "cooperation"

urlpatterns = [
    path("", views.index, name="index"),
    path("cycle/", views.run_cycle, name="cycle"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("submit/<str:uid>/", views.submit, name="submit"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("requests/<int:pk>/act/", views.act, name="act"),
    path("requests/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("requests/<int:pk>/override/", views.override, name="override"),
    path("providers/<str:uid>/", views.provider, name="provider"),
    path("grants/", grant_views.calls, name="calls"),
    path("grants/<str:uid>/apply/", grant_views.apply, name="apply"),
    path("grants/<str:uid>/ranking/", grant_views.ranking, name="ranking"),
    path("proposals/<int:pk>/", grant_views.proposal, name="proposal"),
    path("proposals/<int:pk>/do/", grant_views.proposal_action, name="proposal_action"),
]
