"""Access pages under /o/<org_slug>/access/, one URL module per area."""

from django.urls import include, path

app_name = "access"

urlpatterns = [
    path("", include("safeguard.access.urls_systems")),
    path("", include("safeguard.access.urls_profiles")),
    path("", include("safeguard.access.urls_reviews")),
    path("", include("safeguard.access.urls_breakglass")),
]
