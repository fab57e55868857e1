"""Trainer-console routes, included under /grading/console/ in the `grading` namespace.

The console's progress and grader-quality pages are reporting's (reporting/urls.py);
config/urls.py serves them under the same prefix and namespace."""

from django.urls import path

from ..calibration import views as calibration_views
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
    # The calibration loop (grading/calibration/): inbox, flags, discussion, examples.
    path(
        "queue/<int:submission_id>/disputes/<int:review_id>/",
        views.dispute_decide,
        name="console-dispute-decide",
    ),
    path(
        "queue/<int:submission_id>/calibration-flag/",
        calibration_views.calibration_flag,
        name="console-calibration-flag",
    ),
    path(
        "calibration/inbox/", calibration_views.calibration_inbox, name="console-calibration-inbox"
    ),
    path(
        "calibration/flags/<int:flag_id>/dismiss/",
        calibration_views.calibration_flag_dismiss,
        name="console-calibration-flag-dismiss",
    ),
    path(
        "calibration/<int:session_id>/items/<int:item_id>/comment/",
        calibration_views.calibration_comment,
        name="console-calibration-comment",
    ),
    path(
        "calibration/<int:session_id>/items/<int:item_id>/agree/",
        calibration_views.calibration_agree,
        name="console-calibration-agree",
    ),
    path(
        "calibration/<int:session_id>/items/<int:item_id>/escalate/",
        calibration_views.calibration_escalate,
        name="console-calibration-escalate",
    ),
    path(
        "calibration/<int:session_id>/items/<int:item_id>/decide/",
        calibration_views.calibration_decide,
        name="console-calibration-decide",
    ),
    path(
        "calibration/<int:session_id>/items/<int:item_id>/publish/",
        calibration_views.calibration_publish,
        name="console-calibration-publish",
    ),
    path(
        "calibration/<int:session_id>/conclude/",
        calibration_views.calibration_conclude,
        name="console-calibration-conclude",
    ),
    path(
        "calibration/<int:session_id>/export.csv",
        calibration_views.calibration_export,
        name="console-calibration-export",
    ),
    path(
        "examples/<int:published_id>/withdraw/",
        calibration_views.calibration_withdraw,
        name="console-calibration-withdraw",
    ),
]
