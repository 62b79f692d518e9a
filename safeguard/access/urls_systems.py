"""Access pages: systems and their accounts (under /o/<org_slug>/access/)."""

from django.urls import URLPattern, path

from safeguard.access import views_systems as views

SYSTEM = "systems/<uuid:system_id>/"
ACCOUNT = "accounts/<uuid:account_id>/"

urlpatterns: list[URLPattern] = [
    path("systems/", views.system_list, name="system_list"),
    path("systems/register/", views.system_register, name="system_register"),
    path(SYSTEM, views.system_detail, name="system_detail"),
    path(f"{SYSTEM}settings/", views.system_settings, name="system_settings"),
    path("accounts/import/", views.account_import, name="account_import"),
    path("accounts/pending/", views.account_pending, name="account_pending"),
    path("snapshots/<uuid:snapshot_id>/", views.snapshot_detail, name="snapshot_detail"),
    path(ACCOUNT, views.account_detail, name="account_detail"),
    path(f"{ACCOUNT}designation/", views.account_designate, name="account_designate"),
    path(f"{ACCOUNT}confirm/", views.account_confirm, name="account_confirm"),
    path(f"{ACCOUNT}reject/", views.account_reject, name="account_reject"),
    path("people/<uuid:person_id>/accounts/", views.person_accounts, name="person_accounts"),
]
