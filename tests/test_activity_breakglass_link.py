"""An alert about a break-glass account opens a use in the break-glass register, once per session."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from safeguard.access.models import BreakGlassAccount, BreakGlassActivation
from safeguard.activity.engine.types import AlertCandidate
from safeguard.activity.models import DetectionRule
from safeguard.activity.services.alert_recording import record_candidates
from safeguard.core.models import AuditEvent
from tests.access_factories import system
from tests.activity_factories import make_rule, make_source
from tests.conftest import Cast


def candidate(uid: str, user: str, at: object, rule: str = "break_glass_use") -> AlertCandidate:
    return AlertCandidate(
        rule_name=rule,
        uid=uid,
        group_key={"user_name": user},
        bucket_start=at,  # type: ignore[arg-type]
        first_seen=at,  # type: ignore[arg-type]
        last_seen=at,  # type: ignore[arg-type]
        anchor_count=1,
        window_seconds=0,
        metric_name="",
        metric_value=None,
    )


def setup(cast: Cast) -> tuple[BreakGlassAccount, DetectionRule]:
    ehr = system(cast.org, "EHR")
    account = BreakGlassAccount.objects.create(
        organization=cast.org, system=ehr, username="BG-Admin", purpose="EHR downtime", review_hours=8
    )
    return account, make_rule(cast.org, "break_glass_use")


def test_an_alert_about_a_break_glass_account_records_a_use_with_its_review_clock(cast: Cast) -> None:
    account, rule = setup(cast)
    at = timezone.now() - timedelta(hours=3)
    record_candidates(cast.org, [candidate("a1", "bg-admin", at)], rules={rule.name: rule})
    use = BreakGlassActivation.objects.get()
    assert (use.account, use.source, use.started_at) == (account, BreakGlassActivation.Source.ACTIVITY, at)
    assert use.review_due_at == at + timedelta(hours=8)
    assert "alert" in use.records_accessed
    assert AuditEvent.objects.filter(action="access.breakglass_activation.recorded").count() == 1


def test_alerts_within_twelve_hours_of_a_use_add_nothing_and_a_later_one_is_a_new_use(cast: Cast) -> None:
    _, rule = setup(cast)
    start = timezone.now() - timedelta(days=2)
    record_candidates(
        cast.org,
        [candidate("a1", "bg-admin", start), candidate("a2", "bg-admin", start + timedelta(hours=11))],
        rules={rule.name: rule},
    )
    assert BreakGlassActivation.objects.count() == 1
    record_candidates(cast.org, [candidate("a3", "bg-admin", start + timedelta(hours=13))], rules={rule.name: rule})
    assert BreakGlassActivation.objects.count() == 2


def test_ordinary_users_other_systems_and_retired_accounts_record_nothing(cast: Cast) -> None:
    account, rule = setup(cast)
    other_asset = system(cast.org, "Billing").asset
    billing_log = make_source(cast.org, "Billing log", asset=other_asset)
    at = timezone.now() - timedelta(hours=1)
    other = candidate("a2", "bg-admin", at)
    other.source_ids = [billing_log.pk]
    record_candidates(cast.org, [candidate("a1", "jdoe", at), other], rules={rule.name: rule})
    assert not BreakGlassActivation.objects.exists()
    account.is_active = False
    account.save()
    record_candidates(cast.org, [candidate("a3", "bg-admin", at)], rules={rule.name: rule})
    assert not BreakGlassActivation.objects.exists()


def test_another_organizations_account_of_the_same_name_is_not_touched(cast: Cast) -> None:
    setup(cast)
    rule = make_rule(cast.other_org, "break_glass_use")
    record_candidates(
        cast.other_org, [candidate("b1", "bg-admin", timezone.now() - timedelta(hours=1))], rules={rule.name: rule}
    )
    assert not BreakGlassActivation.objects.exists()
