from django.urls import path

from . import views

app_name = "curriculum"

urlpatterns = [
    path("", views.module_list, name="module-list"),
    path("<slug:slug>/", views.module_detail, name="module-detail"),
    path("<slug:module_slug>/lessons/<slug:slug>/", views.lesson_detail, name="lesson-detail"),
]
