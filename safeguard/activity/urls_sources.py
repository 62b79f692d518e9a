"""Activity review pages: sources, their tokens and uploads, and ingestion batches (under /o/<org_slug>/activity/)."""

from django.urls import URLPattern, path

from safeguard.activity import views_sources as views

SOURCE = "sources/<uuid:source_id>/"

urlpatterns: list[URLPattern] = [
    path("sources/", views.source_list, name="source_list"),
    path("sources/new/", views.source_create, name="source_create"),
    path(SOURCE, views.source_detail, name="source_detail"),
    path(f"{SOURCE}edit/", views.source_edit, name="source_edit"),
    path(f"{SOURCE}active/", views.source_set_active, name="source_set_active"),
    path(f"{SOURCE}tokens/", views.source_token_create, name="source_token_create"),
    path(f"{SOURCE}tokens/<uuid:token_id>/revoke/", views.source_token_revoke, name="source_token_revoke"),
    path(f"{SOURCE}upload/", views.source_upload, name="source_upload"),
    path("batches/<uuid:batch_id>/", views.batch_detail, name="batch_detail"),
]
