"""One activity review record of each kind, made straight through the ORM (and one event in the store), for tests
that need a record to point at (the MFA sweep). Services have their own tests; these rows only have to exist."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from safeguard.activity.models import (
    ActivityReview,
    EscalationLevel,
    IngestBatch,
    IngestToken,
    RuleRun,
    RuleTest,
    Suppression,
    UserAlias,
    WorkShift,
    Workstation,
)
from safeguard.activity.parsers.common import events_table
from safeguard.activity.store import store_for
from safeguard.core.models import Organization, User
from safeguard.incidents.models import Incident
from safeguard.workforce.models import Person
from tests.activity_factories import make_alert, make_rule, make_source

EVENT_UID = "sweep-event-1"


def activity_records(organization: Organization, user: User) -> dict[str, str]:
    """ "activity_" + route parameter name → the public id (or event uid) of a record of that kind; `user` must
    already be a roster person in `organization` (tests/access_records.py makes one)."""
    now = timezone.now()
    person = Person.objects.get(organization=organization, email__iexact=user.email)
    source = make_source(organization, review_every_days=7)
    token = IngestToken.objects.create(
        organization=organization, source=source, name="shipper", prefix="sgi_sweep", key_hash="0" * 64, created_by=user
    )
    batch = IngestBatch.objects.create(organization=organization, source=source, channel=IngestBatch.Channel.UPLOAD)
    rule = make_rule(organization, "sweep_rule")
    rule_test = RuleTest.objects.create(
        organization=organization, rule=rule, yaml=rule.yaml, source_format="normalized", tested_by=user, state="done"
    )
    run = RuleRun.objects.create(
        organization=organization,
        trigger=RuleRun.Trigger.MANUAL,
        window_start=now - timedelta(hours=1),
        window_end=now,
    )
    incident = Incident.objects.create(
        organization=organization, reference="INC-2026-0001", title="Sweep", severity="high", owner=user, opened_by=user
    )
    alert = make_alert(organization, rule, source=source, incident=incident)
    suppression = Suppression.objects.create(organization=organization, rule=rule, reason="Sweep", created_by=user)
    level = EscalationLevel.objects.create(organization=organization, severity="high", level=1, ack_minutes=60)
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday() + 7)
    review = ActivityReview.objects.create(
        organization=organization,
        source=source,
        period_start=monday,
        period_end=monday + timedelta(days=6),
        due_on=monday + timedelta(days=9),
    )
    alias = UserAlias.objects.create(
        organization=organization, person=person, alias="EHR1", alias_key="ehr1", created_by=user
    )
    shift = WorkShift.objects.create(organization=organization, name="Nights", person=person, start_hour=19, end_hour=7)
    workstation = Workstation.objects.create(organization=organization, host="WS-1", host_key="ws-1")
    event = {
        "event_uid": EVENT_UID,
        "time": now - timedelta(minutes=30),
        "event_class": "record_access",
        "activity": "read",
        "outcome": "success",
        "user_name": "ehr1",
        "patient_id": "MRN-1",
        "raw": "sweep",
    }
    store_for(organization.pk).append(
        source.pk, batch.pk, events_table([event]), time_zone=source.time_zone, parser="test", parser_version="1"
    )
    return {
        "activity_source_id": str(source.public_id),
        "activity_token_id": str(token.public_id),
        "activity_batch_id": str(batch.public_id),
        "activity_rule_id": str(rule.public_id),
        "activity_test_id": str(rule_test.public_id),
        "activity_run_id": str(run.public_id),
        "activity_alert_id": str(alert.public_id),
        "activity_suppression_id": str(suppression.public_id),
        "activity_level_id": str(level.public_id),
        "activity_review_id": str(review.public_id),
        "activity_alias_id": str(alias.public_id),
        "activity_shift_id": str(shift.public_id),
        "activity_workstation_id": str(workstation.public_id),
        "activity_incident_id": str(incident.public_id),
        "activity_event_uid": EVENT_UID,
    }
