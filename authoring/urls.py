from django.urls import path

from . import views

app_name = "authoring"

urlpatterns = [
    path("", views.home, name="home"),
    path("tickets/", views.ticket_import, name="ticket-import"),
    path("tickets/review/", views.ticket_confirm, name="ticket-confirm"),
    path("scenarios/new/", views.draft_create, name="draft-create"),
    path("scenarios/<int:pk>/", views.draft_edit, name="draft-edit"),
    path("scenarios/<int:pk>/preview/", views.draft_preview, name="draft-preview"),
    path("rubrics/", views.rubric_list, name="rubric-list"),
    path("rubrics/<slug:slug>/", views.rubric_edit, name="rubric-edit"),
    path("rubrics/<slug:slug>/archive/", views.rubric_archive, name="rubric-archive"),
    path("rubrics/<slug:slug>/regrade/", views.rubric_regrade, name="rubric-regrade"),
]
