from django.urls import include, path

from . import views

app_name = "grading"

urlpatterns = [
    path(
        "submissions/<int:submission_id>/feedback/",
        views.submission_feedback,
        name="submission-feedback",
    ),
    # Peer review (grading/peer/urls.py): names are grading:peer-*.
    path("peer/", include("grading.peer.urls")),
    # Trainer console (grading/console/urls.py): names are grading:console-*.
    path("console/", include("grading.console.urls")),
]
