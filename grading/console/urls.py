"""Trainer-console routes, included under /grading/console/ in the `grading` namespace.

The console's progress and grader-quality pages are reporting's (reporting/urls.py);
config/urls.py serves them under the same prefix and namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.console_home, name="console-home"),
    path("queue/", views.queue, name="console-queue"),
    path("queue/<int:submission_id>/", views.review, name="console-review"),
    path("queue/<int:submission_id>/open/", views.queue_open, name="console-open"),
    path("queue/<int:submission_id>/unlock/", views.queue_unlock, name="console-unlock"),
    path("queue/<int:submission_id>/release/", views.release, name="console-release"),
    path("cohorts/<slug:slug>/settings/", views.cohort_settings, name="console-settings"),
    path("cohorts/<slug:slug>/release/", views.release_exercise, name="console-release-exercise"),
    path("cohorts/<slug:slug>/held/", views.held_grades, name="console-held"),
    path("cohorts/<slug:slug>/regrade-llm/", views.regrade_llm, name="console-regrade-llm"),
    path(
        "cohorts/<slug:slug>/calibration/",
        views.trainer_calibration_list,
        name="console-trainer-calibration-list",
    ),
    path(
        "calibration/<int:session_id>/",
        views.trainer_calibration_session,
        name="console-trainer-calibration",
    ),
]
