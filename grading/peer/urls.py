"""Peer-review routes, included under /grading/peer/ in the `grading` namespace."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.peer_home, name="peer-home"),
    path("<slug:exercise_slug>/next/", views.peer_next, name="peer-next"),
    path(
        "<slug:exercise_slug>/calibrate/",
        views.reviewer_calibration,
        name="peer-reviewer-calibration",
    ),
    path("reviews/<int:review_id>/", views.peer_review, name="peer-review"),
    path("reviews/<int:review_id>/passage/", views.peer_review_passage, name="peer-review-passage"),
    path("reviews/<int:review_id>/report/", views.peer_review_report, name="peer-review-report"),
    path("reviews/<int:review_id>/rate/", views.peer_review_rate, name="peer-review-rate"),
    path("reviews/<int:review_id>/dispute/", views.peer_review_dispute, name="peer-review-dispute"),
    path("submissions/<int:submission_id>/", views.peer_submission, name="peer-submission"),
    path("cohorts/", views.peer_cohort_list, name="peer-cohort-list"),
    path("cohorts/<slug:slug>/", views.peer_cohort, name="peer-cohort"),
    path("cohorts/<slug:slug>/allocate/", views.peer_allocate, name="peer-allocate"),
]
