"""Training personal links: acknowledging a document from the email (/t/acks/<token>/, no sign-in)."""

from django.urls import URLPattern, path

from safeguard.training import views_links_acks as views

urlpatterns: list[URLPattern] = [
    path("acks/<str:token>/", views.ack_link, name="ack"),
]
