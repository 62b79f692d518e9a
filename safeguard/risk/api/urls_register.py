"""Risk API routes: register (included under /api/v1/orgs/<org_slug>/ in the api namespace)."""

from django.urls import URLPattern, path

from safeguard.risk.api import register as views

RISK = "risks/<uuid:risk_id>/"
ACTION = "actions/<uuid:action_id>/"

urlpatterns: list[URLPattern] = [
    path("risks/", views.RiskRegisterView.as_view(), name="risk_register"),
    path(RISK, views.RiskDetailView.as_view(), name="risk_detail"),
    path(f"{RISK}close/", views.RiskCloseView.as_view(), name="risk_close"),
    path(f"{RISK}reopen/", views.RiskReopenView.as_view(), name="risk_reopen"),
    path(f"{RISK}actions/", views.RiskActionsView.as_view(), name="risk_actions"),
    path(f"{RISK}acceptances/", views.RiskAcceptancesView.as_view(), name="risk_acceptances"),
    path("actions/", views.ActionListView.as_view(), name="risk_action_list"),
    path(ACTION, views.ActionDetailView.as_view(), name="risk_action"),
    path(f"{ACTION}complete/", views.ActionCompleteView.as_view(), name="risk_action_complete"),
    path(f"{ACTION}cancel/", views.ActionCancelView.as_view(), name="risk_action_cancel"),
    path(
        "acceptances/<uuid:acceptance_id>/withdraw/",
        views.AcceptanceWithdrawView.as_view(),
        name="risk_acceptance_withdraw",
    ),
    path("reanalysis-triggers/", views.TriggerListView.as_view(), name="risk_triggers"),
    path("reanalysis-triggers/<uuid:trigger_id>/", views.TriggerDetailView.as_view(), name="risk_trigger"),
]
