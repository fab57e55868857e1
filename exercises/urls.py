from django.urls import path

from . import views
from .prompt_library import views as prompt_library_views

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
    path(
        "exercises/<slug:exercise_slug>/<slug:scenario_slug>/insert-template/",
        views.workspace_insert_template,
        name="workspace-insert-template",
    ),
    # The prompt-template library (exercises/prompt_library/): agents read and propose.
    path("prompt-templates/", prompt_library_views.library, name="prompt-library"),
    path(
        "prompt-templates/propose/",
        prompt_library_views.propose_template,
        name="prompt-template-propose",
    ),
    path(
        "prompt-templates/<int:template_id>/propose/",
        prompt_library_views.propose_version,
        name="prompt-version-propose",
    ),
    path(
        "exercises/<slug:exercise_slug>/<slug:scenario_slug>/passage/",
        views.passage_find,
        name="passage-find",
    ),
    path("drafts/<int:pk>/", views.draft_status, name="draft-status"),
    path("submissions/", views.submission_list, name="submission-list"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission-detail"),
    # Assignments are set from the cohort page (curriculum/cohort_urls.py, mounted at
    # /cohorts/ before this module, leaves these paths to it).
    path("cohorts/<slug:slug>/assignments/new/", views.assignment_create, name="assignment-create"),
    path(
        "cohorts/<slug:slug>/assignments/<int:assignment_id>/edit/",
        views.assignment_edit,
        name="assignment-edit",
    ),
    path(
        "cohorts/<slug:slug>/assignments/<int:assignment_id>/delete/",
        views.assignment_delete,
        name="assignment-delete",
    ),
]
