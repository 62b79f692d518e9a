"""One access function per protected activity-review record: tenant-scoped, the same 404 for missing and for
another organization's, 403 when the member's role lacks the permission the caller asks for.

Callers choose the permission: Perm.VIEW_ACTIVITY to read metadata (sources, rules, alerts, reviews),
Perm.VIEW_EVENTS for event contents, Perm.TRIAGE_ALERTS or Perm.MANAGE_ACTIVITY to change things.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from safeguard.activity.models import ActivityReview, Alert, DetectionRule, IngestBatch, LogSource, RuleRun, RuleTest
from safeguard.core.access import one_in_org, require_perm
from safeguard.core.models import Membership
from safeguard.core.roles import Perm

if TYPE_CHECKING:
    pass


def get_source(membership: Membership, public_id: str | UUID, perm: Perm = Perm.VIEW_ACTIVITY) -> LogSource:
    require_perm(membership, perm)
    return one_in_org(LogSource.objects.select_related("asset", "reviewer"), membership, public_id, "log source")


def get_batch(membership: Membership, public_id: str | UUID, perm: Perm = Perm.VIEW_ACTIVITY) -> IngestBatch:
    require_perm(membership, perm)
    return one_in_org(
        IngestBatch.objects.select_related("source", "created_by"), membership, public_id, "ingestion batch"
    )


def get_rule(membership: Membership, public_id: str | UUID, perm: Perm = Perm.VIEW_ACTIVITY) -> DetectionRule:
    require_perm(membership, perm)
    return one_in_org(DetectionRule.objects.all(), membership, public_id, "rule")


def get_rule_test(membership: Membership, public_id: str | UUID, perm: Perm = Perm.VIEW_ACTIVITY) -> RuleTest:
    require_perm(membership, perm)
    return one_in_org(
        RuleTest.objects.select_related("rule", "source", "tested_by"), membership, public_id, "rule test"
    )


def get_alert(membership: Membership, public_id: str | UUID, perm: Perm = Perm.VIEW_ACTIVITY) -> Alert:
    require_perm(membership, perm)
    return one_in_org(Alert.objects.select_related("rule"), membership, public_id, "alert")


def get_review(membership: Membership, public_id: str | UUID, perm: Perm = Perm.VIEW_ACTIVITY) -> ActivityReview:
    require_perm(membership, perm)
    return one_in_org(ActivityReview.objects.select_related("source"), membership, public_id, "review")


def get_run(membership: Membership, public_id: str | UUID, perm: Perm = Perm.VIEW_ACTIVITY) -> RuleRun:
    require_perm(membership, perm)
    return one_in_org(RuleRun.objects.select_related("batch"), membership, public_id, "evaluation run")
