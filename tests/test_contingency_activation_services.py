"""Emergency activations: recorded with the systems affected, linked to the plan version invoked, an incident and
break-glass uses of the organization; times checked; decisions appended in time order; closing; audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from safeguard.contingency.models import EmergencyActivation
from safeguard.contingency.queries_plans import break_glass_during
from safeguard.contingency.services.activations import (
    activation_close,
    activation_create,
    activation_decision_add,
    activation_update,
)
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Asset
from tests.conftest import Cast
from tests.contingency_plan_factories import (
    approved,
    break_glass_use,
    complete_draft,
    critical_asset,
    incident,
    plan,
)


def record(cast: Cast, **values: Any) -> EmergencyActivation:
    defaults: dict[str, Any] = {
        "title": "EHR outage",
        "reason": "Ransomware encrypted the EHR database.",
        "started_at": timezone.now() - timedelta(hours=5),
    }
    if "assets" not in values:
        found = Asset.objects.filter(organization=cast.org, name="File server").first()
        defaults["assets"] = [found or critical_asset(cast.org, "File server")]
    return activation_create(organization=cast.org, actor=Actor(user=cast.owner), **{**defaults, **values})


def test_an_activation_links_the_plan_the_incident_and_break_glass_uses(cast: Cast):
    ehr = critical_asset(cast.org, "EHR")
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [ehr])
    case = incident(cast.org, cast.owner)
    started = timezone.now() - timedelta(hours=5)
    use = break_glass_use(cast.org, started + timedelta(minutes=30))
    activation = record(cast, assets=[ehr], plan_version=version, incident=case, break_glass=[use], started_at=started)
    assert (activation.plan_version, activation.incident, activation.recorded_by) == (version, case, cast.owner)
    assert list(activation.assets.all()) == [ehr] and list(activation.break_glass.all()) == [use]
    event = AuditEvent.objects.get(action="contingency.activation.recorded")
    assert event.changes["assets"] == [None, ["EHR"]]
    assert event.changes["incident"] == [None, str(case.public_id)]


def test_links_must_be_of_the_organization(cast: Cast):
    theirs_case = incident(cast.other_org, cast.outsider)
    theirs_use = break_glass_use(cast.other_org, timezone.now() - timedelta(hours=1))
    theirs_asset = critical_asset(cast.other_org, "Their EHR")
    for values, field in (
        ({"incident": theirs_case}, "incident"),
        ({"break_glass": [theirs_use]}, "break_glass"),
        ({"assets": [theirs_asset]}, "assets"),
    ):
        with pytest.raises(ServiceError) as error:
            record(cast, **values)
        assert error.value.field == field
    assert not AuditEvent.objects.filter(action="contingency.activation.recorded").exists()


def test_a_draft_version_cannot_be_invoked(cast: Cast):
    draft = complete_draft(plan(cast.org, cast.owner), cast.owner, [])
    with pytest.raises(ServiceError, match="A draft was never in force"):
        record(cast, plan_version=draft)


def test_times_are_checked(cast: Cast):
    now = timezone.now()
    with pytest.raises(ServiceError, match="The start must be a past moment") as error:
        record(cast, started_at=now + timedelta(hours=1))
    assert error.value.field == "started_at"
    with pytest.raises(ServiceError, match="The end cannot come before the start"):
        record(cast, started_at=now - timedelta(hours=2), ended_at=now - timedelta(hours=3))
    with pytest.raises(ServiceError, match="Name the systems affected"):
        record(cast, assets=[])


def test_closing_and_reopening(cast: Cast):
    activation = record(cast)
    ended = timezone.now() - timedelta(minutes=5)
    closed = activation_close(
        organization=cast.org, actor=Actor(user=cast.owner), activation=activation, ended_at=ended
    )
    assert closed.ended_at == ended
    with pytest.raises(ServiceError, match="already ended"):
        activation_close(organization=cast.org, actor=Actor(user=cast.owner), activation=closed, ended_at=ended)
    reopened = activation_update(organization=cast.org, actor=Actor(user=cast.owner), activation=closed, ended_at=None)
    assert reopened.ended_at is None
    changes = [
        e.changes for e in AuditEvent.objects.filter(action="contingency.activation.updated").order_by("sequence")
    ]
    assert [list(c) for c in changes] == [["ended_at"], ["ended_at"]]


def test_decisions_are_appended_in_time_order_with_their_author(cast: Cast):
    activation = record(cast)
    now = timezone.now()
    actor = Actor(user=cast.official)
    activation_decision_add(
        organization=cast.org,
        actor=actor,
        activation=activation,
        decision="Divert ambulances.",
        at=now - timedelta(hours=1),
    )
    activation_decision_add(
        organization=cast.org, actor=actor, activation=activation, decision="Go to paper.", at=now - timedelta(hours=4)
    )
    activation.refresh_from_db()
    assert [(d["decision"], d["by"]) for d in activation.decisions] == [
        ("Go to paper.", "so@clinic.test"),
        ("Divert ambulances.", "so@clinic.test"),
    ]
    with pytest.raises(ServiceError, match="between the start of the activation and now") as error:
        activation_decision_add(
            organization=cast.org, actor=actor, activation=activation, decision="Too early", at=now - timedelta(days=1)
        )
    assert error.value.field == "at"
    assert AuditEvent.objects.filter(action="contingency.activation.decision_added").count() == 2


def test_break_glass_uses_of_the_window_are_offered(cast: Cast):
    start = timezone.now() - timedelta(hours=10)
    before = break_glass_use(cast.org, start - timedelta(hours=5), "Before")
    margin = break_glass_use(cast.org, start - timedelta(hours=1), "Margin")
    during = break_glass_use(cast.org, start + timedelta(hours=2), "During")
    after = break_glass_use(cast.org, start + timedelta(hours=8), "After")
    break_glass_use(cast.other_org, start + timedelta(hours=2), "Theirs")
    offered = list(break_glass_during(cast.org, start, start + timedelta(hours=6)))
    assert offered == [margin, during]
    assert before not in offered and after not in offered
    assert list(break_glass_during(cast.org, start, None)) == [margin, during, after]
