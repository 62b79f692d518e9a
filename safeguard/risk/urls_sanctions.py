"""Risk pages: the sanction policy and the confidential sanctions log."""

from django.urls import URLPattern, path

from safeguard.risk import views_sanctions as views

POLICY = "sanction-policy/<uuid:policy_id>/"
SANCTION = "sanctions/<uuid:sanction_id>/"

urlpatterns: list[URLPattern] = [
    path("sanction-policy/", views.sanction_policy_list, name="sanction_policy_list"),
    path("sanction-policy/new/", views.sanction_policy_create, name="sanction_policy_create"),
    path(POLICY, views.sanction_policy_detail, name="sanction_policy_detail"),
    path(f"{POLICY}edit/", views.sanction_policy_edit, name="sanction_policy_edit"),
    path(f"{POLICY}approve/", views.sanction_policy_approve, name="sanction_policy_approve"),
    path(f"{POLICY}review/", views.sanction_policy_review, name="sanction_policy_review"),
    path("sanctions/", views.sanction_list, name="sanction_list"),
    path("sanctions/new/", views.sanction_create, name="sanction_create"),
    path("sanctions/log-review/", views.sanction_log_review, name="sanction_log_review"),
    path(SANCTION, views.sanction_detail, name="sanction_detail"),
    path(f"{SANCTION}edit/", views.sanction_edit, name="sanction_edit"),
]
