"""The activity checks' verdicts from hand-built records: activity review (D), log-in monitoring (C) and audit
controls (164.312(b))."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from safeguard.activity.checks_audit_controls import audit_controls_check
from safeguard.activity.checks_login_monitoring import login_monitoring_check
from safeguard.activity.checks_review import activity_review_check
from safeguard.activity.models import ActivityReview, AlertStatus, DetectionRule, SourceKind
from safeguard.risk.models import Asset, AssetKind, VolumeBand
from safeguard.tracker.models import Status
from tests.activity_factories import BRUTE_FORCE_YAML, make_alert, make_rule, make_source


def today() -> date:
    return timezone.localdate()


def fresh_source(org: Any, name: str = "EHR", **extra: Any) -> Any:
    return make_source(org, name, last_received_at=timezone.now() - timedelta(hours=2), **extra)


def review(source: Any, due_days_ago: int, signed_days_after_due: int | None) -> ActivityReview:
    due = today() - timedelta(days=due_days_ago)
    signed = None
    if signed_days_after_due is not None:
        signed = timezone.make_aware(datetime.combine(due + timedelta(days=signed_days_after_due), datetime.min.time()))
        signed += timedelta(hours=12)
    return ActivityReview.objects.create(
        organization=source.organization,
        source=source,
        period_start=due - timedelta(days=9),
        period_end=due - timedelta(days=3),
        due_on=due,
        signed_at=signed,
    )


# ---- 164.308(a)(1)(ii)(D) ---------------------------------------------------------------------------------------


def test_review_check_without_sources_is_not_met(cast: Any) -> None:
    result = activity_review_check(cast.org, today())
    assert result.status == Status.NOT_MET and "No active log source" in result.reason


def test_review_check_met_when_fresh_and_signed_on_time(cast: Any) -> None:
    source = fresh_source(cast.org, review_every_days=7)
    review(source, 10, 0)
    upcoming = review(source, -2, None)
    result = activity_review_check(cast.org, today())
    assert result.status == Status.MET
    assert "1 review due in the last 90 days, all signed on time" in result.reason
    # The feed falls silent 24 hours after its last data: later today in the first two hours of a day.
    silent_on = timezone.localdate(source.last_received_at + timedelta(hours=24))
    assert result.lapses_on == min(upcoming.due_on, silent_on)


def test_review_check_partially_met_when_reviews_late_or_missed(cast: Any) -> None:
    source = fresh_source(cast.org, review_every_days=7)
    late = review(source, 20, 2)
    review(source, 5, None)
    review(source, 120, None)  # outside the 90 days
    result = activity_review_check(cast.org, today())
    assert result.status == Status.PARTIALLY_MET
    assert result.reason.startswith("Missed reviews: EHR") and "reviews signed late: EHR" in result.reason
    assert str(late.due_on) in result.reason
    assert {r.type for r in result.records} == {"activity.activityreview"}
    assert len(result.records) == 2


def test_review_check_not_met_for_a_silent_ephi_source(cast: Any) -> None:
    fresh_source(cast.org, review_every_days=7)
    make_source(cast.org, "Lab", review_every_days=7, last_received_at=timezone.now() - timedelta(hours=30))
    make_source(cast.org, "Badge", contains_ephi=False, review_every_days=7)  # silent, but holds no ePHI
    result = activity_review_check(cast.org, today())
    assert result.status == Status.NOT_MET
    assert result.reason.startswith("No data in the last 24 hours from Lab.")
    assert [r.label for r in result.records] == ["Lab"]


def test_review_check_not_met_for_a_high_alert_untriaged_past_deadline(cast: Any) -> None:
    fresh_source(cast.org, review_every_days=7)
    rule = make_rule(cast.org, "vip")
    make_alert(cast.org, rule, severity="high", ack_due_at=timezone.now() - timedelta(minutes=1))
    make_alert(
        cast.org, rule, severity="high", status=AlertStatus.TRIAGED, ack_due_at=timezone.now() - timedelta(hours=1)
    )
    make_alert(cast.org, rule, severity="medium", ack_due_at=timezone.now() - timedelta(hours=1))
    result = activity_review_check(cast.org, today())
    assert result.status == Status.NOT_MET
    assert "1 high or critical alert untriaged past their deadline (rule titles: " in result.reason


def test_review_check_partially_met_when_no_review_is_scheduled(cast: Any) -> None:
    fresh_source(cast.org)
    result = activity_review_check(cast.org, today())
    assert (result.status, result.reason) == (Status.PARTIALLY_MET, "No review scheduled for EHR.")


# ---- 164.308(a)(5)(ii)(C) ---------------------------------------------------------------------------------------


def brute_force(org: Any, mode: str = DetectionRule.Mode.ENABLED) -> None:
    detection, correlation = BRUTE_FORCE_YAML.split("---\n")
    make_rule(org, "test_auth_failure", mode=DetectionRule.Mode.DISABLED, yaml=detection)
    make_rule(org, "test_brute_force", kind=DetectionRule.Kind.CORRELATION, mode=mode, yaml=correlation)


def test_login_check_unknown_without_identity_sources(cast: Any) -> None:
    fresh_source(cast.org)
    assert login_monitoring_check(cast.org, today()).status == Status.UNKNOWN


def test_login_check_not_met_without_an_enabled_failure_rule(cast: Any) -> None:
    fresh_source(cast.org, "Okta", kind=SourceKind.IDENTITY, review_every_days=7)
    brute_force(cast.org, mode=DetectionRule.Mode.SHADOW)
    make_rule(cast.org, "vip")  # enabled, but not about log-ins
    result = login_monitoring_check(cast.org, today())
    assert result.status == Status.NOT_MET and result.reason == "No enabled rule watches failed log-ins in Okta."


def test_login_check_met_with_a_correlation_over_a_disabled_failure_detection(cast: Any) -> None:
    source = fresh_source(cast.org, "Okta", kind=SourceKind.IDENTITY, review_every_days=7)
    brute_force(cast.org)
    review(source, 3, -1)
    result = login_monitoring_check(cast.org, today())
    assert result.status == Status.MET
    assert "watched by Test brute force" in result.reason


def test_login_check_partially_met_when_vpn_reviews_are_missed(cast: Any) -> None:
    fresh_source(cast.org, "Okta", kind=SourceKind.IDENTITY, review_every_days=7)
    vpn = fresh_source(cast.org, "VPN", kind=SourceKind.VPN_FIREWALL, review_every_days=7)
    make_rule(
        cast.org,
        "failed_logon",
        yaml="title: t\nname: failed_logon\nlogsource: {product: hipaa_platform, category: authentication}\n"
        "detection:\n  sel:\n    outcome|contains: [failure]\n  condition: sel\n",
    )
    review(vpn, 4, None)
    result = login_monitoring_check(cast.org, today())
    assert result.status == Status.PARTIALLY_MET and "missed reviews: VPN" in result.reason


# ---- 164.312(b) -------------------------------------------------------------------------------------------------


def asset(org: Any, name: str, kind: str = AssetKind.APPLICATION, **extra: Any) -> Asset:
    return Asset.objects.create(organization=org, name=name, kind=kind, volume_band=VolumeBand.UNDER_10K, **extra)


def test_audit_controls_lists_systems_without_a_log_source(cast: Any) -> None:
    ehr = asset(cast.org, "Epic")
    asset(cast.org, "Billing DB", AssetKind.DATABASE)
    asset(cast.org, "Laptop", AssetKind.ENDPOINT)  # not a system whose log is collected here
    asset(cast.org, "Old PACS", status=Asset.Status.RETIRED)
    make_source(cast.org, asset=ehr)
    make_source(cast.other_org, "Theirs")
    result = audit_controls_check(cast.org, today())
    assert result.status == Status.PARTIALLY_MET
    assert result.reason == "1 of 2 ePHI systems without a log source: Billing DB."
    assert [r.label for r in result.records] == ["Billing DB"]


def test_audit_controls_met_not_met_and_unknown(cast: Any) -> None:
    assert audit_controls_check(cast.org, today()).status == Status.UNKNOWN
    Asset.objects.create(organization=cast.org, name="Kiosk", kind=AssetKind.SERVER, volume_band=VolumeBand.NONE)
    assert audit_controls_check(cast.org, today()).status == Status.UNKNOWN
    ehr = asset(cast.org, "Epic")
    assert audit_controls_check(cast.org, today()).status == Status.NOT_MET
    source = make_source(cast.org, asset=ehr, is_active=False)
    assert audit_controls_check(cast.org, today()).status == Status.NOT_MET
    source.is_active = True
    source.save()
    assert audit_controls_check(cast.org, today()).status == Status.MET
