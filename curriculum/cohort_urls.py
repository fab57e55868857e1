"""The cohort pages of the trainer console, and the invitation link agents follow."""

from django.urls import path

from . import views

app_name = "cohorts"

# "new" and "join" are not cohort slugs (curriculum.services.RESERVED_SLUGS).
urlpatterns = [
    path("", views.cohort_list, name="list"),
    path("new/", views.cohort_create, name="create"),
    path(
        "join/pending/<int:invitation_id>/",
        views.invitation_join_pending,
        name="invitation-join-pending",
    ),
    path("join/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("<slug:slug>/", views.cohort_detail, name="detail"),
    path("<slug:slug>/edit/", views.cohort_edit, name="edit"),
    path("<slug:slug>/archive/", views.cohort_archive, name="archive"),
    path("<slug:slug>/invitations/", views.invitation_create, name="invitation-create"),
    path("<slug:slug>/invitations/import/", views.invitation_import, name="invitation-import"),
    path(
        "<slug:slug>/invitations/<int:invitation_id>/resend/",
        views.invitation_resend,
        name="invitation-resend",
    ),
    path(
        "<slug:slug>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("<slug:slug>/agents/<int:user_id>/remove/", views.agent_remove, name="agent-remove"),
    path("<slug:slug>/trainers/", views.trainer_add, name="trainer-add"),
    path("<slug:slug>/trainers/<int:user_id>/remove/", views.trainer_remove, name="trainer-remove"),
]
