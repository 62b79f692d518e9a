"""Training API routes: assignment rules, assignments and the overview per department (under
/api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.training.api import assignments, rules

RULE = "training/rules/<uuid:rule_id>/"
ASSIGNMENT = "training/assignments/<uuid:assignment_id>/"

urlpatterns: list[URLPattern] = [
    path("training/rules/", rules.RuleListView.as_view(), name="training_rules"),
    path(RULE, rules.RuleDetailView.as_view(), name="training_rule"),
    path(f"{RULE}activate/", rules.RuleActivateView.as_view(), name="training_rule_activate"),
    path(f"{RULE}deactivate/", rules.RuleDeactivateView.as_view(), name="training_rule_deactivate"),
    path(f"{RULE}preview/", rules.RulePreviewView.as_view(), name="training_rule_preview"),
    path("training/assignments/", assignments.AssignmentListView.as_view(), name="training_assignments"),
    path("training/assignments/sync/", rules.SyncView.as_view(), name="training_assignments_sync"),
    path(ASSIGNMENT, assignments.AssignmentDetailView.as_view(), name="training_assignment"),
    path(f"{ASSIGNMENT}excuse/", assignments.AssignmentExcuseView.as_view(), name="training_assignment_excuse"),
    path(f"{ASSIGNMENT}cancel/", assignments.AssignmentCancelView.as_view(), name="training_assignment_cancel"),
    path(f"{ASSIGNMENT}extend/", assignments.AssignmentExtendView.as_view(), name="training_assignment_extend"),
    path("training/departments/", assignments.DepartmentListView.as_view(), name="training_departments"),
]
