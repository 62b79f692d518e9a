"""Backup pages under /o/<org_slug>/contingency/backups/: status per asset, policies, result imports, the tokens
backup tools record their runs with."""

from django.urls import URLPattern, path

from safeguard.contingency import views_backup_imports as imports
from safeguard.contingency import views_backups as views
from safeguard.contingency import views_hook_tokens as tokens

urlpatterns: list[URLPattern] = [
    path("", views.backup_status_list, name="backup_status"),
    path("assets/<uuid:asset_id>/", views.backup_asset, name="backup_asset"),
    path("policies/", views.backup_policy_list, name="backup_policy_list"),
    path("policies/new/", views.backup_policy_create, name="backup_policy_create"),
    path("policies/<uuid:policy_id>/edit/", views.backup_policy_edit, name="backup_policy_edit"),
    path("policies/<uuid:policy_id>/active/", views.backup_policy_active, name="backup_policy_active"),
    path("imports/", imports.backup_import_list, name="backup_import_list"),
    path("imports/new/", imports.backup_import_upload, name="backup_import_upload"),
    path("imports/<uuid:import_id>/", imports.backup_import_detail, name="backup_import_detail"),
    path("tokens/", tokens.backup_token_list, name="backup_token_list"),
    path("tokens/new/", tokens.backup_token_create, name="backup_token_create"),
    path("tokens/<uuid:token_id>/revoke/", tokens.backup_token_revoke, name="backup_token_revoke"),
]
