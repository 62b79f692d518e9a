"""Activity review API routes: overview, evaluation runs and settings (under /api/v1/orgs/<org_slug>/)."""

from django.urls import URLPattern, path

from safeguard.activity.api import overview

urlpatterns: list[URLPattern] = [
    path("activity/overview/", overview.OverviewView.as_view(), name="activity_overview"),
    path("activity/runs/", overview.RuleRunListView.as_view(), name="activity_runs"),
    path("activity/runs/<uuid:run_id>/", overview.RuleRunDetailView.as_view(), name="activity_run"),
    path("activity/settings/", overview.SettingsView.as_view(), name="activity_settings"),
]
