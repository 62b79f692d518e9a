"""Starting an access review campaign and preparing it: freezing what it reviews, computing the findings and
assigning each account to a reviewer.

Starting validates and records the campaign (PREPARING); a background task then prepares it in two phases:
1. reading, outside any transaction: each system's latest snapshot, the roster, the role profiles and the
   exceptions are loaded once, the accounts stream in chunks, and each becomes a planned item with its findings
   and reviewer (progress is written as it goes, so the campaign's page can show it);
2. writing, in one transaction: items and findings in bulk, the frozen record, status OPEN, and one audit event
   with the counts. Any error leaves the campaign FAILED with nothing of it written.

`campaign.frozen` holds, as JSON:
- "snapshots": {system id: snapshot id}, the account lists reviewed (a system of the scope without one is in
  "skipped");
- "systems": [{id, name, snapshot (public id), taken_at, accounts, inactive_days}];
- "profiles": [{id, name, department, job_role, grants: [{system_id, role, privileged}]}];
- "exceptions": [{id, public_id, person_id, system_id, role, privileged, expires_on, valid}]: every approved
  exception on a system of the review, valid on the roster day or expired before it;
- "roster_as_of", "review_on" (the day the campaign started), "skipped" and "counts".
An item's person_snapshot holds the person as the roster stood on roster_as_of: name, employee_id, department,
job_role, status, terminated_at (only a termination in effect by then), manager; for a shared or service account
with an owner, {"owner": name} instead.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Model
from django.utils import timezone

from safeguard.access.findings import AccountFacts, HolderFacts, Lapsed, Review, account_findings, roster_end
from safeguard.access.models import (
    AccessException,
    Account,
    AccountSnapshot,
    AccountStatus,
    Finding,
    ProfileGrant,
    ReviewCampaign,
    ReviewItem,
    System,
)
from safeguard.access.queries import ProfileBook, access_settings, latest_snapshot_ids
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Membership, Organization
from safeguard.core.roles import Perm, Role, role_has
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import Person
from safeguard.workforce.queries import security_official, users_by_email

Status = ReviewCampaign.Status
BATCH = 2000  # items written per insert; the findings of a batch go in one insert too
PROGRESS_EVERY = 5000  # accounts read between progress updates
READ_SHARE = 90  # percent of the progress bar the reading phase fills; writing is invisible until it commits
MAX_INACTIVE_DAYS = 3650
SYSTEM_ACTOR = Actor.system("access.review_prepare")

BASIS_MANAGER = "manager"
BASIS_SYSTEM_OWNER = "system owner"
BASIS_OFFICIAL = "security official"


class PreparationRefused(Exception):
    """The campaign cannot be prepared as things stand; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---- starting ----------------------------------------------------------------------------------------------------


def _system_names(systems: Sequence[System]) -> str:
    return ", ".join(system.asset.name for system in systems)


def _scope_errors(organization: Organization, system_ids: list[int] | None) -> tuple[dict[str, str], list[System]]:
    """Problems with the systems chosen (none: the systems in scope come with it)."""
    known = list(System.objects.filter(organization=organization).select_related("asset").order_by("asset__name"))
    if not known:
        return {"systems": "Register an ePHI system and import its account list before starting a review."}, []
    with_lists = latest_snapshot_ids(organization)
    if system_ids is None:
        if not with_lists:
            return {"systems": "No system has an account list yet: import one before starting a review."}, []
        return {}, known
    if not system_ids:
        return {"systems": "Choose at least one system, or review all of them."}, []
    chosen = [system for system in known if system.pk in set(system_ids)]
    if len(chosen) != len(set(system_ids)):
        return {"systems": "Some of the chosen systems do not exist in this organization."}, []
    without = [system for system in chosen if system.pk not in with_lists]
    if without:
        return {
            "systems": f"No account list has been imported for {_system_names(without)}: import one or leave "
            f"{'it' if len(without) == 1 else 'them'} out."
        }, []
    return {}, chosen


def campaign_start(
    *,
    organization: Organization,
    actor: Actor,
    title: str,
    system_ids: list[int] | None,
    roster_as_of: date,
    due_on: date | None = None,
    inactive_days: int | None = None,
    now: datetime | None = None,
) -> ReviewCampaign:
    """Record a campaign over `system_ids` (None: every system) and queue its preparation."""
    if actor.user is None:
        raise ServiceError("A review is started by a person.")
    now = now or timezone.now()
    today = timezone.localdate(now)
    settings = access_settings(organization)
    title = (title or "").strip()
    due_on = due_on or today + timedelta(days=settings.review_due_days)
    inactive_days = settings.inactive_days if inactive_days is None else inactive_days
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Give the review a title."
    elif len(title) > 200:
        errors["title"] = "A title has at most 200 characters."
    scope_errors, systems = _scope_errors(organization, system_ids)
    errors.update(scope_errors)
    if roster_as_of > today:
        errors["roster_as_of"] = f"The roster date {roster_as_of:%Y-%m-%d} is in the future: use today or earlier."
    if due_on <= today:
        errors["due_on"] = f"The due date must be after today ({today:%Y-%m-%d})."
    if not 1 <= inactive_days <= MAX_INACTIVE_DAYS:
        errors["inactive_days"] = f"Count inactivity in days, from 1 to {MAX_INACTIVE_DAYS}."
    ServiceError.raise_first(errors)
    with transaction.atomic():
        campaign = ReviewCampaign.objects.create(
            organization=organization,
            title=title,
            status=Status.PREPARING,
            all_systems=system_ids is None,
            roster_as_of=roster_as_of,
            inactive_days=inactive_days,
            due_on=due_on,
            started_by=actor.user,
            started_at=now,
        )
        if system_ids is not None:
            campaign.systems.set(systems)
        audit_record(
            actor=actor,
            action="access.review.started",
            organization=organization,
            target=campaign,
            changes={
                "title": [None, title],
                "systems": [None, "all" if system_ids is None else [system.asset.name for system in systems]],
                "roster_as_of": [None, roster_as_of],
                "due_on": [None, due_on],
                "inactive_days": [None, inactive_days],
            },
        )
        campaign_id = campaign.pk

        def enqueue() -> None:
            from safeguard.access.tasks import prepare_campaign

            prepare_campaign.enqueue(campaign_id)

        transaction.on_commit(enqueue)
    return campaign


# ---- preparing: what is loaded once ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holder:
    """A roster person, as loaded once for the whole campaign."""

    pk: int
    name: str
    employee_id: str
    email: str
    department: str
    job_role: str
    status: str
    termination_at: datetime | None
    manager_id: int | None


@dataclass  # not frozen: it answers the rules' Allowance protocol, whose attributes are plain
class Excepted:
    """A role an exception valid on the roster day allows."""

    role: str
    privileged: bool


@dataclass(slots=True)
class PlannedItem:
    system_id: int
    account_id: int
    username: str
    display_name: str
    roles: list[str]
    status: str
    last_login_at: datetime | None
    mfa_enabled: bool | None
    privileged: bool
    classification: str
    person_id: int | None
    person_snapshot: dict[str, Any]
    reviewer_id: int | None
    reviewer_basis: str
    findings: list[tuple[str, str]]


@dataclass
class Plan:
    frozen: dict[str, Any]
    items: list[PlannedItem] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)


class Roster:
    """The people, their managers' Safeguard users and who may review, loaded once; answers per account are
    lookups."""

    def __init__(self, organization: Organization, roster_as_of: date) -> None:
        self.roster_end = roster_end(roster_as_of)
        fields = ("pk", "given_name", "family_name", "employee_id", "email", "department", "job_role", "status")
        rows = Person.objects.filter(organization=organization).values_list(*fields, "termination_at", "manager_id")
        self.people: dict[int, Holder] = {}
        for pk, given, family, employee_id, email, department, job_role, status, ended, manager_id in rows:
            name = " ".join(part for part in (given, family) if part) or employee_id
            self.people[pk] = Holder(pk, name, employee_id, email, department, job_role, status, ended, manager_id)
        manager_emails = {
            self.people[m].email for m in {p.manager_id for p in self.people.values()} if m in self.people
        }
        reviewing_roles = [role for role in Role.values if role_has(role, Perm.REVIEW_ACCESS)]
        self.may_review = set(
            Membership.objects.current()
            .filter(organization=organization, role__in=reviewing_roles)
            .values_list("user_id", flat=True)
        )
        self.users = {
            email: user
            for email, user in users_by_email(organization, manager_emails).items()
            if user.pk in self.may_review
        }
        self.official = security_official(organization)
        self._snapshots: dict[int, dict[str, Any]] = {}

    def name(self, person_id: int) -> str:
        person = self.people[person_id]
        return f"{person.name} ({person.employee_id})"

    def terminated_at(self, holder: Holder) -> datetime | None:
        """The termination if it had happened by the end of the roster day."""
        ended = holder.termination_at
        return ended if ended is not None and ended < self.roster_end else None

    def snapshot(self, person_id: int) -> dict[str, Any]:
        if person_id not in self._snapshots:
            holder = self.people[person_id]
            ended = self.terminated_at(holder)
            status = holder.status
            if ended is not None:
                status = Person.Status.TERMINATED
            elif status == Person.Status.TERMINATED:
                status = Person.Status.ACTIVE  # left after the roster day: still there on it
            manager = self.people.get(holder.manager_id) if holder.manager_id else None
            self._snapshots[person_id] = {
                "name": holder.name,
                "employee_id": holder.employee_id,
                "department": holder.department,
                "job_role": holder.job_role,
                "status": status,
                "terminated_at": ended.isoformat() if ended else None,
                "manager": manager.name if manager else "",
            }
        return self._snapshots[person_id]

    def reviewer(self, holder: Holder | None, owner: tuple[int, str] | None) -> tuple[int | None, str]:
        """The person's manager's Safeguard user, else the system's owner (unless the account is the owner's
        own), else the security official; only members who may review access count."""
        manager = self.people.get(holder.manager_id) if holder is not None and holder.manager_id else None
        user = self.users.get(manager.email.lower()) if manager is not None and manager.email else None
        if user is not None:
            return user.pk, BASIS_MANAGER
        if owner is not None and owner[0] in self.may_review:
            owner_id, owner_email = owner
            if holder is None or not holder.email or holder.email.lower() != owner_email.lower():
                return owner_id, BASIS_SYSTEM_OWNER
        if self.official is not None:
            return self.official.pk, BASIS_OFFICIAL
        return None, ""


class Allowances:
    """Profiles, grants and exceptions, loaded once and indexed by job and by (person, system)."""

    def __init__(self, organization: Organization, roster_as_of: date, system_ids: Sequence[int]) -> None:
        self.book = ProfileBook(organization)
        self._jobs: dict[tuple[str, str], tuple[tuple[str, ...], dict[int, list[ProfileGrant]]]] = {}
        self.valid: dict[tuple[int, int], list[Excepted]] = defaultdict(list)
        self.lapsed: dict[tuple[int, int], list[Lapsed]] = defaultdict(list)
        self.frozen_exceptions: list[dict[str, Any]] = []
        approved = AccessException.objects.filter(
            organization=organization, status=AccessException.Status.APPROVED, system_id__in=list(system_ids)
        ).order_by("pk")
        for exception in approved:
            valid = exception.expires_on >= roster_as_of
            key = (exception.person_id, exception.system_id)
            if valid:
                self.valid[key].append(Excepted(exception.role, exception.privileged))
            else:
                self.lapsed[key].append(Lapsed(exception.role, exception.privileged, exception.expires_on))
            self.frozen_exceptions.append(
                {
                    "id": exception.pk,
                    "public_id": str(exception.public_id),
                    "person_id": exception.person_id,
                    "system_id": exception.system_id,
                    "role": exception.role,
                    "privileged": exception.privileged,
                    "expires_on": exception.expires_on.isoformat(),
                    "valid": valid,
                }
            )

    def job(self, department: str, job_role: str) -> tuple[tuple[str, ...], dict[int, list[ProfileGrant]]]:
        key = (department.lower(), job_role.lower())
        if key not in self._jobs:
            names = tuple(profile.name for profile in self.book.profiles_for(department, job_role))
            self._jobs[key] = (names, self.book.grants_for(department, job_role))
        return self._jobs[key]

    def frozen_profiles(self) -> list[dict[str, Any]]:
        return [
            {
                "id": profile.pk,
                "name": profile.name,
                "department": profile.department,
                "job_role": profile.job_role,
                "grants": [
                    {"system_id": grant.system_id, "role": grant.role, "privileged": grant.privileged}
                    for grant in self.book.grants[profile.pk]
                ],
            }
            for profile in self.book.profiles
        ]


# ---- preparing: reading ------------------------------------------------------------------------------------------

ACCOUNT_FIELDS = (
    "pk system_id username email employee_id display_name roles status last_login_at mfa_enabled created_on "
    "privileged classification person_id owner_id"
).split()


def _scope(campaign: ReviewCampaign) -> tuple[dict[int, int], list[str]]:
    """System id → the snapshot to review, and the names of systems in scope that have no account list."""
    organization = campaign.organization
    wanted = None if campaign.all_systems else list(campaign.systems.values_list("pk", flat=True))
    snapshot_ids = latest_snapshot_ids(organization, wanted)
    missing = System.objects.filter(organization=organization).exclude(pk__in=list(snapshot_ids))
    if wanted is not None:
        missing = missing.filter(pk__in=wanted)
    skipped = list(missing.order_by("asset__name").values_list("asset__name", flat=True))
    if not snapshot_ids:
        raise PreparationRefused("None of the review's systems has an account list any more: nothing to review.")
    return snapshot_ids, skipped


def _accounts(snapshot_ids: dict[int, int]) -> Iterator[Any]:
    rows = Account.objects.filter(snapshot_id__in=list(snapshot_ids.values())).order_by("snapshot_id", "username")
    return rows.values_list(*ACCOUNT_FIELDS, named=True).iterator(chunk_size=PROGRESS_EVERY)


def _local_day(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment is not None else None


def _plan(campaign: ReviewCampaign) -> Plan:
    organization = campaign.organization
    snapshot_ids, skipped = _scope(campaign)
    chosen = System.objects.filter(pk__in=list(snapshot_ids)).select_related("asset__owner")
    systems = {system.pk: system for system in chosen}
    snapshots = {s.pk: s for s in AccountSnapshot.objects.filter(pk__in=list(snapshot_ids.values()))}
    roster = Roster(organization, campaign.roster_as_of)
    allowances = Allowances(organization, campaign.roster_as_of, list(snapshot_ids))
    review_on = timezone.localdate(campaign.started_at)
    reviews = {
        pk: Review(
            roster_as_of=campaign.roster_as_of,
            roster_end=roster.roster_end,
            review_on=review_on,
            inactive_days=system.inactive_days or campaign.inactive_days,
        )
        for pk, system in systems.items()
    }
    plan = Plan(
        frozen={
            "roster_as_of": campaign.roster_as_of.isoformat(),
            "review_on": review_on.isoformat(),
            "snapshots": {str(system_id): snapshot_id for system_id, snapshot_id in snapshot_ids.items()},
            "systems": [
                {
                    "id": system.pk,
                    "name": system.asset.name,
                    "snapshot": str(snapshots[snapshot_ids[system.pk]].public_id),
                    "taken_at": snapshots[snapshot_ids[system.pk]].taken_at.isoformat(),
                    "accounts": snapshots[snapshot_ids[system.pk]].account_count,
                    "inactive_days": reviews[system.pk].inactive_days,
                }
                for system in sorted(systems.values(), key=lambda found: found.asset.name)
            ],
            "skipped": skipped,
            "profiles": allowances.frozen_profiles(),
            "exceptions": allowances.frozen_exceptions,
        }
    )
    total = Account.objects.filter(snapshot_id__in=list(snapshot_ids.values())).count() or 1
    owners = {
        pk: (system.asset.owner.pk, system.asset.owner.email) if system.asset.owner else None
        for pk, system in systems.items()
    }
    for done, row in enumerate(_accounts(snapshot_ids), start=1):
        planned = _planned(row, roster, allowances, reviews, owners)
        plan.items.append(planned)
        plan.by_kind.update(kind for kind, _ in planned.findings)
        if done % PROGRESS_EVERY == 0:
            ReviewCampaign.objects.filter(pk=campaign.pk).update(progress=done * READ_SHARE // total)
    return plan


def _planned(
    row: Any,  # a named row of ACCOUNT_FIELDS
    roster: Roster,
    allowances: Allowances,
    reviews: dict[int, Review],
    owners: dict[int, tuple[int, str] | None],
) -> PlannedItem:
    roles = list(row.roles or [])
    holder = roster.people.get(row.person_id) if row.person_id is not None else None
    facts = AccountFacts(
        username=row.username,
        enabled=row.status == AccountStatus.ACTIVE,
        classification=row.classification,
        roles=roles,
        privileged=row.privileged,
        mfa_enabled=row.mfa_enabled,
        last_login_on=_local_day(row.last_login_at),
        created_on=row.created_on,
        has_owner=row.owner_id is not None,
        email=row.email,
        employee_id=row.employee_id,
    )
    held: HolderFacts | None = None
    snapshot: dict[str, Any] = {}
    if holder is not None:
        profile_names, grants = allowances.job(holder.department, holder.job_role)
        key = (holder.pk, row.system_id)
        held = HolderFacts(
            name=holder.name,
            terminated_at=roster.terminated_at(holder),
            profile_names=profile_names,
            grants=grants.get(row.system_id, []),
            exceptions=allowances.valid.get(key, []),
            lapsed=allowances.lapsed.get(key, []),
        )
        snapshot = roster.snapshot(holder.pk)
    elif row.owner_id is not None and row.owner_id in roster.people:
        snapshot = {"owner": roster.name(row.owner_id)}
    reviewer_id, basis = roster.reviewer(holder, owners.get(row.system_id))
    return PlannedItem(
        system_id=row.system_id,
        account_id=row.pk,
        username=row.username,
        display_name=row.display_name,
        roles=roles,
        status=row.status,
        last_login_at=row.last_login_at,
        mfa_enabled=row.mfa_enabled,
        privileged=row.privileged,
        classification=row.classification,
        person_id=row.person_id,
        person_snapshot=snapshot,
        reviewer_id=reviewer_id,
        reviewer_basis=basis,
        findings=account_findings(facts, held, reviews[row.system_id]),
    )


# ---- preparing: writing ------------------------------------------------------------------------------------------


def _insert(model: type[Model], rows: list[dict[str, Any]]) -> None:
    """One prepared INSERT run for every row. At 100,000 rows this costs a fraction of bulk_create, which builds a
    model instance per row and compiles SQL per few dozen rows (SQLite allows 999 parameters a statement); the
    write lock a campaign holds is that much shorter. Fields a row leaves out take their defaults."""
    if not rows:
        return
    database = connections[DEFAULT_DB_ALIAS]  # the connection itself: the proxy costs a lookup per value
    fields = [found for found in model._meta.concrete_fields if not found.primary_key]
    quote = database.ops.quote_name
    names = ", ".join(quote(str(found.column)) for found in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Table and column names come from the model, quoted; every value is a parameter.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES ({placeholders})"  # noqa: S608
    # Only these types differ between Python and the database; every other value goes in as it is.
    adapted = (models.JSONField, models.UUIDField, models.DateField, models.DecimalField, models.DurationField)
    columns = [(found.attname, found, isinstance(found, adapted)) for found in fields]
    params = []
    for row in rows:
        values = []
        for attname, column, adapt in columns:
            value = row[attname] if attname in row else column.get_default()
            values.append(column.get_db_prep_save(value, database) if adapt else value)
        params.append(values)
    with database.cursor() as cursor:
        cursor.executemany(sql, params)


def _item_row(campaign: ReviewCampaign, planned: PlannedItem) -> dict[str, Any]:
    return {
        "organization_id": campaign.organization_id,
        "campaign_id": campaign.pk,
        "system_id": planned.system_id,
        "account_id": planned.account_id,
        "username": planned.username,
        "display_name": planned.display_name,
        "roles": planned.roles,
        "status": planned.status,
        "last_login_at": planned.last_login_at,
        "mfa_enabled": planned.mfa_enabled,
        "privileged": planned.privileged,
        "classification": planned.classification,
        "person_id": planned.person_id,
        "person_snapshot": planned.person_snapshot,
        "reviewer_id": planned.reviewer_id,
        "reviewer_basis": planned.reviewer_basis,
        "finding_count": len(planned.findings),
    }


def _write(campaign: ReviewCampaign, plan: Plan) -> bool:
    """Everything in one transaction; False when another run got there first."""
    organization_id = campaign.organization_id
    finding_total = sum(plan.by_kind.values())
    with transaction.atomic():
        locked = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != Status.PREPARING or ReviewItem.objects.filter(campaign=locked).exists():
            return False
        for start in range(0, len(plan.items), BATCH):
            _insert(ReviewItem, [_item_row(locked, planned) for planned in plan.items[start : start + BATCH]])
        item_ids = dict(ReviewItem.objects.filter(campaign=locked).values_list("account_id", "pk").iterator())
        for start in range(0, len(plan.items), BATCH):
            findings = [
                {
                    "organization_id": organization_id,
                    "campaign_id": locked.pk,
                    "item_id": item_ids[planned.account_id],
                    "kind": kind,
                    "detail": detail,
                }
                for planned in plan.items[start : start + BATCH]
                for kind, detail in planned.findings
            ]
            _insert(Finding, findings)
        counts = {"items": len(plan.items), "findings": finding_total, "by_kind": dict(sorted(plan.by_kind.items()))}
        locked.frozen = {**plan.frozen, "counts": counts}
        locked.status = Status.OPEN
        locked.item_count = len(plan.items)
        locked.decided_count = 0
        locked.progress = 100
        locked.failure = ""
        locked.save(update_fields=["frozen", "status", "item_count", "decided_count", "progress", "failure"])
        audit_record(
            actor=SYSTEM_ACTOR,
            action="access.review.prepared",
            organization=campaign.organization,
            target=locked,
            changes={
                "status": [Status.PREPARING, Status.OPEN],
                "systems": [None, len(plan.frozen["snapshots"])],
                "items": [None, len(plan.items)],
                "findings": [None, finding_total],
                "findings_by_kind": [None, counts["by_kind"]],
            },
        )
    return True


def _fail(campaign: ReviewCampaign, failure: str) -> None:
    with transaction.atomic():
        updated = ReviewCampaign.objects.filter(pk=campaign.pk, status=Status.PREPARING).update(
            status=Status.FAILED, failure=failure, progress=0
        )
        if updated:
            audit_record(
                actor=SYSTEM_ACTOR,
                action="access.review.failed",
                organization=campaign.organization,
                target=campaign,
                changes={"status": [Status.PREPARING, Status.FAILED], "failure": [None, failure]},
            )


def campaign_prepare_run(*, campaign_id: int) -> None:
    """Prepare a campaign waiting in PREPARING; does nothing for one that has moved on."""
    campaign = ReviewCampaign.objects.select_related("organization").filter(pk=campaign_id).first()
    if campaign is None or campaign.status != Status.PREPARING:
        return
    try:
        _write(campaign, _plan(campaign))
    except PreparationRefused as refused:
        _fail(campaign, refused.message)
    except BaseException:
        _fail(campaign, "An unexpected error stopped the preparation; nothing of the review was written.")
        raise
