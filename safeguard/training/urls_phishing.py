"""Training pages: phishing simulations (under /o/<org_slug>/training/)."""

from django.urls import URLPattern, path

from safeguard.training import views_phishing as views

CAMPAIGN = "phishing/campaigns/<uuid:campaign_id>/"

urlpatterns: list[URLPattern] = [
    path("phishing/", views.phishing_campaign_list, name="phishing_campaign_list"),
    path("phishing/import/", views.phishing_import, name="phishing_import"),
    path("phishing/trend/", views.phishing_trend, name="phishing_trend"),
    path(CAMPAIGN, views.phishing_campaign_detail, name="phishing_campaign_detail"),
    path(f"{CAMPAIGN}edit/", views.phishing_campaign_edit, name="phishing_campaign_edit"),
    path(f"{CAMPAIGN}delete/", views.phishing_campaign_delete, name="phishing_campaign_delete"),
]
