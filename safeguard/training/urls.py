"""Training pages under /o/<org_slug>/training/, one URL module per area."""

from django.urls import include, path

app_name = "training"

urlpatterns = [
    path("", include("safeguard.training.urls_overview")),
    path("", include("safeguard.training.urls_courses")),
    path("", include("safeguard.training.urls_assignments")),
    path("", include("safeguard.training.urls_learning")),
    path("", include("safeguard.training.urls_phishing")),
    path("", include("safeguard.training.urls_reminders")),
    path("", include("safeguard.training.urls_acks")),
]
