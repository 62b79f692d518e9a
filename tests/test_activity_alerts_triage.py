"""Triage services: transitions allowed and refused with precise messages, assignment, bulk, escalation."""

from __future__ import annotations

import pytest

from safeguard.activity.models import Alert, AlertNote, AlertStatus, DetectionRule
from safeguard.activity.services import alerts as triage
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.incidents.models import Incident
from tests.activity_factories import make_alert, make_rule


@pytest.fixture
def rule(cast) -> DetectionRule:
    return make_rule(cast.org, "vip_access", title="VIP record opened")


@pytest.fixture
def actor(cast) -> Actor:
    return Actor(user=cast.official)


def test_new_to_triaged_records_who_and_when_and_a_note(cast, rule, actor):
    alert = make_alert(cast.org, rule)
    triage.alert_set_status(cast.org, actor, alert=alert, status=AlertStatus.TRIAGED)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.TRIAGED
    assert alert.triaged_by == cast.official
    assert alert.closed_at is None
    note = alert.notes.get(action=AlertNote.Action.STATUS)
    assert (note.from_status, note.to_status, note.actor) == ("new", "triaged", cast.official)
    assert AuditEvent.objects.filter(action="activity.alert_status_changed").count() == 1


@pytest.mark.parametrize(
    ("start", "target", "comment", "message"),
    [
        ("new", "false_positive", "", "Say why the alert is false positive: a comment is required."),
        ("triaged", "benign", " ", "Say why the alert is benign true positive: a comment is required."),
        ("triaged", "new", "x", "A triaged alert cannot become new."),
        ("triaged", "triaged", "x", "A triaged alert cannot become triaged."),
        ("new", "escalated", "x", "Escalate an alert with the escalate action: it opens or joins an incident."),
        ("benign", "triaged", "x", "The alert is closed (benign true positive); it cannot change."),
        ("new", "closed", "x", "Choose a status: new, triaged, escalated, false_positive, benign."),
    ],
)
def test_refused_transitions_say_why_and_change_nothing(cast, rule, actor, start, target, comment, message):
    alert = make_alert(cast.org, rule, status=start)
    with pytest.raises(ServiceError) as refused:
        triage.alert_set_status(cast.org, actor, alert=alert, status=target, comment=comment)
    assert refused.value.message == message
    alert.refresh_from_db()
    assert alert.status == start
    assert not AlertNote.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="activity.alert").exists()


def test_closing_with_a_comment_stamps_closed_at(cast, rule, actor):
    alert = make_alert(cast.org, rule, status=AlertStatus.TRIAGED)
    triage.alert_set_status(cast.org, actor, alert=alert, status="false_positive", comment="Covering physician")
    alert.refresh_from_db()
    assert alert.status == "false_positive"
    assert alert.closed_at is not None
    assert alert.notes.get().comment == "Covering physician"


def test_assign_only_to_members_who_may_triage(cast, rule, actor):
    alert = make_alert(cast.org, rule)
    for user in (cast.auditor, cast.workforce, cast.outsider):
        with pytest.raises(ServiceError, match="may not triage alerts here"):
            triage.alert_assign(cast.org, actor, alert=alert, assignee=user)
    triage.alert_assign(cast.org, actor, alert=alert, assignee=cast.owner)
    alert.refresh_from_db()
    assert alert.assignee == cast.owner
    assert alert.notes.get().comment == "Assigned to owner@clinic.test"


def test_bulk_is_all_or_nothing_and_names_the_refused_alert(cast, rule, actor):
    first = make_alert(cast.org, rule, uid="a")
    closed = make_alert(cast.org, rule, uid="b", status=AlertStatus.BENIGN, group_text="user_name=zed")
    change = triage.TriageChange(status=AlertStatus.TRIAGED)
    with pytest.raises(ServiceError) as refused:
        triage.alerts_bulk_triage(cast.org, actor, alerts=[first, closed], change=change)
    assert refused.value.message == (
        "VIP record opened (user_name=zed): The alert is closed (benign true positive); it cannot change."
    )
    first.refresh_from_db()
    assert first.status == AlertStatus.NEW
    assert triage.alerts_bulk_triage(cast.org, actor, alerts=[first], change=change) == 1


def test_escalate_opens_an_incident_and_links_the_alerts(cast, rule, actor):
    a = make_alert(cast.org, rule, uid="a", severity="medium")
    b = make_alert(cast.org, rule, uid="b", severity="critical", status=AlertStatus.TRIAGED)
    incident = triage.alerts_escalate(
        cast.org, actor, alerts=[a, b], comment="Same user, two VIP charts", owner=cast.official
    )
    assert incident.severity == "critical"
    assert incident.title == "VIP record opened"
    assert incident.reference.startswith("INC-")
    assert set(Alert.objects.filter(incident=incident).values_list("status", flat=True)) == {"escalated"}
    assert AlertNote.objects.filter(action=AlertNote.Action.INCIDENT, comment=incident.reference).count() == 2


def test_escalate_needs_a_comment_and_an_open_alert(cast, rule, actor):
    alert = make_alert(cast.org, rule)
    with pytest.raises(ServiceError, match="a comment is required"):
        triage.alerts_escalate(cast.org, actor, alerts=[alert], comment="", owner=cast.official)
    closed = make_alert(cast.org, rule, uid="c", status=AlertStatus.FALSE_POSITIVE)
    with pytest.raises(ServiceError, match=r"is closed \(false positive\); it cannot be escalated"):
        triage.alerts_escalate(cast.org, actor, alerts=[closed], comment="why", owner=cast.official)
    assert not Incident.objects.exists()


def test_escalate_into_an_existing_open_incident_only(cast, rule, actor):
    first = triage.alerts_escalate(
        cast.org, actor, alerts=[make_alert(cast.org, rule, uid="a")], comment="x", owner=cast.official
    )
    second = make_alert(cast.org, rule, uid="b")
    joined = triage.alerts_escalate(cast.org, actor, alerts=[second], comment="same person", incident=first)
    assert joined == first
    assert first.alerts.count() == 2
    Incident.objects.filter(pk=first.pk).update(status="closed")
    first.refresh_from_db()
    with pytest.raises(ServiceError, match="Choose an open incident"):
        triage.alerts_escalate(
            cast.org, actor, alerts=[make_alert(cast.org, rule, uid="c")], comment="x", incident=first
        )
