"""The OpenAPI schema: generated without warnings, valid OpenAPI 3, describing every endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from tests.conftest import Cast
from tests.test_api_support import api_client

ORG = "/api/v1/orgs/{org_slug}"
EXPECTED = {
    "/api/v1/orgs/": {"get"},
    f"{ORG}/": {"get", "patch"},
    f"{ORG}/members/": {"get", "post"},
    f"{ORG}/members/{{public_id}}/": {"patch", "delete"},
    f"{ORG}/requirements/": {"get"},
    f"{ORG}/requirements/{{citation}}/": {"get"},
    f"{ORG}/attestations/": {"get", "post"},
    f"{ORG}/attestations/{{attestation_id}}/withdraw/": {"post"},
    f"{ORG}/decisions/": {"get", "post"},
    f"{ORG}/decisions/{{decision_id}}/sign/": {"post"},
    f"{ORG}/evidence/": {"get", "post"},
    f"{ORG}/evidence/{{evidence_id}}/": {"get", "delete"},
    f"{ORG}/evidence/{{evidence_id}}/versions/": {"post"},
    f"{ORG}/evidence/{{evidence_id}}/versions/{{number}}/download": {"get"},
    f"{ORG}/obligations/": {"get", "post"},
    f"{ORG}/obligations/{{obligation_id}}/": {"get", "patch"},
    f"{ORG}/obligations/{{obligation_id}}/complete/": {"post"},
    f"{ORG}/audit-events/": {"get"},
    # risk: inventory, imports and exports
    f"{ORG}/assets/": {"get", "post"},
    f"{ORG}/assets/{{asset_id}}/": {"get", "patch"},
    f"{ORG}/assets/export": {"get"},
    f"{ORG}/data-flows/": {"get", "post"},
    f"{ORG}/data-flows/{{flow_id}}/": {"get", "patch", "delete"},
    f"{ORG}/data-flows/diagram.svg": {"get"},
    f"{ORG}/data-flows/export": {"get"},
    f"{ORG}/imports/": {"get", "post"},
    f"{ORG}/imports/{{import_id}}/": {"get"},
    f"{ORG}/imports/{{import_id}}/mapping/": {"post"},
    f"{ORG}/imports/{{import_id}}/commit/": {"post"},
    f"{ORG}/risks/export": {"get"},
    # risk: method, library, analyses
    f"{ORG}/risk-method/": {"get", "put", "patch"},
    f"{ORG}/threats/": {"get", "post"},
    f"{ORG}/threats/{{threat_id}}/": {"get", "patch"},
    f"{ORG}/vulnerabilities/": {"get", "post"},
    f"{ORG}/vulnerabilities/{{vulnerability_id}}/": {"get", "patch"},
    f"{ORG}/analyses/": {"get", "post"},
    f"{ORG}/analyses/{{analysis_id}}/": {"get", "patch"},
    f"{ORG}/analyses/{{analysis_id}}/submit/": {"post"},
    f"{ORG}/analyses/{{analysis_id}}/return/": {"post"},
    f"{ORG}/analyses/{{analysis_id}}/approve/": {"post"},
    f"{ORG}/analyses/{{analysis_id}}/scope/": {"get", "post"},
    f"{ORG}/analyses/{{analysis_id}}/scope/{{asset_id}}/": {"delete"},
    f"{ORG}/analyses/{{analysis_id}}/risks/": {"get", "post"},
    f"{ORG}/unanalysed-risks/": {"get", "post"},
    f"{ORG}/risks/{{risk_id}}/assessment/": {"patch"},
    # risk: register and treatment
    f"{ORG}/risks/": {"get"},
    f"{ORG}/risks/{{risk_id}}/": {"get", "patch"},
    f"{ORG}/risks/{{risk_id}}/close/": {"post"},
    f"{ORG}/risks/{{risk_id}}/reopen/": {"post"},
    f"{ORG}/risks/{{risk_id}}/actions/": {"get", "post"},
    f"{ORG}/risks/{{risk_id}}/acceptances/": {"get", "post"},
    f"{ORG}/actions/": {"get"},
    f"{ORG}/actions/{{action_id}}/": {"get", "patch"},
    f"{ORG}/actions/{{action_id}}/complete/": {"post"},
    f"{ORG}/actions/{{action_id}}/cancel/": {"post"},
    f"{ORG}/acceptances/{{acceptance_id}}/withdraw/": {"post"},
    f"{ORG}/reanalysis-triggers/": {"get", "post"},
    f"{ORG}/reanalysis-triggers/{{trigger_id}}/": {"get"},
    # risk: sanctions and reports
    f"{ORG}/sanction-policies/": {"get", "post"},
    f"{ORG}/sanction-policies/{{policy_id}}/": {"get", "patch"},
    f"{ORG}/sanction-policies/{{policy_id}}/approve/": {"post"},
    f"{ORG}/sanction-policies/{{policy_id}}/review/": {"post"},
    f"{ORG}/sanctions/": {"get", "post"},
    f"{ORG}/sanctions/log-reviews/": {"get", "post"},
    f"{ORG}/sanctions/{{sanction_id}}/": {"get", "patch"},
    f"{ORG}/reports/": {"get", "post"},
    f"{ORG}/reports/{{report_id}}/": {"get"},
    f"{ORG}/reports/{{report_id}}/download": {"get"},
    # core: file imports of any kind
    f"{ORG}/file-imports/{{file_import_id}}/": {"get"},
    f"{ORG}/file-imports/{{file_import_id}}/mapping/": {"post"},
    f"{ORG}/file-imports/{{file_import_id}}/commit/": {"post"},
    # workforce: roster, issued items, workflows, clearance and authorization, the leaver SLA
    f"{ORG}/people/": {"get", "post"},
    f"{ORG}/people/{{person_id}}/": {"get", "patch"},
    f"{ORG}/people/{{person_id}}/issued-items/": {"get", "post"},
    f"{ORG}/people/{{person_id}}/clearances/": {"get", "post"},
    f"{ORG}/people/{{person_id}}/authorizations/": {"get", "post"},
    f"{ORG}/issued-items/{{issued_item_id}}/recover/": {"post"},
    f"{ORG}/roster-sources/": {"get", "post"},
    f"{ORG}/roster-imports/": {"post"},
    f"{ORG}/workflows/": {"get"},
    f"{ORG}/workflows/{{workflow_id}}/": {"get"},
    f"{ORG}/workflow-tasks/mine/": {"get"},
    f"{ORG}/workflow-tasks/{{task_id}}/complete/": {"post"},
    f"{ORG}/workflow-tasks/{{task_id}}/waive/": {"post"},
    f"{ORG}/leaver-sla/": {"get"},
    f"{ORG}/settings/workforce/": {"get", "patch"},
    # access: systems and accounts
    f"{ORG}/systems/": {"get", "post"},
    f"{ORG}/systems/{{system_id}}/": {"get", "patch"},
    f"{ORG}/systems/{{system_id}}/snapshots/": {"get"},
    f"{ORG}/systems/{{system_id}}/account-imports/": {"post"},
    f"{ORG}/snapshots/{{snapshot_id}}/": {"get"},
    f"{ORG}/snapshots/{{snapshot_id}}/accounts/": {"get"},
    f"{ORG}/accounts/{{account_id}}/": {"get"},
    f"{ORG}/accounts/{{account_id}}/designation/": {"post"},
    # access: role profiles, exceptions, access beyond profile
    f"{ORG}/profiles/": {"get", "post"},
    f"{ORG}/profiles/{{profile_id}}/": {"get", "patch", "delete"},
    f"{ORG}/profiles/{{profile_id}}/grants/": {"get", "post"},
    f"{ORG}/profiles/{{profile_id}}/grants/remove/": {"post"},
    f"{ORG}/exceptions/": {"get", "post"},
    f"{ORG}/exceptions/{{exception_id}}/": {"get"},
    f"{ORG}/exceptions/{{exception_id}}/approve/": {"post"},
    f"{ORG}/exceptions/{{exception_id}}/reject/": {"post"},
    f"{ORG}/exceptions/{{exception_id}}/revoke/": {"post"},
    f"{ORG}/beyond-profile/": {"get"},
    # access: reviews
    f"{ORG}/reviews/": {"get", "post"},
    f"{ORG}/reviews/revocations/": {"get"},
    f"{ORG}/reviews/{{review_id}}/": {"get"},
    f"{ORG}/reviews/{{review_id}}/items/": {"get"},
    f"{ORG}/reviews/{{review_id}}/items/{{item_id}}/": {"get"},
    f"{ORG}/reviews/{{review_id}}/items/{{item_id}}/decide/": {"post"},
    f"{ORG}/reviews/{{review_id}}/items/{{item_id}}/revoked/": {"post"},
    f"{ORG}/reviews/{{review_id}}/decide/": {"post"},
    f"{ORG}/reviews/{{review_id}}/attest/": {"post"},
    f"{ORG}/reviews/{{review_id}}/close/": {"post"},
    f"{ORG}/reviews/{{review_id}}/package/": {"get", "post"},
    # access: break-glass
    f"{ORG}/break-glass/accounts/": {"get", "post"},
    f"{ORG}/break-glass/accounts/{{breakglass_id}}/": {"get", "patch"},
    f"{ORG}/break-glass/activations/": {"get", "post"},
    f"{ORG}/break-glass/activations/{{activation_id}}/": {"get"},
    f"{ORG}/break-glass/activations/{{activation_id}}/review/": {"post"},
    f"{ORG}/break-glass/activations/{{activation_id}}/sanction/": {"post"},
    # training: curriculum, assignments, completions, phishing, reminders, acknowledgements, effectiveness
    f"{ORG}/training/assignments/": {"get", "post"},
    f"{ORG}/training/assignments/sync/": {"post"},
    f"{ORG}/training/assignments/{{assignment_id}}/": {"get"},
    f"{ORG}/training/assignments/{{assignment_id}}/cancel/": {"post"},
    f"{ORG}/training/assignments/{{assignment_id}}/excuse/": {"post"},
    f"{ORG}/training/assignments/{{assignment_id}}/extend/": {"post"},
    f"{ORG}/training/completion-imports/": {"post"},
    f"{ORG}/training/certificates/verify/": {"post"},
    f"{ORG}/training/completions/": {"get", "post"},
    f"{ORG}/training/completions/{{completion_id}}/": {"get"},
    f"{ORG}/training/completions/{{completion_id}}/certificate": {"get"},
    f"{ORG}/training/courses/": {"get", "post"},
    f"{ORG}/training/courses/{{course_id}}/": {"delete", "get", "patch"},
    f"{ORG}/training/courses/{{course_id}}/lessons/": {"get", "post"},
    f"{ORG}/training/courses/{{course_id}}/lessons/{{lesson_id}}/": {"delete", "get", "patch"},
    f"{ORG}/training/courses/{{course_id}}/prerequisites/": {"put"},
    f"{ORG}/training/courses/{{course_id}}/publish/": {"post"},
    f"{ORG}/training/courses/{{course_id}}/questions/": {"get", "post"},
    f"{ORG}/training/courses/{{course_id}}/questions/{{question_id}}/": {"delete", "get", "patch"},
    f"{ORG}/training/courses/{{course_id}}/retire/": {"post"},
    f"{ORG}/training/departments/": {"get"},
    f"{ORG}/training/document-versions/{{version_id}}/": {"get", "patch"},
    f"{ORG}/training/document-versions/{{version_id}}/acknowledgements/": {"post"},
    f"{ORG}/training/document-versions/{{version_id}}/publish/": {"post"},
    f"{ORG}/training/document-versions/{{version_id}}/status/": {"get"},
    f"{ORG}/training/documents/": {"get", "post"},
    f"{ORG}/training/documents/{{document_id}}/": {"get", "patch"},
    f"{ORG}/training/documents/{{document_id}}/retire/": {"post"},
    f"{ORG}/training/documents/{{document_id}}/versions/": {"get", "post"},
    f"{ORG}/training/effectiveness/": {"get"},
    f"{ORG}/training/me/": {"get"},
    f"{ORG}/training/me/acknowledgements/": {"get"},
    f"{ORG}/training/me/completions/": {"get"},
    f"{ORG}/training/me/acknowledgements/{{version_id}}/": {"post"},
    f"{ORG}/training/me/reminders/": {"get"},
    f"{ORG}/training/me/reminders/{{delivery_id}}/read/": {"post"},
    f"{ORG}/training/people/{{person_id}}/courses/{{course_id}}/grant-attempts/": {"post"},
    f"{ORG}/training/phishing-campaigns/": {"get", "post"},
    f"{ORG}/training/phishing-campaigns/{{campaign_id}}/": {"delete", "get", "patch"},
    f"{ORG}/training/phishing-campaigns/{{campaign_id}}/departments/": {"get"},
    f"{ORG}/training/phishing-campaigns/{{campaign_id}}/results/": {"get"},
    f"{ORG}/training/phishing-departments/": {"get"},
    f"{ORG}/training/phishing-imports/": {"post"},
    f"{ORG}/training/phishing-repeat-clickers/": {"get"},
    f"{ORG}/training/phishing-trend/": {"get"},
    f"{ORG}/training/reminders/": {"get", "post"},
    f"{ORG}/training/reminders/calendar/": {"get"},
    f"{ORG}/training/reminders/{{reminder_id}}/": {"get", "patch"},
    f"{ORG}/training/reminders/{{reminder_id}}/cancel/": {"post"},
    f"{ORG}/training/reminders/{{reminder_id}}/deliveries/": {"get"},
    f"{ORG}/training/reminders/{{reminder_id}}/schedule/": {"post"},
    f"{ORG}/training/reminders/{{reminder_id}}/send-now/": {"post"},
    f"{ORG}/training/rules/": {"get", "post"},
    f"{ORG}/training/rules/{{rule_id}}/": {"get", "patch"},
    f"{ORG}/training/rules/{{rule_id}}/activate/": {"post"},
    f"{ORG}/training/rules/{{rule_id}}/deactivate/": {"post"},
    f"{ORG}/training/rules/{{rule_id}}/preview/": {"get"},
    f"{ORG}/training/settings/": {"get", "patch"},
    f"{ORG}/training/starter/": {"post"},
    f"{ORG}/training/topics/": {"get", "post"},
    f"{ORG}/training/topics/{{topic_id}}/": {"get", "patch"},
    f"{ORG}/activity/alerts/": {"get"},
    f"{ORG}/activity/alerts/bulk/": {"post"},
    f"{ORG}/activity/alerts/{{alert_id}}/": {"get", "patch"},
    f"{ORG}/activity/alerts/{{alert_id}}/escalate/": {"post"},
    f"{ORG}/activity/alerts/{{alert_id}}/evidence/": {"get"},
    f"{ORG}/activity/aliases/": {"get", "post"},
    f"{ORG}/activity/aliases/{{alias_id}}/": {"get", "put", "patch", "delete"},
    f"{ORG}/activity/batches/{{batch_id}}/": {"get"},
    f"{ORG}/activity/escalation-levels/": {"get", "post"},
    f"{ORG}/activity/escalation-levels/{{level_id}}/": {"delete", "put"},
    f"{ORG}/activity/events/": {"get"},
    f"{ORG}/activity/events/{{event_uid}}/": {"get"},
    f"{ORG}/activity/overview/": {"get"},
    f"{ORG}/activity/patient-flags/": {"get"},
    f"{ORG}/activity/reviews/": {"get"},
    f"{ORG}/activity/reviews/{{review_id}}/": {"get"},
    f"{ORG}/activity/reviews/{{review_id}}/sign/": {"post"},
    f"{ORG}/activity/rules/": {"get", "post"},
    f"{ORG}/activity/rules/pack/": {"post"},
    f"{ORG}/activity/rules/test/": {"post"},
    f"{ORG}/activity/rules/tests/{{test_id}}/": {"get"},
    f"{ORG}/activity/rules/validate/": {"post"},
    f"{ORG}/activity/rules/{{rule_id}}/": {"delete", "get", "patch"},
    f"{ORG}/activity/runs/": {"get", "post"},
    f"{ORG}/activity/runs/{{run_id}}/": {"get"},
    f"{ORG}/activity/settings/": {"get", "patch"},
    f"{ORG}/activity/shifts/": {"get", "post"},
    f"{ORG}/activity/shifts/{{shift_id}}/": {"get", "put", "patch", "delete"},
    f"{ORG}/activity/sources/": {"get", "post"},
    f"{ORG}/activity/sources/{{source_id}}/": {"get", "patch"},
    f"{ORG}/activity/sources/{{source_id}}/activate/": {"post"},
    f"{ORG}/activity/sources/{{source_id}}/batches/": {"get", "post"},
    f"{ORG}/activity/sources/{{source_id}}/deactivate/": {"post"},
    f"{ORG}/activity/sources/{{source_id}}/events": {"post"},
    f"{ORG}/activity/sources/{{source_id}}/tokens/": {"get", "post"},
    f"{ORG}/activity/sources/{{source_id}}/tokens/{{token_id}}/revoke/": {"post"},
    f"{ORG}/activity/suppressions/": {"get", "post"},
    f"{ORG}/activity/suppressions/{{suppression_id}}/revoke/": {"post"},
    f"{ORG}/activity/workstations/": {"get", "post"},
    f"{ORG}/activity/workstations/{{workstation_id}}/": {"get", "put", "patch", "delete"},
    f"{ORG}/incidents/": {"get"},
    f"{ORG}/incidents/{{incident_id}}/": {"get", "patch"},
    f"{ORG}/contingency/backup-policies/": {"get", "post"},
    f"{ORG}/contingency/backup-policies/{{policy_id}}/": {"get", "patch"},
    f"{ORG}/contingency/backup-status/": {"get"},
    f"{ORG}/contingency/backup-imports/": {"post"},
    f"{ORG}/contingency/backup-imports/{{import_id}}/": {"get"},
    f"{ORG}/contingency/backup-results/": {"get", "post"},
    f"{ORG}/contingency/backup-hook-tokens/": {"get", "post"},
    f"{ORG}/contingency/backup-hook-tokens/{{token_id}}/revoke/": {"post"},
    f"{ORG}/contingency/criticality/profiles/": {"get", "post"},
    f"{ORG}/contingency/criticality/profiles/{{profile_id}}/": {"get", "put", "patch", "delete"},
    f"{ORG}/contingency/criticality/dependencies/": {"get", "post"},
    f"{ORG}/contingency/criticality/dependencies/{{asset_id}}/{{depends_on_id}}/": {"delete"},
    f"{ORG}/contingency/criticality/recovery-order/": {"get"},
    f"{ORG}/contingency/criticality/graph.svg": {"get"},
    f"{ORG}/contingency/criticality/approvals/": {"get", "post"},
    f"{ORG}/contingency/criticality/approvals/{{approval_id}}/": {"get"},
    f"{ORG}/contingency/settings/": {"get", "put", "patch"},
    f"{ORG}/contingency/restore-tests/": {"get", "post"},
    f"{ORG}/contingency/restore-tests/{{test_id}}/": {"get"},
    f"{ORG}/contingency/restore-tests/imports/": {"post"},
    f"{ORG}/contingency/restore-tests/schedule/": {"get"},
    f"{ORG}/contingency/corrective-actions/": {"get", "post"},
    f"{ORG}/contingency/corrective-actions/{{action_id}}/": {"get", "patch"},
    f"{ORG}/contingency/corrective-actions/{{action_id}}/complete/": {"post"},
    f"{ORG}/contingency/corrective-actions/{{action_id}}/cancel/": {"post"},
    f"{ORG}/contingency/plans/": {"get", "post"},
    f"{ORG}/contingency/plans/{{plan_id}}/": {"get"},
    f"{ORG}/contingency/plans/{{plan_id}}/versions/": {"get", "post"},
    f"{ORG}/contingency/plans/{{plan_id}}/prints/": {"get"},
    f"{ORG}/contingency/plan-versions/{{version_id}}/": {"get", "patch"},
    f"{ORG}/contingency/plan-versions/{{version_id}}/approve/": {"post"},
    f"{ORG}/contingency/plan-versions/{{version_id}}/review/": {"post"},
    f"{ORG}/contingency/plan-versions/{{version_id}}/prints/": {"post"},
    f"{ORG}/contingency/plan-prints/{{print_id}}/": {"get"},
    f"{ORG}/contingency/plan-prints/{{print_id}}/pdf/": {"get"},
    f"{ORG}/contingency/activations/": {"get", "post"},
    f"{ORG}/contingency/activations/{{activation_id}}/": {"get", "patch"},
    f"{ORG}/contingency/activations/{{activation_id}}/decisions/": {"post"},
    f"{ORG}/contingency/exercises/": {"get", "post"},
    f"{ORG}/contingency/exercises/{{exercise_id}}/": {"get", "patch", "delete"},
    f"{ORG}/contingency/exercises/{{exercise_id}}/actions/": {"get", "post"},
    f"{ORG}/contingency/exercises/{{exercise_id}}/timeline/": {"post"},
    f"{ORG}/contingency/exercises/{{exercise_id}}/timeline/{{entry_id}}/": {"delete"},
    f"{ORG}/contingency/readiness/": {"get"},
    f"{ORG}/contingency/readiness/assets/": {"get"},
    f"{ORG}/contingency/vendor-recovery/": {"get", "post"},
    f"{ORG}/contingency/vendor-recovery/{{record_id}}/": {"get", "patch"},
}

INGESTION = {f"{ORG}/activity/sources/{{source_id}}/events"}

# Named like lists but each answers one object.
NOT_LISTS = {
    f"{ORG}/training/settings/",
    f"{ORG}/training/effectiveness/",
    f"{ORG}/activity/settings/",
    f"{ORG}/contingency/settings/",
    f"{ORG}/contingency/readiness/",
}


@pytest.fixture
def schema() -> dict[str, Any]:
    GENERATOR_STATS.reset()
    generated = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    return generated


def test_schema_is_valid_openapi(schema: dict[str, Any]) -> None:
    validate_schema(schema)


def test_every_endpoint_and_method_is_described(schema: dict[str, Any]) -> None:
    described = {path: set(ops) - {"parameters"} for path, ops in schema["paths"].items()}
    assert described == EXPECTED


def test_every_operation_has_a_summary_tag_and_error_envelope(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("tags"), where
            # Log shippers post events with their source's ingestion token, not a member's API token.
            token: dict[str, list[str]] = {"ingestToken": []} if path in INGESTION else {"apiToken": []}
            assert token in operation["security"], where
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }, where


def test_list_endpoints_are_paginated(schema: dict[str, Any]) -> None:
    lists = [
        path
        for path, ops in schema["paths"].items()
        if path.endswith(("s/", "evidence/")) and "get" in ops and path not in NOT_LISTS
    ]
    assert len(lists) == 94
    for path in lists:
        ref = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.split("/")[-1].startswith("Paginated"), path
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"page", "page_size"} <= names, path


def test_bearer_scheme_is_declared(schema: dict[str, Any]) -> None:
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"


def test_schema_is_served(cast: Cast) -> None:
    response = api_client(cast.workforce).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    served = response.json()
    assert served["openapi"].startswith("3.")
    assert set(EXPECTED) <= set(served["paths"])
    validate_schema(served)
