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
    # The trainers' prompt-template library (grading/prompt_library/): grading:prompt-*.
    path("prompt-templates/", include("grading.prompt_library.urls")),
    # Trainer console (grading/console/urls.py): names are grading:console-*.
    path("console/", include("grading.console.urls")),
]
