"""Restore test and corrective action pages (under /o/<org_slug>/contingency/restore-tests/)."""

from django.urls import URLPattern, path

from safeguard.contingency import views_actions, views_restore_tests

urlpatterns: list[URLPattern] = [
    path("", views_restore_tests.restore_list, name="restore_list"),
    path("new/", views_restore_tests.restore_create, name="restore_create"),
    path("schedule/", views_restore_tests.restore_schedule, name="restore_schedule"),
    path("import/", views_restore_tests.restore_import, name="restore_import"),
    path("<uuid:test_id>/", views_restore_tests.restore_detail, name="restore_detail"),
    path("actions/", views_actions.action_list, name="action_list"),
    path("actions/new/", views_actions.action_create, name="action_create"),
    path("actions/<uuid:action_id>/", views_actions.action_detail, name="action_detail"),
    path("actions/<uuid:action_id>/edit/", views_actions.action_edit, name="action_edit"),
    path("actions/<uuid:action_id>/complete/", views_actions.action_complete, name="action_complete"),
    path("actions/<uuid:action_id>/cancel/", views_actions.action_cancel, name="action_cancel"),
]
