from django.urls import include, path

from . import views
from .calibration import views as calibration_views

app_name = "grading"

urlpatterns = [
    path(
        "submissions/<int:submission_id>/feedback/",
        views.submission_feedback,
        name="submission-feedback",
    ),
    # The examples gallery agents learn from (grading/calibration/).
    path("examples/", calibration_views.gallery, name="examples"),
    path("examples/<int:published_id>/", calibration_views.gallery_example, name="example"),
    # Peer review (grading/peer/urls.py): names are grading:peer-*.
    path("peer/", include("grading.peer.urls")),
    # The trainers' prompt-template library (grading/prompt_library/): grading:prompt-*.
    path("prompt-templates/", include("grading.prompt_library.urls")),
    # Trainer console (grading/console/urls.py): names are grading:console-*.
    path("console/", include("grading.console.urls")),
]
