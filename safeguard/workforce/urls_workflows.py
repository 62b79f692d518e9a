"""Workforce pages: workflows, tasks, the leaver target, settings, clearances and authorizations (under
/o/<org_slug>/workforce/)."""

from django.urls import URLPattern, path

from safeguard.workforce import views_workflows as views

TASK = "tasks/<uuid:task_id>/"
PERSON = "people/<uuid:person_id>/"

urlpatterns: list[URLPattern] = [
    path("workflows/", views.workflow_list, name="workflow_list"),
    path("workflows/<uuid:workflow_id>/", views.workflow_detail, name="workflow_detail"),
    path("tasks/mine/", views.my_tasks, name="my_tasks"),
    path(TASK, views.task_detail, name="task_detail"),
    path(f"{TASK}complete/", views.task_complete, name="task_complete"),
    path(f"{TASK}waive/", views.task_waive, name="task_waive"),
    path("leaver-sla/", views.leaver_sla_report, name="leaver_sla"),
    path("settings/", views.settings_edit, name="settings"),
    path(f"{PERSON}clearances/", views.clearance_list, name="clearance_list"),
    path(f"{PERSON}clearances/new/", views.clearance_create, name="clearance_create"),
    path(f"{PERSON}authorizations/", views.authorization_list, name="authorization_list"),
    path(f"{PERSON}authorizations/new/", views.authorization_create, name="authorization_create"),
]
