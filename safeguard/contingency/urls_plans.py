"""Contingency pages: disaster recovery and emergency mode operation plans, their versions and printing, and the
log of emergency activations."""

from django.urls import URLPattern, path

from safeguard.contingency import views_activations as activations
from safeguard.contingency import views_plans as plans

PLAN = "<uuid:plan_id>/"
VERSION = "versions/<uuid:version_id>/"
PRINT = "prints/<uuid:print_id>/"
ACTIVATION = "activations/<uuid:activation_id>/"

urlpatterns: list[URLPattern] = [
    path("", plans.plan_list, name="plan_list"),
    path("new/", plans.plan_create, name="plan_create"),
    path(PLAN, plans.plan_detail, name="plan_detail"),
    path(f"{PLAN}draft/", plans.plan_draft_start, name="plan_draft_start"),
    path(VERSION, plans.plan_version_detail, name="plan_version_detail"),
    path(f"{VERSION}edit/", plans.plan_version_edit, name="plan_version_edit"),
    path(f"{VERSION}approve/", plans.plan_version_approve, name="plan_version_approve"),
    path(f"{VERSION}review/", plans.plan_version_review, name="plan_version_review"),
    path(f"{VERSION}print/", plans.plan_version_print, name="plan_version_print"),
    path(f"{VERSION}prints/", plans.plan_print_request_view, name="plan_print_request"),
    path(PRINT, plans.plan_print_detail, name="plan_print_detail"),
    path(f"{PRINT}pdf/", plans.plan_print_download, name="plan_print_download"),
    path("activations/", activations.activation_list, name="activation_list"),
    path("activations/new/", activations.activation_create, name="activation_create"),
    path(ACTIVATION, activations.activation_detail, name="activation_detail"),
    path(f"{ACTIVATION}edit/", activations.activation_edit, name="activation_edit"),
    path(f"{ACTIVATION}close/", activations.activation_close, name="activation_close"),
    path(f"{ACTIVATION}decisions/", activations.activation_decision_add, name="activation_decision_add"),
]
