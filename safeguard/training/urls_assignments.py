"""Training pages: assignment rules, assignments, a person's training and the overview per department."""

from django.urls import URLPattern, path

from safeguard.training import views_assignments as views
from safeguard.training import views_rules as rules

RULE = "rules/<uuid:rule_id>/"
ASSIGNMENT = "assignments/<uuid:assignment_id>/"

urlpatterns: list[URLPattern] = [
    path("rules/", rules.rule_list, name="rule_list"),
    path("rules/new/", rules.rule_create, name="rule_create"),
    path("rules/evaluate/", rules.rules_evaluate, name="rules_evaluate"),
    path(RULE, rules.rule_detail, name="rule_detail"),
    path(f"{RULE}edit/", rules.rule_edit, name="rule_edit"),
    path(f"{RULE}activate/", rules.rule_activate, name="rule_activate"),
    path(f"{RULE}deactivate/", rules.rule_deactivate, name="rule_deactivate"),
    path("assignments/", views.assignment_list, name="assignment_list"),
    path("assignments/new/", views.assignment_create, name="assignment_create"),
    path(ASSIGNMENT, views.assignment_detail, name="assignment_detail"),
    path(f"{ASSIGNMENT}excuse/", views.assignment_excuse, name="assignment_excuse"),
    path(f"{ASSIGNMENT}cancel/", views.assignment_cancel, name="assignment_cancel"),
    path(f"{ASSIGNMENT}extend/", views.assignment_extend, name="assignment_extend"),
    path("people/<uuid:person_id>/", views.person_training, name="person_training"),
    path("departments/", views.departments, name="departments"),
]
