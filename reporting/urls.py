"""Routes of the reporting pages that sit in the trainer console.

They keep the paths and names they had before they moved up from grading/console/
(/grading/console/cohorts/<slug>/progress/ is `grading:console-progress`, and so on):
config/urls.py serves `console_urlpatterns` under /grading/console/ in the `grading`
namespace, beside grading's own console routes. The role homes are routed in config/urls.py.
"""

from django.urls import path

from . import views

console_urlpatterns = [
    path("cohorts/<slug:slug>/progress/", views.cohort_progress, name="console-progress"),
    path("cohorts/<slug:slug>/grades.csv", views.grades_csv, name="console-grades-csv"),
    path("cohorts/<slug:slug>/progress.csv", views.progress_csv, name="console-progress-csv"),
    path("cohorts/<slug:slug>/agents/<int:user_id>/", views.agent_progress, name="console-agent"),
    path("cohorts/<slug:slug>/quality/", views.grader_quality, name="console-quality"),
]
