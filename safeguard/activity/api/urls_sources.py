"""Activity review API routes: sources, their tokens, uploads and batches, and the shippers' ingestion endpoint
(under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.activity.api import ingest, sources

SOURCE = "activity/sources/<uuid:source_id>/"

urlpatterns: list[URLPattern] = [
    path("activity/sources/", sources.SourceListView.as_view(), name="activity_sources"),
    path(SOURCE, sources.SourceDetailView.as_view(), name="activity_source"),
    path(f"{SOURCE}deactivate/", sources.SourceActiveView.as_view(active=False), name="activity_source_deactivate"),
    path(f"{SOURCE}activate/", sources.SourceActiveView.as_view(active=True), name="activity_source_activate"),
    path(f"{SOURCE}tokens/", sources.TokenListView.as_view(), name="activity_source_tokens"),
    path(
        f"{SOURCE}tokens/<uuid:token_id>/revoke/",
        sources.TokenRevokeView.as_view(),
        name="activity_source_token_revoke",
    ),
    path(f"{SOURCE}batches/", sources.BatchListView.as_view(), name="activity_source_batches"),
    path(f"{SOURCE}events", ingest.IngestEventsView.as_view(), name="activity_source_events"),
    path("activity/batches/<uuid:batch_id>/", sources.BatchDetailView.as_view(), name="activity_batch"),
]
