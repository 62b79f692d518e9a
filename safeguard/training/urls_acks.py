"""Training pages: documents to acknowledge, their versions and status, and a person's own documents."""

from django.urls import URLPattern, path

from safeguard.training import views_acks as views

DOCUMENT = "documents/<uuid:document_id>/"
VERSION = "documents/versions/<uuid:version_id>/"

urlpatterns: list[URLPattern] = [
    path("documents/", views.document_list, name="ack_document_list"),
    path("documents/new/", views.document_create, name="ack_document_create"),
    path("documents/sanction-policy/publish/", views.sanction_sync, name="ack_sanction_sync"),
    path(DOCUMENT, views.document_detail, name="ack_document_detail"),
    path(f"{DOCUMENT}edit/", views.document_edit, name="ack_document_edit"),
    path(f"{DOCUMENT}retire/", views.document_retire, name="ack_document_retire"),
    path(f"{DOCUMENT}versions/new/", views.version_create, name="ack_version_create"),
    path(VERSION, views.version_detail, name="ack_version_detail"),
    path(f"{VERSION}edit/", views.version_edit, name="ack_version_edit"),
    path(f"{VERSION}publish/", views.version_publish, name="ack_version_publish"),
    path(f"{VERSION}paper/", views.paper_record, name="ack_paper_record"),
    path("my/documents/", views.my_acks, name="my_acks"),
    path("my/documents/<uuid:version_id>/", views.my_ack, name="my_ack"),
]
