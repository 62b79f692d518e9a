"""Access API routes: systems and accounts (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.access.api import systems

SYSTEM = "systems/<uuid:system_id>/"
ACCOUNT = "accounts/<uuid:account_id>/"

urlpatterns: list[URLPattern] = [
    path("systems/", systems.SystemListView.as_view(), name="access_systems"),
    path(SYSTEM, systems.SystemDetailView.as_view(), name="access_system"),
    path(f"{SYSTEM}snapshots/", systems.SnapshotListView.as_view(), name="access_system_snapshots"),
    path(f"{SYSTEM}account-imports/", systems.AccountImportUploadView.as_view(), name="access_account_imports"),
    path("snapshots/<uuid:snapshot_id>/", systems.SnapshotDetailView.as_view(), name="access_snapshot"),
    path(
        "snapshots/<uuid:snapshot_id>/accounts/",
        systems.SnapshotAccountListView.as_view(),
        name="access_snapshot_accounts",
    ),
    path(ACCOUNT, systems.AccountDetailView.as_view(), name="access_account"),
    path(f"{ACCOUNT}designation/", systems.AccountDesignationView.as_view(), name="access_account_designation"),
]
