"""Risk pages: the register, risks' treatment, mitigation actions, acceptances and re-analysis triggers."""

from django.urls import path

from safeguard.risk import views_register as views

urlpatterns = [
    path("register/", views.register, name="register"),
    path("risks/<uuid:risk_id>/", views.risk_detail, name="risk_detail"),
    path("risks/<uuid:risk_id>/treatment/", views.risk_treat, name="risk_treat"),
    path("risks/<uuid:risk_id>/close/", views.risk_close, name="risk_close"),
    path("risks/<uuid:risk_id>/reopen/", views.risk_reopen, name="risk_reopen"),
    path("risks/<uuid:risk_id>/actions/new/", views.action_create, name="action_create"),
    path("risks/<uuid:risk_id>/accept/", views.acceptance_create, name="acceptance_create"),
    path("actions/", views.action_list, name="action_list"),
    path("actions/<uuid:action_id>/", views.action_detail, name="action_detail"),
    path("actions/<uuid:action_id>/edit/", views.action_update, name="action_update"),
    path("actions/<uuid:action_id>/complete/", views.action_complete, name="action_complete"),
    path("actions/<uuid:action_id>/cancel/", views.action_cancel, name="action_cancel"),
    path("acceptances/<uuid:acceptance_id>/withdraw/", views.acceptance_withdraw, name="acceptance_withdraw"),
    path("reanalysis/", views.trigger_list, name="trigger_list"),
    path("reanalysis/new/", views.trigger_create, name="trigger_create"),
]
