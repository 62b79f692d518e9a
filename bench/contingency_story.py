"""The rest of a benchmark organization's contingency program, so every (a)(7) check and the readiness view have
work to do: a signer, recovery dependencies, quarterly restore tests over the last year (some missing their RTO),
an approved criticality analysis, approved disaster recovery and emergency mode plans covering the tier 1–2 assets,
a tabletop exercise with lessons learned and the plan revision it caused, and corrective actions (some overdue).
Plans and approvals go through the services (they sign); the bulk rows are written straight to the tables."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

ROLES = [{"role": "Incident commander", "person": "Dana Ortiz", "alternate": "Sam Lee", "duties": "Declares it."}]
CONTACTS = [
    {"name": "Dana Ortiz", "organization": "Clinic", "kind": "internal", "phone": "555-0100"},
    {"name": "Sam Lee", "organization": "Clinic", "kind": "internal", "phone": "555-0101", "called_by": "Dana Ortiz"},
]
TEMPLATES = [{"audience": "Staff", "subject": "EHR down", "body": "Use the downtime forms in the red binder."}]
TESTS_PER_ASSET = 4  # quarterly over the last year
MISSED_SHARE = 0.1


def signer(organization: Any) -> Any:
    from safeguard.core.models import Membership, User
    from safeguard.core.roles import Role

    user = User.objects.create_user(email=f"{organization.slug}@example.org", password="bench-password-123")
    Membership.objects.create(organization=organization, user=user, role=Role.OWNER)
    return user


def _at(day: date, hour: int) -> datetime:
    from django.utils import timezone

    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def dependencies(organization: Any, profiles: list[Any]) -> None:
    """Every seventh asset needs one of the first ten (tier 1, which need nothing): a recovery order, no cycle."""
    from safeguard.contingency.models import AssetDependency

    AssetDependency.objects.bulk_create(
        AssetDependency(organization=organization, asset=profile.asset, depends_on=profiles[i % 10].asset)
        for i, profile in enumerate(profiles)
        if i >= 10 and i % 7 == 0
    )


def restore_tests(organization: Any, profiles: list[Any], user: Any, today: date, rng: random.Random) -> int:
    from safeguard.contingency.models import RestoreTest
    from safeguard.contingency.objectives import measure

    rows = []
    for profile in profiles:
        if profile.tier > 3:
            continue
        offset = rng.randrange(90)
        for quarter in range(TESTS_PER_ASSET):
            started = _at(today - timedelta(days=offset + 91 * quarter), 9)
            minutes = profile.rto_minutes * (2 if rng.random() < MISSED_SHARE else 1) - 10
            point = started - timedelta(minutes=30)
            finished = started + timedelta(minutes=minutes)
            measured = measure(
                restore_point_at=point,
                started_at=started,
                finished_at=finished,
                succeeded=True,
                integrity_verified=True,
                rto_minutes=profile.rto_minutes,
                rpo_minutes=profile.rpo_minutes,
            )
            rows.append(
                RestoreTest(
                    organization=organization,
                    asset=profile.asset,
                    performed_by=user,
                    restore_point_at=point,
                    started_at=started,
                    finished_at=finished,
                    succeeded=True,
                    integrity_verified=True,
                    integrity_method="Row counts compared",
                    rto_minutes=profile.rto_minutes,
                    rpo_minutes=profile.rpo_minutes,
                    rto_met=measured.rto_met,
                    rpo_met=measured.rpo_met,
                    outcome=measured.outcome,
                    recorded_by=user,
                )
            )
    RestoreTest.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _approved_plan_version(organization: Any, user: Any, plan: Any, assets: list[Any], **values: Any) -> Any:
    from safeguard.contingency.services.plans import plan_version_approve, plan_version_draft, plan_version_update
    from safeguard.core.audit import Actor

    actor = Actor(user=user)
    draft = plan_version_draft(organization=organization, actor=actor, plan=plan)
    plan_version_update(
        organization=organization,
        actor=actor,
        version=draft,
        activation_criteria="The EHR is down for more than one hour.",
        roles=ROLES,
        contacts=CONTACTS,
        manual_procedures="Paper charts; phone orders to the lab.",
        templates=TEMPLATES,
        return_criteria="Systems restored and reconciled.",
        covered_assets=assets,
        **values,
    )
    return plan_version_approve(organization=organization, actor=actor, version=draft)


def plans_and_exercise(organization: Any, profiles: list[Any], user: Any, today: date) -> None:
    from safeguard.contingency.models import CorrectiveAction, Exercise, PlanKind
    from safeguard.contingency.services.criticality_approval import criticality_approve
    from safeguard.contingency.services.plans import plan_create
    from safeguard.core.audit import Actor

    actor = Actor(user=user)
    critical = [profile.asset for profile in profiles if profile.tier <= 2]
    criticality_approve(organization=organization, actor=actor, today=today)
    disaster = plan_create(
        organization=organization, actor=actor, kind=PlanKind.DISASTER_RECOVERY, title="Disaster recovery plan"
    )
    emergency = plan_create(
        organization=organization, actor=actor, kind=PlanKind.EMERGENCY_MODE, title="Emergency mode operation plan"
    )
    _approved_plan_version(organization, user, disaster, critical)
    _approved_plan_version(organization, user, emergency, critical)
    exercise = Exercise.objects.create(
        organization=organization,
        kind=Exercise.Kind.TABLETOP,
        title="Ransomware tabletop",
        scenario="Ransomware encrypts the EHR and the file server.",
        held_on=today - timedelta(days=60),
        lessons_learned="The call tree had a stale number; the lab did not know the paper order form.",
        completed=True,
        recorded_by=user,
    )
    _approved_plan_version(
        organization,
        user,
        disaster,
        critical,
        caused_by_exercise=exercise,
        revision_reason="Call tree corrected after the ransomware tabletop.",
    )
    CorrectiveAction.objects.bulk_create(
        CorrectiveAction(
            organization=organization,
            origin=CorrectiveAction.Origin.EXERCISE,
            exercise=exercise,
            asset=asset,
            title=f"Train the {asset.name} team on the downtime procedure",
            owner=user,
            due_on=today + timedelta(days=30 - 5 * (i % 10)),  # about half overdue
        )
        for i, asset in enumerate(critical)
    )


def furnish(organization: Any, today: date, rng: random.Random) -> tuple[Any, int]:
    """Everything but the backups; returns the signer (who can read every page) and the restore tests written."""
    from safeguard.contingency.models import RecoveryProfile

    user = signer(organization)
    profiles = list(
        RecoveryProfile.objects.filter(organization=organization).select_related("asset").order_by("asset__name")
    )
    dependencies(organization, profiles)
    tests = restore_tests(organization, profiles, user, today, rng)
    plans_and_exercise(organization, profiles, user, today)
    return user, tests
