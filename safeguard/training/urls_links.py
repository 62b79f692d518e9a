"""Personal links sent by email (/t/...): a person reads a reminder or acknowledges a document without signing in.
The signed token in the URL is the only key (see links.py)."""

from django.urls import include, path

app_name = "training_links"

urlpatterns = [
    path("", include("safeguard.training.urls_links_reminders")),
    path("", include("safeguard.training.urls_links_acks")),
]
