from django.urls import path

from . import views

app_name = "grading"

urlpatterns = [
    path(
        "submissions/<int:submission_id>/feedback/",
        views.submission_feedback,
        name="submission-feedback",
    ),
]
