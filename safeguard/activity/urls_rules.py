"""Activity review pages: rules (under /o/<org_slug>/activity/)."""

from django.urls import URLPattern, path

from safeguard.activity import views_rules as views

RULE = "rules/<uuid:rule_id>/"

urlpatterns: list[URLPattern] = [
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/new/", views.rule_upload, name="rule_upload"),
    path("rules/test/", views.rule_test, name="rule_test"),
    path("rules/tests/<uuid:test_id>/", views.rule_test_detail, name="rule_test_detail"),
    path("rules/pack/", views.rule_pack, name="rule_pack"),
    path(RULE, views.rule_detail, name="rule_detail"),
    path(f"{RULE}edit/", views.rule_edit, name="rule_edit"),
    path(f"{RULE}mode/", views.rule_set_mode, name="rule_set_mode"),
    path(f"{RULE}tuning/", views.rule_tune, name="rule_tune"),
    path(f"{RULE}delete/", views.rule_delete, name="rule_delete"),
]
