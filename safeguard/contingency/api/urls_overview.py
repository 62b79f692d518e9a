"""Readiness and business associates' recovery API routes (under /api/v1/orgs/<org_slug>/contingency/)."""

from django.urls import URLPattern, path

from safeguard.contingency.api import overview, vendors

urlpatterns: list[URLPattern] = [
    path("readiness/", overview.ReadinessView.as_view(), name="contingency_readiness"),
    path("readiness/assets/", overview.ReadinessAssetListView.as_view(), name="contingency_readiness_assets"),
    path("vendor-recovery/", vendors.VendorRecoveryListView.as_view(), name="contingency_vendor_recoveries"),
    path(
        "vendor-recovery/<uuid:record_id>/",
        vendors.VendorRecoveryDetailView.as_view(),
        name="contingency_vendor_recovery",
    ),
]
