"""Record makers for plan and activation tests: criticality profiles and dependencies through the ORM, plans and
versions through the services, so a test reads as the story it tells."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from safeguard.access.models import BreakGlassAccount, BreakGlassActivation
from safeguard.contingency.models import (
    AssetDependency,
    ContingencyPlan,
    PlanKind,
    PlanPrint,
    PlanVersion,
    RecoveryProfile,
)
from safeguard.contingency.services.plans import (
    plan_create,
    plan_version_approve,
    plan_version_draft,
    plan_version_update,
)
from safeguard.core.audit import Actor
from safeguard.core.dates import add_months
from safeguard.core.models import Organization, User
from safeguard.incidents.models import Incident
from safeguard.incidents.services import open_incident
from safeguard.risk.models import Asset
from tests.access_factories import system
from tests.risk_factories import asset

ROLES = [
    {"role": "Incident commander", "person": "Dana Ortiz", "alternate": "Sam Lee", "duties": "Declares the emergency."}
]
CONTACTS = [
    {"name": "Dana Ortiz", "organization": "Clinic", "kind": "internal", "phone": "555-0100"},
    {"name": "Sam Lee", "organization": "Clinic", "kind": "internal", "phone": "555-0101", "called_by": "Dana Ortiz"},
    {
        "name": "EHR Vendor Desk",
        "organization": "MedSoft",
        "kind": "business_associate",
        "phone": "800-555-0199",
        "called_by": "Sam Lee",
    },
]
TEMPLATES = [{"audience": "Staff", "subject": "EHR down", "body": "Use the downtime forms in the red binder."}]


def critical_asset(organization: Organization, name: str, *, tier: int = 1, rto: int = 240, **extra: Any) -> Asset:
    """An in-service asset with a recovery profile of the given tier."""
    made = asset(organization, name, since=date(2024, 1, 1))
    RecoveryProfile.objects.create(
        organization=organization,
        asset=made,
        tier=tier,
        business_functions=f"{name} work",
        mtd_minutes=rto * 2,
        rto_minutes=rto,
        rpo_minutes=60,
        **extra,
    )
    return made


def needs(organization: Organization, dependent: Asset, depends_on: Asset) -> None:
    AssetDependency.objects.create(organization=organization, asset=dependent, depends_on=depends_on)


def plan(
    organization: Organization,
    user: User,
    title: str = "Disaster recovery plan",
    kind: str = PlanKind.DISASTER_RECOVERY,
) -> ContingencyPlan:
    return plan_create(organization=organization, actor=Actor(user=user), kind=kind, title=title)


def complete_draft(target: ContingencyPlan, user: User, assets: list[Asset], **values: Any) -> PlanVersion:
    draft = plan_version_draft(organization=target.organization, actor=Actor(user=user), plan=target)
    content: dict[str, Any] = {
        "activation_criteria": "The EHR is down for more than one hour.",
        "roles": ROLES,
        "contacts": CONTACTS,
        "manual_procedures": "Paper charts; phone orders to the lab.",
        "templates": TEMPLATES,
        "return_criteria": "EHR restored and reconciled.",
        "covered_assets": assets,
        **values,
    }
    return plan_version_update(organization=target.organization, actor=Actor(user=user), version=draft, **content)


def approved(target: ContingencyPlan, author: User, signer: User, assets: list[Asset], **values: Any) -> PlanVersion:
    draft = complete_draft(target, author, assets, **values)
    return plan_version_approve(organization=target.organization, actor=Actor(user=signer), version=draft)


def approved_on(version: PlanVersion, day: date) -> PlanVersion:
    """Move an approval back in time, as if it had been signed at noon on `day` (next review a year later)."""
    moment = datetime.combine(day, time(12), tzinfo=timezone.get_current_timezone())
    PlanVersion.objects.filter(pk=version.pk).update(approved_at=moment, next_review_on=add_months(day, 12))
    version.refresh_from_db()
    return version


def a_print(version: PlanVersion, user: User, state: str = PlanPrint.State.DONE) -> PlanPrint:
    """A print row in the given state, as the background build would leave it (no file behind a done one)."""
    done = state == PlanPrint.State.DONE
    return PlanPrint.objects.create(
        version=version,
        printed_by=user,
        state=state,
        printed_at=timezone.now() if done else None,
        sha256="0" * 64 if done else "",
        failure="The PDF could not be made: boom" if state == PlanPrint.State.FAILED else "",
    )


def incident(organization: Organization, user: User, title: str = "Ransomware on the file server") -> Incident:
    return open_incident(organization, Actor(user=user), title=title, severity="high", owner=user)


def break_glass_use(organization: Organization, started_at: datetime, name: str = "EHR") -> BreakGlassActivation:
    account = BreakGlassAccount.objects.create(
        organization=organization, system=system(organization, f"{name} system"), username=f"BG-{name}", purpose="x"
    )
    return BreakGlassActivation.objects.create(
        organization=organization,
        account=account,
        used_by_name="Night nurse",
        started_at=started_at,
        review_due_at=started_at + timedelta(hours=24),
    )
