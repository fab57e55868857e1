"""Trainers' prompt-template routes, under /grading/prompt-templates/ (names grading:prompt-*)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.library, name="prompt-library"),
    path("new/", views.template_create, name="prompt-template-create"),
    path("<int:template_id>/versions/", views.version_add, name="prompt-version-add"),
    path(
        "proposals/<int:version_id>/review/", views.proposal_review, name="prompt-proposal-review"
    ),
]
