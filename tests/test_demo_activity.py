"""The demo's activity review: what `demo_seed` creates and the verdicts its story stands for (see
safeguard/activity/demo.py):
- 164.308(a)(1)(ii)(D) not met: the VPN silent, the success-after-failures alert on Diego Alvarez new past its
  deadline, Okta's first review signed late, no review scheduled for the VPN;
- 164.308(a)(5)(ii)(C): failed log-ins watched, but the VPN unreviewed and Okta's review late;
- 164.312(b) partially met: only the EHR of the six ePHI systems has a log source.

The demo is seeded once for the module, inside a transaction rolled back at the end; its event store in a
folder of its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from safeguard.access.models import BreakGlassActivation
from safeguard.activity.models import ActivityReview, Alert, AlertNote, IngestBatch, LogSource, PatientFlag, RuleRun
from safeguard.activity.queries_reviews import ReviewState, review_state
from safeguard.activity.store import store_for
from safeguard.catalog.loader import catalog_load
from safeguard.core.demo import demo_seed
from safeguard.core.models import AuditEvent, Organization
from safeguard.incidents.models import Incident
from safeguard.tracker.models import Verdict

DIEGO = "diego.alvarez@demo.safeguard.test"


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory) -> Path:  # noqa: ANN001
    return tmp_path_factory.mktemp("activity")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory, store_dir: Path) -> Iterator[Organization]:  # noqa: ANN001
    media = tmp_path_factory.mktemp("evidence")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast):
        with override_settings(ACTIVITY_STORE_DIR=store_dir), transaction.atomic():
            catalog_load()
            organization = demo_seed().organization
            yield organization
            transaction.set_rollback(True)


@pytest.fixture
def org(demo: Organization, db, settings, store_dir: Path) -> Organization:  # noqa: ANN001
    settings.ACTIVITY_STORE_DIR = store_dir
    return demo


def _verdict(organization: Organization, citation: str) -> Verdict:
    return Verdict.objects.get(organization=organization, requirement__citation=citation)


def test_three_sources_each_read_as_weekly_files(org: Organization) -> None:
    sources = {source.name: source for source in LogSource.objects.filter(organization=org)}
    assert {name: (s.kind, s.format, s.review_every_days) for name, s in sources.items()} == {
        "EHR": ("ehr", "ehr_csv", 7),
        "Okta": ("identity", "okta", 7),
        "VPN": ("vpn_firewall", "syslog", None),
    }
    assert sources["EHR"].asset is not None and sources["EHR"].asset.name == "EHR (cloud)"
    assert sources["EHR"].mapping["patient_id"] == "PAT_ID"
    batches = IngestBatch.objects.filter(organization=org)
    # One file for each week holding a source's events: three, or two early in a week (the working days end
    # yesterday, the VPN's the day before), the weeks as the demo cuts them (Monday to Sunday, the zone's).
    weeks = "SELECT source_id, count(DISTINCT date_trunc('week', timezone($zone, time))) AS n FROM events GROUP BY 1"
    rows = store_for(org.pk).query(weeks, {"zone": timezone.get_current_timezone_name()}).to_pylist()
    names = {source.pk: name for name, source in sources.items()}
    expected = {names[row["source_id"]]: row["n"] for row in rows}
    assert Counter(batch.source.name for batch in batches) == expected
    assert expected.keys() == sources.keys() and set(expected.values()) <= {2, 3}
    assert {batch.state for batch in batches} == {"done"}
    assert sum(batch.rejected + batch.duplicates for batch in batches) == 0
    for source in sources.values():
        assert sum(b.accepted for b in batches if b.source_id == source.pk) == source.event_count
    assert 2500 < sources["EHR"].event_count < 6000
    assert store_for(org.pk).count() == sum(source.event_count for source in sources.values())
    last_vpn = sources["VPN"].last_received_at
    assert last_vpn is not None and timezone.now() - last_vpn > timedelta(hours=24)


def test_patient_flags_and_one_evaluation(org: Organization) -> None:
    flags = PatientFlag.objects.filter(organization=org)
    assert flags.filter(vip=True).count() == 3
    assert sorted(flags.exclude(employee=None).values_list("employee__employee_id", flat=True)) == ["E1011", "E1031"]
    run = RuleRun.objects.get(organization=org)
    assert (run.trigger, run.state, run.alerts_created) == ("manual", "done", 10)


def test_the_story_alerts_and_their_triage(org: Organization) -> None:
    found = {
        (alert.rule.name, alert.group_text): alert.status
        for alert in Alert.objects.filter(organization=org).select_related("rule")
    }
    assert found == {
        ("ehr_vip_record", "user_name=ahaddad"): "benign",
        ("ehr_vip_record", "user_name=kobrien"): "escalated",
        ("ehr_own_record", "user_name=tnguyen"): "benign",
        ("ehr_same_surname", "user_name=hweber"): "false_positive",
        ("ehr_after_termination", "user_name=jsantos"): "benign",
        ("ehr_after_hours", "user_name=jsantos"): "benign",
        ("ehr_break_glass", "user_name=ehr-breakglass"): "benign",
        ("auth_brute_force_user", f"user_name={DIEGO}"): "triaged",
        ("auth_success_after_failures", f"user_name={DIEGO}"): "new",
        ("ehr_after_hours", "user_name=nfischer"): "new",
        ("silent_source", "source=VPN"): "new",
    }
    santos = Alert.objects.get(organization=org, rule__name="ehr_after_termination")
    assert santos.person is not None and santos.person.employee_id == "E1023"
    assert santos.evidence_count == 4
    overdue = Alert.objects.get(organization=org, rule__name="auth_success_after_failures")
    assert overdue.ack_due_at is not None and overdue.ack_due_at < timezone.now()
    closed = AlertNote.objects.filter(organization=org, action="status", to_status__in=("benign", "false_positive"))
    assert closed.count() == 6 and all(note.comment for note in closed)


def test_the_vip_alert_became_an_incident(org: Organization) -> None:
    incident = Incident.objects.get(organization=org)
    assert incident.title == "Billing specialist opened a VIP patient's chart"
    assert incident.severity == "high"
    assert [alert.group_text for alert in incident.alerts.all()] == ["user_name=kobrien"]
    assert AuditEvent.objects.filter(organization=org, action="activity.alert_escalated").count() == 1


def test_the_break_glass_use_was_recorded_from_the_alert_and_reviewed(org: Organization) -> None:
    use = BreakGlassActivation.objects.get(account__organization=org, source="activity")
    assert use.account.username == "ehr-breakglass"
    assert use.justified is True and use.reviewed_at == use.started_at + timedelta(hours=5)


def test_reviews_signed_on_time_late_and_due(org: Organization) -> None:
    today = timezone.localdate()
    states = {
        (review.source.name, (review.period_end - review.period_start).days, review_state(review, today))
        for review in ActivityReview.objects.filter(organization=org).select_related("source")
    }
    assert states == {
        ("EHR", 6, ReviewState.SIGNED),
        ("Okta", 6, ReviewState.LATE),
        ("EHR", 6, ReviewState.DUE),
        ("Okta", 6, ReviewState.DUE),
    }
    signed = ActivityReview.objects.filter(organization=org, signed_at__isnull=False)
    assert all(review.signature is not None and review.statistics["alerts"] for review in signed)
    monday = today - timedelta(days=today.isoweekday() - 1)
    assert sorted(signed.values_list("period_start", flat=True)) == [monday - timedelta(days=14)] * 2


def test_the_tracker_verdicts(org: Organization) -> None:
    review = _verdict(org, "164.308(a)(1)(ii)(D)")
    assert review.status == "not_met"
    assert review.reason.startswith("No data in the last 24 hours from VPN; 1 high or critical alert untriaged")
    assert "Successful logon after repeated failures" in review.reason
    assert "reviews signed late: Okta" in review.reason and "no review scheduled for VPN" in review.reason
    login = _verdict(org, "164.308(a)(5)(ii)(C)")
    assert login.status == "partially_met"
    assert "Failed log-ins in Okta, VPN are watched by" in login.reason
    assert "no review scheduled for VPN; reviews signed late: Okta" in login.reason
    audit = _verdict(org, "164.312(b)")
    assert audit.status == "partially_met"
    assert audit.reason == (
        "5 of 6 ePHI systems without a log source: Fax server, Front-desk server, Lab interface, "
        "Practice management, Telehealth app."
    )
