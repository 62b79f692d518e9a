"""Risk pages under /o/<org_slug>/risk/, one URL module per area."""

from django.urls import include, path

app_name = "risk"

urlpatterns = [
    path("", include("safeguard.risk.urls_assets")),
    path("", include("safeguard.risk.urls_analyses")),
    path("", include("safeguard.risk.urls_register")),
    path("", include("safeguard.risk.urls_sanctions")),
    path("", include("safeguard.risk.urls_reports")),
    path("", include("safeguard.risk.urls_imports")),
]
