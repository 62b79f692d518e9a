"""Training API routes: phishing simulations (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.training.api import phishing

CAMPAIGN = "training/phishing-campaigns/<uuid:campaign_id>/"

urlpatterns: list[URLPattern] = [
    path(
        "training/phishing-campaigns/", phishing.PhishingCampaignListView.as_view(), name="training_phishing_campaigns"
    ),
    path(CAMPAIGN, phishing.PhishingCampaignDetailView.as_view(), name="training_phishing_campaign"),
    path(f"{CAMPAIGN}results/", phishing.PhishingResultListView.as_view(), name="training_phishing_results"),
    path(
        f"{CAMPAIGN}departments/",
        phishing.PhishingCampaignDepartmentListView.as_view(),
        name="training_phishing_campaign_departments",
    ),
    path("training/phishing-trend/", phishing.PhishingTrendView.as_view(), name="training_phishing_trend"),
    path(
        "training/phishing-departments/",
        phishing.PhishingDepartmentListView.as_view(),
        name="training_phishing_departments",
    ),
    path(
        "training/phishing-repeat-clickers/",
        phishing.PhishingRepeatClickerListView.as_view(),
        name="training_phishing_repeat_clickers",
    ),
    path("training/phishing-imports/", phishing.PhishingImportView.as_view(), name="training_phishing_imports"),
]
