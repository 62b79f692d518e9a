"""Training API routes: acknowledgements (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.training.api import acks

DOCUMENTS = "training/documents/"
DOCUMENT = f"{DOCUMENTS}<uuid:document_id>/"
VERSION = "training/document-versions/<uuid:version_id>/"
MINE = "training/me/acknowledgements/"

urlpatterns: list[URLPattern] = [
    path(DOCUMENTS, acks.AckDocumentListView.as_view(), name="training_ack_documents"),
    path(DOCUMENT, acks.AckDocumentDetailView.as_view(), name="training_ack_document"),
    path(f"{DOCUMENT}retire/", acks.AckDocumentRetireView.as_view(), name="training_ack_document_retire"),
    path(f"{DOCUMENT}versions/", acks.AckVersionListView.as_view(), name="training_ack_versions"),
    path(VERSION, acks.AckVersionDetailView.as_view(), name="training_ack_version"),
    path(f"{VERSION}publish/", acks.AckVersionPublishView.as_view(), name="training_ack_version_publish"),
    path(f"{VERSION}status/", acks.AckVersionStatusView.as_view(), name="training_ack_version_status"),
    path(f"{VERSION}acknowledgements/", acks.AckPaperView.as_view(), name="training_ack_paper"),
    path(MINE, acks.MyAcksView.as_view(), name="training_my_acks"),
    path(f"{MINE}<uuid:version_id>/", acks.MyAckView.as_view(), name="training_my_ack"),
]
