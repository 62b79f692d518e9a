"""Access pages: role profiles, access beyond profile and access exceptions (under /o/<org_slug>/access/)."""

from django.urls import URLPattern, path

from safeguard.access import views_profiles as views

PROFILE = "profiles/<uuid:profile_id>/"
EXCEPTION = "exceptions/<uuid:exception_id>/"

urlpatterns: list[URLPattern] = [
    path("profiles/", views.profile_list, name="profile_list"),
    path("profiles/new/", views.profile_create, name="profile_create"),
    path("profiles/no-profile/", views.profile_gaps, name="profile_gaps"),
    path(PROFILE, views.profile_detail, name="profile_detail"),
    path(f"{PROFILE}edit/", views.profile_edit, name="profile_edit"),
    path(f"{PROFILE}delete/", views.profile_delete, name="profile_delete"),
    path(f"{PROFILE}grants/add/", views.profile_grant_add, name="profile_grant_add"),
    path(f"{PROFILE}grants/remove/", views.profile_grant_remove, name="profile_grant_remove"),
    path("beyond-profile/", views.beyond_profile, name="beyond_profile"),
    path("exceptions/", views.exception_list, name="exception_list"),
    path("exceptions/new/", views.exception_request, name="exception_request"),
    path("exceptions/expired/", views.exception_expired, name="exception_expired"),
    path("exceptions/awaiting-me/", views.my_approvals, name="my_approvals"),
    path(EXCEPTION, views.exception_detail, name="exception_detail"),
    path(f"{EXCEPTION}approve/", views.exception_approve, name="exception_approve"),
    path(f"{EXCEPTION}reject/", views.exception_reject, name="exception_reject"),
    path(f"{EXCEPTION}revoke/", views.exception_revoke, name="exception_revoke"),
]
