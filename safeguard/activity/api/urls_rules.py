"""Activity review API routes: rules (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.activity.api import rules

urlpatterns: list[URLPattern] = [
    path("activity/rules/", rules.RuleListView.as_view(), name="activity_rules"),
    path("activity/rules/validate/", rules.RuleValidateView.as_view(), name="activity_rules_validate"),
    path("activity/rules/test/", rules.RuleTestView.as_view(), name="activity_rules_test"),
    path("activity/rules/tests/<uuid:test_id>/", rules.RuleTestDetailView.as_view(), name="activity_rule_test"),
    path("activity/rules/pack/", rules.RulePackView.as_view(), name="activity_rules_pack"),
    path("activity/rules/<uuid:rule_id>/", rules.RuleDetailView.as_view(), name="activity_rule"),
]
