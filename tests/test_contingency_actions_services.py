"""Corrective actions: who may own one, when it may be due, what completing and cancelling need."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from safeguard.contingency.models import CorrectiveAction
from safeguard.contingency.services.actions import (
    corrective_action_cancel,
    corrective_action_complete,
    corrective_action_create,
    corrective_action_update,
)
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from tests.contingency_restore_factories import action, asset_with_objectives
from tests.risk_factories import risk as make_risk

pytestmark = pytest.mark.django_db
IN_A_WEEK = timezone.localdate() + timedelta(days=7)


def _create(cast, **overrides):
    values = {
        "organization": cast.org,
        "actor": Actor(user=cast.official),
        "origin": "other",
        "title": "Buy a second NAS",
        "owner": cast.owner,
        "due_on": IN_A_WEEK,
    }
    return corrective_action_create(**(values | overrides))


def test_create_stores_and_audits_the_action(cast):
    created = _create(
        cast, asset=asset_with_objectives(cast.org, "EHR"), risk=make_risk(cast.org, 1, likelihood=2, impact=2)
    )
    assert (created.status, created.owner, created.created_by) == ("open", cast.owner, cast.official)
    event = AuditEvent.objects.get(action="contingency.action.created")
    assert event.changes["title"] == [None, "Buy a second NAS"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "  "}, "title"),
        ({"origin": "whim"}, "origin"),
        ({"due_on": timezone.localdate() - timedelta(days=1)}, "due_on"),
    ],
)
def test_bad_values_are_refused(cast, overrides, field):
    with pytest.raises(ServiceError) as refused:
        _create(cast, **overrides)
    assert refused.value.field == field
    assert not CorrectiveAction.objects.exists()


def test_the_owner_must_be_a_current_member_who_can_act(cast):
    for owner, words in ((cast.outsider, "current member"), (cast.auditor, "auditor")):
        with pytest.raises(ServiceError, match=words):
            _create(cast, owner=owner)
    assert not CorrectiveAction.objects.exists()


def test_a_risk_of_another_organization_is_refused(cast):
    with pytest.raises(ServiceError) as refused:
        _create(cast, risk=make_risk(cast.other_org, 1, likelihood=2, impact=2))
    assert refused.value.field == "risk"


def test_update_audits_only_what_changed(cast):
    item = action(cast.org, cast.owner)
    corrective_action_update(
        organization=cast.org, actor=Actor(user=cast.official), action=item, owner=cast.workforce, status="in_progress"
    )
    item.refresh_from_db()
    assert (item.owner, item.status) == (cast.workforce, "in_progress")
    event = AuditEvent.objects.get(action="contingency.action.updated")
    assert set(event.changes) == {"owner", "status"}


def test_update_cannot_close_the_action(cast):
    item = action(cast.org, cast.owner)
    with pytest.raises(ServiceError) as refused:
        corrective_action_update(organization=cast.org, actor=Actor(user=cast.official), action=item, status="done")
    assert refused.value.field == "status"


def test_completing_needs_a_note_and_records_who_and_when(cast):
    item = action(cast.org, cast.owner)
    with pytest.raises(ServiceError) as refused:
        corrective_action_complete(organization=cast.org, actor=Actor(user=cast.owner), action=item, note=" ")
    assert refused.value.field == "note"
    done = corrective_action_complete(
        organization=cast.org, actor=Actor(user=cast.owner), action=item, note="Second NAS installed"
    )
    assert (done.status, done.completed_by, done.completed_on) == ("done", cast.owner, timezone.localdate())
    assert AuditEvent.objects.filter(action="contingency.action.completed").count() == 1
    with pytest.raises(ServiceError, match="only an open action"):
        corrective_action_cancel(organization=cast.org, actor=Actor(user=cast.owner), action=done, reason="x")


def test_cancelling_needs_a_reason(cast):
    item = action(cast.org, cast.owner)
    with pytest.raises(ServiceError):
        corrective_action_cancel(organization=cast.org, actor=Actor(user=cast.owner), action=item, reason="")
    cancelled = corrective_action_cancel(
        organization=cast.org, actor=Actor(user=cast.owner), action=item, reason="Duplicate of another action"
    )
    assert (cancelled.status, cancelled.completion_note) == ("cancelled", "Duplicate of another action")
