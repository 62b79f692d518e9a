"""Administration of one organization (members, settings) and its audit trail, under /o/<org_slug>/."""

from django.urls import URLPattern, path

from safeguard.core.views import audit, members, org_settings

urlpatterns: list[URLPattern] = [
    path("members/", members.members, name="members"),
    path("members/add/", members.member_add, name="member_add"),
    path("members/<uuid:membership_id>/", members.member_edit, name="member_edit"),
    path("members/<uuid:membership_id>/deactivate/", members.member_deactivate, name="member_deactivate"),
    path("settings/", org_settings.org_settings, name="org_settings"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/export.csv", audit.audit_export, name="audit_export"),
]
