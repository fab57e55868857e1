from django.urls import path

from . import views

app_name = "studio"

urlpatterns = [
    path("kb/", views.kb_index, name="kb"),
    path("kb/new/<slug:category>/", views.draft_new, name="draft-new"),
    path("kb/drafts/<int:draft_id>/", views.draft_edit, name="draft-edit"),
    path("kb/drafts/<int:draft_id>/confirm/", views.draft_confirm, name="draft-confirm"),
    path("kb/facts/<slug:slug>/edit/", views.fact_edit, name="fact-edit"),
    path("kb/import/csv/", views.import_csv, name="import-csv"),
    path("kb/import/help-centre/", views.import_help_centre, name="import-help-centre"),
    path("kb/publish/", views.publish, name="publish"),
]
