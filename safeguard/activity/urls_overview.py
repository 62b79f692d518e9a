"""Activity review pages: overview, evaluation runs and settings (under /o/<org_slug>/activity/)."""

from django.urls import URLPattern, path

from safeguard.activity import views_overview as views

urlpatterns: list[URLPattern] = [
    path("", views.activity_home, name="home"),
    path("runs/", views.run_list, name="run_list"),
    path("runs/<uuid:run_id>/", views.run_detail, name="run_detail"),
    path("settings/", views.activity_settings_edit, name="settings"),
]
