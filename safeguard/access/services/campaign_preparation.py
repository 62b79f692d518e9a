"""Preparing an access review campaign: freezing what it reviews, computing the findings and assigning each
account to a reviewer.

A background task prepares a campaign left in PREPARING by `campaign_start`, in two phases:
1. reading, outside any transaction: each system's latest snapshot, the roster, the role profiles and the
   exceptions are loaded once (campaign_loading.py), the accounts stream in chunks, and each becomes a planned
   item with its findings and reviewer (progress is written as it goes, so the campaign's page can show it);
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

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Model
from django.utils import timezone

from safeguard.access.findings import AccountFacts, HolderFacts, Review, account_findings
from safeguard.access.models import Account, AccountSnapshot, AccountStatus, Finding, ReviewCampaign, ReviewItem, System
from safeguard.access.queries import latest_snapshot_ids
from safeguard.access.services.campaign_loading import Allowances, Roster
from safeguard.core.audit import Actor, audit_record

Status = ReviewCampaign.Status
BATCH = 2000  # items written per insert; the findings of a batch go in one insert too
PROGRESS_EVERY = 5000  # accounts read between progress updates
READ_SHARE = 90  # percent of the progress bar the reading phase fills; writing is invisible until it commits
SYSTEM_ACTOR = Actor.system("access.review_prepare")


class PreparationRefused(Exception):
    """The campaign cannot be prepared as things stand; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
