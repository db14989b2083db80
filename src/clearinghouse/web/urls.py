from django.contrib.auth import views as auth_views
from django.urls import path

from clearinghouse.web import editor, public
from clearinghouse.web.auth import LoginForm

app_name = "web"

urlpatterns = [
    path("", public.home, name="home"),
    path("network/", public.network, name="network"),
    path("records/<str:schema>/", public.browse, name="browse"),
    path("records/<str:schema>/export.<str:fmt>", editor.export, name="export"),
    path("r/<str:uid>/", public.record_detail, name="record"),
    path("r/<str:uid>/revisions/", public.revisions, name="revisions"),
    path("r/<str:uid>/diff/<int:a>/<int:b>/", public.revision_diff, name="diff"),
    path("files/<int:pk>/", public.attachment, name="attachment"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="web/login.html", form_class=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("editor/", editor.dashboard, name="editor"),
    path("editor/new/<str:schema>/", editor.new_record, name="new"),
    path("editor/drafts/<str:uid>/", editor.edit_draft, name="edit_draft"),
    path("editor/drafts/<str:uid>/attach/", editor.upload_attachment, name="attach"),
    path("editor/records/<str:uid>/edit/", editor.open_published, name="open_published"),
    path("editor/records/<str:uid>/delete/", editor.ask_deletion, name="ask_deletion"),
    path("editor/reviews/", editor.reviews, name="reviews"),
    path("editor/requests/<int:pk>/", editor.request_detail, name="request"),
    path("editor/requests/<int:pk>/decide/", editor.decide, name="decide"),
    path("editor/batches/<str:batch_id>/decide/", editor.decide_batch_view, name="decide_batch"),
    path("editor/import/<str:schema>/", editor.bulk_import, name="import"),
]
