"""Training pages: overview (the training home, effectiveness, settings)."""

from django.urls import URLPattern, path

from safeguard.training import views_overview as views

urlpatterns: list[URLPattern] = [
    path("", views.home, name="home"),
    path("effectiveness/", views.effectiveness_page, name="effectiveness"),
    path("settings/", views.settings_page, name="settings"),
]
