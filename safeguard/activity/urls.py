"""Activity review pages under /o/<org_slug>/activity/, one URL module per area."""

from django.urls import include, path

app_name = "activity"

urlpatterns = [
    path("", include("safeguard.activity.urls_overview")),
    path("", include("safeguard.activity.urls_sources")),
    path("", include("safeguard.activity.urls_enrichment")),
    path("", include("safeguard.activity.urls_events")),
    path("", include("safeguard.activity.urls_rules")),
    path("", include("safeguard.activity.urls_alerts")),
    path("", include("safeguard.activity.urls_reviews")),
]
