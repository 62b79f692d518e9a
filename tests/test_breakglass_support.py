"""Helpers the break-glass tests share: accounts and uses made through the services or straight through the ORM,
and the members in roles the shared cast lacks.

No tests live here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from safeguard.access.models import BreakGlassAccount, BreakGlassActivation, System
from safeguard.access.services.breakglass import activation_record, activation_review, breakglass_account_create
from safeguard.core.audit import Actor
from safeguard.core.models import Organization, User
from safeguard.core.roles import Role
from safeguard.risk.models import SanctionLevel, SanctionRecord
from tests import access_factories as make
from tests.conftest import Cast, make_member

REASON = "EHR single sign-on down during a code blue"
RECORDS = "MRN 001234 (medication list)"
SANCTION_SECRET = "Disclosed a celebrity's chart to the press"


def at(day: int, hour: int = 12, month: int = 3, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def actor(user: User | None) -> Actor:
    return Actor(user=user) if user is not None else Actor.system("activity-review")


def member(cast: Cast, who: str) -> User:
    """One of the cast, or a new member in a role the cast lacks (privacy, manager, reviewer)."""
    roles = {"privacy": Role.PRIVACY_OFFICER, "manager": Role.MANAGER, "reviewer": Role.REVIEWER}
    if who in roles:
        return make_member(cast.org, f"{who}@clinic.test", roles[who]).user
    user: User = getattr(cast, who)
    return user


def desk(cast: Cast) -> User:
    """Who records uses by hand unless a test says otherwise: a privacy officer, so that every other member who
    manages the program may review them (the member who recorded a use may not)."""
    found = User.objects.filter(email="desk@clinic.test").first()
    return found or make_member(cast.org, "desk@clinic.test", Role.PRIVACY_OFFICER).user


def system(cast: Cast, name: str = "EHR", org: Organization | None = None) -> System:
    """The organization's system of that name, made on first use."""
    organization = org or cast.org
    found = System.objects.filter(organization=organization, asset__name=name).first()
    return found or make.system(organization, name)


def account(
    cast: Cast,
    *,
    username: str = "bg-ehr-1",
    target: System | None = None,
    custodians: tuple[User, ...] | None = None,
    **values: Any,
) -> BreakGlassAccount:
    org = target.organization if target is not None else cast.org
    owner = cast.owner if org == cast.org else cast.outsider
    return breakglass_account_create(
        organization=org,
        actor=actor(owner),
        system=target or system(cast),
        username=username,
        purpose="EHR downtime or a locked-out clinician in an emergency",
        custodians=((cast.official if org == cast.org else cast.outsider),) if custodians is None else custodians,
        **values,
    )


def use(
    cast: Cast,
    bg: BreakGlassAccount,
    *,
    started_at: datetime | None = None,
    by: User | None = None,
    **values: Any,
) -> BreakGlassActivation:
    """A use recorded by hand (by the desk member unless told), started three hours ago unless told."""
    defaults: dict[str, Any] = {"used_by_name": "Dr Robin Lee", "reason": REASON, "records_accessed": RECORDS}
    defaults.update(values)
    return activation_record(
        organization=bg.organization,
        actor=actor(by or (desk(cast) if bg.organization == cast.org else cast.outsider)),
        account=bg,
        started_at=started_at or timezone.now() - timedelta(hours=3),
        **defaults,
    )


def orm_use(bg: BreakGlassAccount, started_at: datetime, **values: Any) -> BreakGlassActivation:
    """A use straight through the ORM at any date (for the check and the chore), due `review_hours` later."""
    fields: dict[str, Any] = {
        "organization": bg.organization,
        "account": bg,
        "used_by_name": "Dr Robin Lee",
        "reason": REASON,
        "started_at": started_at,
        "review_due_at": started_at + timedelta(hours=bg.review_hours),
        **values,
    }
    return BreakGlassActivation.objects.create(**fields)


def reviewed(cast: Cast, activation: BreakGlassActivation, *, justified: bool = True, **values: Any) -> Any:
    return activation_review(
        organization=activation.organization,
        actor=actor(values.pop("by", cast.official)),
        activation=activation,
        justified=justified,
        notes=values.pop("notes", "Checked the downtime ticket and the access log."),
        **values,
    )


def sanction(cast: Cast, org: Organization | None = None) -> SanctionRecord:
    organization = org or cast.org
    decider = cast.official if organization == cast.org else cast.outsider
    return SanctionRecord.objects.create(
        organization=organization,
        person_name="Dr Robin Lee",
        occurred_on=timezone.localdate(),
        decided_on=timezone.localdate(),
        violation=SANCTION_SECRET,
        policy_breached="Emergency access procedure",
        level=SanctionLevel.WRITTEN_WARNING,
        decided_by=decider,
        created_by=decider,
    )
