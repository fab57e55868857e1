"""Trainer-console routes, included under /grading/console/ in the `grading` namespace."""

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
    path("cohorts/<slug:slug>/progress/", views.cohort_progress, name="console-progress"),
    path("cohorts/<slug:slug>/release/", views.release_exercise, name="console-release-exercise"),
    path("cohorts/<slug:slug>/grades.csv", views.grades_csv, name="console-grades-csv"),
    path("cohorts/<slug:slug>/progress.csv", views.progress_csv, name="console-progress-csv"),
    path("cohorts/<slug:slug>/agents/<int:user_id>/", views.agent_progress, name="console-agent"),
    path("cohorts/<slug:slug>/quality/", views.grader_quality, name="console-quality"),
    path(
        "cohorts/<slug:slug>/calibration/", views.calibration_list, name="console-calibration-list"
    ),
    path("calibration/<int:session_id>/", views.calibration_session, name="console-calibration"),
]
