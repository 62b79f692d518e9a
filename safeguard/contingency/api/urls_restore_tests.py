"""Restore test and corrective action API routes (under /api/v1/orgs/<org_slug>/contingency/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.contingency.api import actions, restore_tests

urlpatterns: list[URLPattern] = [
    path("restore-tests/", restore_tests.RestoreListView.as_view(), name="contingency_restore_tests"),
    path("restore-tests/schedule/", restore_tests.RestoreScheduleView.as_view(), name="contingency_restore_schedule"),
    path("restore-tests/imports/", restore_tests.RestoreImportView.as_view(), name="contingency_restore_imports"),
    path("restore-tests/<uuid:test_id>/", restore_tests.RestoreDetailView.as_view(), name="contingency_restore_test"),
    path("corrective-actions/", actions.ActionListView.as_view(), name="contingency_actions"),
    path("corrective-actions/<uuid:action_id>/", actions.ActionDetailView.as_view(), name="contingency_action"),
    path(
        "corrective-actions/<uuid:action_id>/complete/",
        actions.ActionCompleteView.as_view(),
        name="contingency_action_complete",
    ),
    path(
        "corrective-actions/<uuid:action_id>/cancel/",
        actions.ActionCancelView.as_view(),
        name="contingency_action_cancel",
    ),
]
