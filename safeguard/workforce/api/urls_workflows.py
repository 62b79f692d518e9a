"""Workforce API routes: workflows, tasks, the leaver target, clearances, authorizations and settings (under
/api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.workforce.api import workflows as views

TASK = "workflow-tasks/<uuid:task_id>/"
PERSON = "people/<uuid:person_id>/"

urlpatterns: list[URLPattern] = [
    path("workflows/", views.WorkflowListView.as_view(), name="workforce_workflows"),
    path("workflows/<uuid:workflow_id>/", views.WorkflowDetailView.as_view(), name="workforce_workflow"),
    path("workflow-tasks/mine/", views.MyTaskListView.as_view(), name="workforce_my_tasks"),
    path(f"{TASK}complete/", views.TaskCompleteView.as_view(), name="workforce_task_complete"),
    path(f"{TASK}waive/", views.TaskWaiveView.as_view(), name="workforce_task_waive"),
    path("leaver-sla/", views.LeaverSlaView.as_view(), name="workforce_leaver_sla"),
    path(f"{PERSON}clearances/", views.ClearanceListView.as_view(), name="workforce_clearances"),
    path(f"{PERSON}authorizations/", views.AuthorizationListView.as_view(), name="workforce_authorizations"),
    path("settings/workforce/", views.WorkforceSettingsView.as_view(), name="workforce_settings"),
]
