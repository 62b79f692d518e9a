"""Incident services: references numbered per organization and year, owners who may handle alerts, updates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.incidents.models import Incident
from safeguard.incidents.services import incident_update, open_incident


def _open(org, user, when, title="Snooping"):
    return open_incident(org, Actor(user=user), title=title, severity="high", owner=user, now=when)


def test_references_count_per_organization_and_restart_each_year(cast):
    jan = datetime(2026, 1, 10, 12, tzinfo=UTC)
    assert _open(cast.org, cast.owner, jan).reference == "INC-2026-0001"
    assert _open(cast.org, cast.owner, jan).reference == "INC-2026-0002"
    assert _open(cast.other_org, cast.outsider, jan).reference == "INC-2026-0001"
    assert _open(cast.org, cast.owner, datetime(2027, 2, 1, 12, tzinfo=UTC)).reference == "INC-2027-0001"
    assert _open(cast.org, cast.owner, jan).reference == "INC-2026-0003"


def test_numbering_follows_the_highest_reference_not_the_count(cast):
    jan = datetime(2026, 1, 10, 12, tzinfo=UTC)
    _open(cast.org, cast.owner, jan)
    Incident.objects.filter(reference="INC-2026-0001").update(reference="INC-2026-0041")
    assert _open(cast.org, cast.owner, jan).reference == "INC-2026-0042"


def test_owner_must_be_a_member_who_may_handle_alerts(cast):
    for user in (cast.auditor, cast.workforce, cast.outsider):
        with pytest.raises(ServiceError, match="cannot own an incident here"):
            open_incident(cast.org, Actor(user=cast.owner), title="x", severity="low", owner=user)
    with pytest.raises(ServiceError, match="Give the incident a title"):
        open_incident(cast.org, Actor(user=cast.owner), title=" ", severity="low", owner=cast.owner)
    with pytest.raises(ServiceError, match="Choose a severity"):
        open_incident(cast.org, Actor(user=cast.owner), title="x", severity="informational", owner=cast.owner)
    assert not Incident.objects.exists()


def test_update_stamps_resolution_and_closing_and_audits_the_changes(cast):
    incident = _open(cast.org, cast.owner, datetime(2026, 1, 10, 12, tzinfo=UTC))
    later = datetime(2026, 1, 12, 9, tzinfo=UTC)
    incident_update(
        cast.org, Actor(user=cast.owner), incident=incident, status="resolved", owner=cast.official, now=later
    )
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at, incident.closed_at) == ("resolved", later, None)
    assert incident.owner == cast.official
    audit = AuditEvent.objects.get(action="incidents.incident_updated")
    assert audit.changes["owner"] == ["owner@clinic.test", "so@clinic.test"]
    assert audit.changes["status"] == ["new", "resolved"]
    incident_update(cast.org, Actor(user=cast.owner), incident=incident, status="in_progress", now=later)
    incident.refresh_from_db()
    assert incident.resolved_at is None


def test_update_refuses_unknown_fields_and_statuses(cast):
    incident = _open(cast.org, cast.owner, datetime(2026, 1, 10, 12, tzinfo=UTC))
    with pytest.raises(ServiceError, match="cannot be changed: reference"):
        incident_update(cast.org, Actor(user=cast.owner), incident=incident, reference="X")
    with pytest.raises(ServiceError, match="Choose a status"):
        incident_update(cast.org, Actor(user=cast.owner), incident=incident, status="done")
