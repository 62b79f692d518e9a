"""Backup API routes (under /api/v1/orgs/<org_slug>/contingency/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.contingency.api import backup_imports, backups, hook_tokens

urlpatterns: list[URLPattern] = [
    path("backup-policies/", backups.BackupPolicyListView.as_view(), name="contingency_backup_policies"),
    path(
        "backup-policies/<uuid:policy_id>/",
        backups.BackupPolicyDetailView.as_view(),
        name="contingency_backup_policy",
    ),
    path("backup-status/", backups.BackupStatusListView.as_view(), name="contingency_backup_status"),
    path("backup-imports/", backup_imports.BackupImportListView.as_view(), name="contingency_backup_imports"),
    path(
        "backup-imports/<uuid:import_id>/",
        backup_imports.BackupImportDetailView.as_view(),
        name="contingency_backup_import",
    ),
    path("backup-results/", backup_imports.BackupResultsView.as_view(), name="contingency_backup_results"),
    path("backup-hook-tokens/", hook_tokens.HookTokenListView.as_view(), name="contingency_backup_hook_tokens"),
    path(
        "backup-hook-tokens/<uuid:token_id>/revoke/",
        hook_tokens.HookTokenRevokeView.as_view(),
        name="contingency_backup_hook_token_revoke",
    ),
]
