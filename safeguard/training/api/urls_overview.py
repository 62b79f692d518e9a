"""Training API routes: overview (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.training.api import overview

urlpatterns: list[URLPattern] = [
    path("training/effectiveness/", overview.EffectivenessView.as_view(), name="training_effectiveness"),
    path("training/settings/", overview.TrainingSettingsView.as_view(), name="training_settings"),
]
