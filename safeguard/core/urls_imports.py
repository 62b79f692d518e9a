"""The page of one file import, whatever it imports (under /o/<org_slug>/)."""

from django.urls import path

from safeguard.core.views import file_imports as views

urlpatterns = [
    path("file-imports/<uuid:file_import_id>/", views.file_import_detail, name="file_import_detail"),
    path("file-imports/<uuid:file_import_id>/mapping/", views.file_import_map, name="file_import_map"),
    path("file-imports/<uuid:file_import_id>/commit/", views.file_import_commit, name="file_import_commit"),
]
