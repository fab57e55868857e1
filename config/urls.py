"""Top-level URL configuration."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from curriculum import views as curriculum_views
from grading import urls as grading_urls
from reporting import urls as reporting_urls
from reporting import views as reporting_views

admin.site.site_header = "Coachline administration"
admin.site.site_title = "Coachline admin"
# The admin logs in through allauth's login page, so its rate limits cover staff accounts
# too (the admin's own login form has none); logged-in non-staff users get a 403.
admin.site.login = secure_admin_login(admin.site.login)

# One `grading` namespace for the grading pages and the trainer console, which spans two
# layers: its queue, reviews and trainer calibration sessions are grading's, its progress
# pages and grader quality are reporting's (on top, so grading cannot include them itself).
grading_namespace = [
    *grading_urls.urlpatterns,
    path("console/", include(reporting_urls.console_urlpatterns)),
]

urlpatterns = [
    path("", curriculum_views.landing, name="landing"),
    path("home/", reporting_views.home, name="home"),
    path("agent/", reporting_views.agent_home, name="agent-home"),
    path("trainer/", reporting_views.trainer_home, name="trainer-home"),
    path("profile/", curriculum_views.profile, name="profile"),
    path("modules/", include("curriculum.urls")),
    path("cohorts/", include("curriculum.cohort_urls")),
    path("", include("exercises.urls")),
    path("grading/", include((grading_namespace, grading_urls.app_name))),
    path("impact/", include("reporting.impact.urls")),
    path("studio/", include("studio.urls")),
    path("authoring/", include("authoring.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
