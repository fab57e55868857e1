from django.urls import path

from . import views

app_name = "exercises"

urlpatterns = [
    path("exercises/<slug:exercise_slug>/", views.exercise_detail, name="exercise-detail"),
    path(
        "exercises/<slug:exercise_slug>/<slug:scenario_slug>/",
        views.workspace,
        name="workspace",
    ),
    path(
        "exercises/<slug:exercise_slug>/<slug:scenario_slug>/save/",
        views.workspace_save,
        name="workspace-save",
    ),
    path(
        "exercises/<slug:exercise_slug>/<slug:scenario_slug>/draft/",
        views.draft_request,
        name="draft-request",
    ),
    path(
        "exercises/<slug:exercise_slug>/<slug:scenario_slug>/submit/",
        views.workspace_submit,
        name="workspace-submit",
    ),
    path("drafts/<int:pk>/", views.draft_status, name="draft-status"),
    path("submissions/", views.submission_list, name="submission-list"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission-detail"),
]
