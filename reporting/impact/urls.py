from django.urls import path

from . import views

app_name = "impact"

urlpatterns = [
    path("", views.home, name="home"),
    path("imports/", views.import_create, name="import-create"),
    path("imports/<int:job_id>/", views.import_detail, name="import-detail"),
    path(
        "imports/<int:job_id>/rejected.csv",
        views.import_rejections_csv,
        name="import-rejections-csv",
    ),
    path("api/tickets/", views.api_tickets, name="api-tickets"),
    path("cohorts/<slug:slug>/", views.cohort_dashboard, name="cohort-dashboard"),
    path(
        "cohorts/<slug:slug>/agents/<int:agent_id>/",
        views.agent_dashboard,
        name="agent-dashboard",
    ),
    path("cohorts/<slug:slug>/tickets/", views.ticket_list, name="ticket-list"),
    path("cohorts/<slug:slug>/settings/", views.settings_edit, name="cohort-settings"),
    path("cohorts/<slug:slug>/leaders/", views.leaders_edit, name="cohort-leaders"),
    path("cohorts/<slug:slug>/charts/<slug:chart>.csv", views.chart_csv, name="chart-csv"),
]
