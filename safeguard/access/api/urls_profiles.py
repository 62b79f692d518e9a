"""Access API routes: role profiles, access exceptions and access beyond profile (under /api/v1/orgs/<org_slug>/,
api namespace)."""

from django.urls import URLPattern, path

from safeguard.access.api import profiles

PROFILE = "profiles/<uuid:profile_id>/"
EXCEPTION = "exceptions/<uuid:exception_id>/"

urlpatterns: list[URLPattern] = [
    path("profiles/", profiles.ProfileListView.as_view(), name="access_profiles"),
    path(PROFILE, profiles.ProfileDetailView.as_view(), name="access_profile"),
    path(f"{PROFILE}grants/", profiles.ProfileGrantListView.as_view(), name="access_profile_grants"),
    path(f"{PROFILE}grants/remove/", profiles.ProfileGrantRemoveView.as_view(), name="access_profile_grant_remove"),
    path("exceptions/", profiles.ExceptionListView.as_view(), name="access_exceptions"),
    path(EXCEPTION, profiles.ExceptionDetailView.as_view(), name="access_exception"),
    path(f"{EXCEPTION}approve/", profiles.ExceptionApproveView.as_view(), name="access_exception_approve"),
    path(f"{EXCEPTION}reject/", profiles.ExceptionRejectView.as_view(), name="access_exception_reject"),
    path(f"{EXCEPTION}revoke/", profiles.ExceptionRevokeView.as_view(), name="access_exception_revoke"),
    path("beyond-profile/", profiles.BeyondProfileView.as_view(), name="access_beyond_profile"),
]
