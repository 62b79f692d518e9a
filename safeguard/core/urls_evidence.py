"""Evidence pages, under /o/<org_slug>/evidence/."""

from django.urls import path

from safeguard.core.views import evidence as views

urlpatterns = [
    path("evidence/", views.evidence_list, name="evidence_list"),
    path("evidence/upload/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<uuid:evidence_id>/", views.evidence_detail, name="evidence_detail"),
    path("evidence/<uuid:evidence_id>/versions/", views.evidence_new_version, name="evidence_new_version"),
    path(
        "evidence/<uuid:evidence_id>/versions/<int:number>/download",
        views.evidence_download,
        name="evidence_download",
    ),
    path("evidence/<uuid:evidence_id>/links/requirement/", views.evidence_link_requirement, name="evidence_link"),
    path("evidence/<uuid:evidence_id>/delete/", views.evidence_delete, name="evidence_delete"),
]
