"""Plan and emergency activation API routes (under /api/v1/orgs/<org_slug>/contingency/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.contingency.api import activations, plans

PLAN = "plans/<uuid:plan_id>/"
VERSION = "plan-versions/<uuid:version_id>/"
PRINT = "plan-prints/<uuid:print_id>/"
ACTIVATION = "activations/<uuid:activation_id>/"

urlpatterns: list[URLPattern] = [
    path("plans/", plans.PlanListView.as_view(), name="contingency_plans"),
    path(PLAN, plans.PlanDetailView.as_view(), name="contingency_plan"),
    path(f"{PLAN}versions/", plans.PlanVersionListView.as_view(), name="contingency_plan_versions"),
    path(f"{PLAN}prints/", plans.PlanPrintListView.as_view(), name="contingency_plan_prints"),
    path(VERSION, plans.PlanVersionDetailView.as_view(), name="contingency_plan_version"),
    path(f"{VERSION}approve/", plans.PlanVersionApproveView.as_view(), name="contingency_plan_version_approve"),
    path(f"{VERSION}review/", plans.PlanVersionReviewView.as_view(), name="contingency_plan_version_review"),
    path(f"{VERSION}prints/", plans.PlanPrintRequestView.as_view(), name="contingency_plan_version_prints"),
    path(PRINT, plans.PlanPrintDetailView.as_view(), name="contingency_plan_print"),
    path(f"{PRINT}pdf/", plans.PlanPrintPdfView.as_view(), name="contingency_plan_print_pdf"),
    path("activations/", activations.ActivationListView.as_view(), name="contingency_activations"),
    path(ACTIVATION, activations.ActivationDetailView.as_view(), name="contingency_activation"),
    path(
        f"{ACTIVATION}decisions/",
        activations.ActivationDecisionView.as_view(),
        name="contingency_activation_decisions",
    ),
]
