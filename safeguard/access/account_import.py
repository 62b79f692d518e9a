"""The account-list importer: one system's user list, as exported on a date, becomes a snapshot of its accounts,
each matched to a person (access/matching.py). Registered with the core pipeline (core/imports.py).

Linear in the list: the roster and the system's designations are loaded once, each row is parsed
(account_rows.py) and matched with dictionary lookups, and the accounts are written in batches. Committing the
system's newest list also keeps the leavers' deprovisioning tasks true: it adds one for a leaver's account their
workflow does not list yet (services/leavers.py), and completes those it proves done: the account shown disabled
or locked, or gone from the list.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from safeguard.access.account_rows import AccountRow, read_row
from safeguard.access.matching import Designated, PeopleIndex, match_account
from safeguard.access.models import (
    Account,
    AccountDesignation,
    AccountSnapshot,
    Classification,
    MatchMethod,
    System,
)
from safeguard.access.services.leavers import HeldAccount, Tracked, list_follow, list_name
from safeguard.access.services.systems import system_register
from safeguard.core import tabular
from safeguard.core.audit import Actor, audit_record
from safeguard.core.imports import (
    CheckedFile,
    Column,
    Importer,
    ImportRefused,
    LocalTimeError,
    Outcome,
    Tick,
    aware,
    parse_naive_datetime,
    register,
)
from safeguard.core.models import FileImport, Organization
from safeguard.core.roles import Perm
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.risk.models import Asset
from safeguard.workforce.models import Person
from safeguard.workforce.models.people import default_time_zone

KIND = "access.accounts"
BATCH = 2000
PREVIEW_ROWS = 20


@dataclass
class Target:
    """The system a list belongs to (None until its asset is registered) and the moment the list describes."""

    asset: Asset
    system: System | None
    taken_at: datetime

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.system)


@dataclass
class AccountPlan:
    target: Target
    rows: list[AccountRow]


def find_target(organization: Organization, reference: str) -> tuple[Asset, System | None]:
    """A system by public id, or an inventory asset by public id or name (case ignored); ImportRefused else."""
    reference = str(reference or "").strip()
    if not reference:
        raise ImportRefused("Name the system the list comes from.")
    try:
        public_id: UUID | None = UUID(reference)
    except ValueError:
        public_id = None
    system = None
    if public_id is not None:
        system = System.objects.filter(organization=organization, public_id=public_id).select_related("asset").first()
    if system is not None:
        return system.asset, system
    assets = Asset.objects.filter(organization=organization)
    asset = assets.filter(public_id=public_id).first() if public_id else assets.filter(name__iexact=reference).first()
    if asset is None:
        raise ImportRefused(f"No system or asset named {reference!r} in the inventory: add it first.")
    return asset, System.objects.filter(asset=asset).first()


def _taken_at(text: Any, zone: ZoneInfo) -> datetime:
    if isinstance(text, datetime):
        moment: datetime | None = text
    elif not str(text or "").strip():
        return timezone.now()
    else:
        moment = parse_naive_datetime(str(text))
    if moment is None:
        raise ImportRefused(f"{text!r} is not a date and time: write it as 2026-12-01T09:00.")
    try:
        moment = aware(moment, zone)
    except LocalTimeError as error:
        raise ImportRefused(f"The list's date: {error}") from None
    if moment > timezone.now():
        raise ImportRefused("The list's date is in the future: give the moment it was exported.")
    return moment


def zone_of(system: System | None) -> ZoneInfo:
    """How a list's times without an offset are read: the system's zone (the installation's until registered)."""
    return ZoneInfo(system.time_zone if system else default_time_zone())


def load_target(organization: Organization, options: dict[str, Any]) -> Target:
    asset, system = find_target(organization, options.get("system") or options.get("asset") or "")
    return Target(asset, system, _taken_at(options.get("taken_at"), zone_of(system)))


def _asset_id(options: dict[str, Any]) -> UUID:
    """The asset of cleaned options (a zero id, which names nothing, when they have none)."""
    try:
        return UUID(str(options.get("asset") or ""))
    except ValueError:
        return UUID(int=0)


def _system_of(organization: Organization, options: dict[str, Any]) -> System | None:
    return System.objects.filter(organization=organization, asset__public_id=_asset_id(options)).first()


# ---- the importer ----------------------------------------------------------------------------------------------


def designations_of(system: System | None) -> dict[str, Designated]:
    if system is None:
        return {}
    found = AccountDesignation.objects.filter(system=system).values_list(
        "username_key", "classification", "person_id", "owner_id"
    )
    return {key: Designated(classification, person_id, owner_id) for key, classification, person_id, owner_id in found}


def people_index(organization: Organization) -> PeopleIndex:
    return PeopleIndex(
        Person.objects.filter(organization=organization).values_list(
            "pk", "employee_id", "email", "given_name", "family_name"
        )
    )


def summarize(checked: CheckedFile, rows: list[AccountRow]) -> None:
    methods = Counter(row.match.method for row in rows if row.match.classification != Classification.PENDING)
    kinds = Counter(row.match.classification for row in rows)
    checked.count("accounts", "Accounts", len(rows))
    checked.count("enabled", "Enabled", sum(1 for row in rows if row.enabled))
    checked.count("employee_id", "Matched by employee id", methods[MatchMethod.EMPLOYEE_ID])
    checked.count("email", "Matched by email", methods[MatchMethod.EMAIL])
    checked.count("name", "Matched by name (to confirm)", kinds[Classification.PENDING])
    checked.count("manual", "Set by hand earlier", methods[MatchMethod.MANUAL])
    checked.count("service", "Service accounts", kinds[Classification.SERVICE])
    checked.count("shared", "Shared or generic accounts", kinds[Classification.SHARED])
    checked.count("orphan", "Orphans (nobody on the roster)", kinds[Classification.ORPHAN])
    checked.count("privileged", "Privileged", sum(1 for row in rows if row.privileged))
    checked.count(
        "no_mfa", "Enabled without MFA (or not stated)", sum(1 for row in rows if row.enabled and not row.mfa_enabled)
    )


def preview_row(row: AccountRow, people: PeopleIndex) -> dict[str, Any]:
    match = row.match
    return {
        "row": row.row_number,
        "username": row.username,
        "display_name": row.display_name,
        "status": row.status,
        "roles": ", ".join(row.roles),
        "privileged": row.privileged,
        "mfa_enabled": row.mfa_enabled,
        "classification": Classification(match.classification).label,
        "method": MatchMethod(match.method).label if match.method else "",
        "person": people.names.get(match.person_id, "") if match.person_id else "",
        "owner": people.names.get(match.owner_id, "") if match.owner_id else "",
    }


class AccountImporter(Importer):
    kind = KIND
    label = "Account list"
    permission = Perm.MANAGE_PROGRAM
    max_rows = 150_000
    preview_template = "access/account_import_preview.html"
    one_of = ("username", "email", "employee_id")
    columns = (
        Column("username", "Username", aliases=("user_name", "login", "user", "user_id", "account", "samaccountname")),
        Column("email", "Email", aliases=("mail", "e_mail", "email_address", "work_email")),
        Column("employee_id", "Employee id", aliases=("employee_number", "emp_id", "employee_no", "staff_id")),
        Column("display_name", "Display name", aliases=("name", "full_name", "displayname")),
        Column("roles", "Roles or groups", aliases=("role", "groups", "group", "memberof", "member_of")),
        Column("status", "Status", aliases=("state", "account_status", "enabled", "active")),
        Column("last_login", "Last login", aliases=("last_logon", "last_login_at", "lastlogon", "last_sign_in")),
        Column("mfa_enabled", "MFA enabled", aliases=("mfa", "2fa", "two_factor", "mfa_status")),
        Column("created", "Created", aliases=("created_on", "created_at", "creation_date", "whencreated")),
        Column("privileged", "Privileged", aliases=("admin", "is_admin", "privileged_account")),
        Column("disabled_at", "Disabled at", aliases=("disabled_on", "deactivated_at", "disabled_date")),
        Column("account_type", "Account type", aliases=("type", "user_type", "account_kind")),
    )

    def clean_options(self, organization: Organization, options: dict[str, Any]) -> dict[str, Any]:
        target = load_target(organization, options)
        return {
            "system": str(target.system.public_id) if target.system else "",
            "asset": str(target.asset.public_id),
            "taken_at": target.taken_at.isoformat(),
        }

    def describe(self, organization: Organization, options: dict[str, Any]) -> str:
        asset = Asset.objects.filter(organization=organization, public_id=_asset_id(options)).first()
        zone = zone_of(System.objects.filter(asset=asset).first() if asset else None)
        taken_at = datetime.fromisoformat(options["taken_at"]).astimezone(zone) if options.get("taken_at") else None
        when = f" as of {taken_at:%Y-%m-%d %H:%M}" if taken_at else ""
        return f"Accounts of {asset.name if asset else 'a system'}{when}"

    def saved_mapping(self, organization: Organization, options: dict[str, Any]) -> dict[str, str]:
        system = _system_of(organization, options)
        return dict(system.account_mapping) if system else {}

    def save_mapping(self, organization: Organization, options: dict[str, Any], mapping: dict[str, str]) -> None:
        System.objects.filter(organization=organization, asset__public_id=_asset_id(options)).update(
            account_mapping=mapping
        )

    def back_url(self, organization: Organization, job: FileImport) -> str:
        system = _system_of(organization, job.options)
        if system is None:
            return reverse("access:system_list", args=[organization.slug])
        return reverse("access:system_detail", args=[organization.slug, system.public_id])

    def check(
        self,
        organization: Organization,
        table: tabular.Table,
        mapping: dict[str, str],
        options: dict[str, Any],
        tick: Tick,
    ) -> CheckedFile:
        target = load_target(organization, options)
        zone = target.zone
        people = people_index(organization)
        designations = designations_of(target.system)
        reader = self.reader(table.headers, mapping)
        checked = CheckedFile()
        seen: dict[str, int] = {}
        rows: list[AccountRow] = []
        for done, raw in enumerate(table.rows, start=1):
            row, problems, source = read_row(raw.number, reader.cells(raw), zone)
            if row is not None:
                key = row.username.lower()
                if key in seen:
                    problems[source] = f"The account {row.username!r} is already on row {seen[key]}."
                else:
                    seen[key] = raw.number
            if problems or row is None:
                checked.errors.extend(reader.errors(raw.number, problems))
            else:
                row.match = match_account(
                    username=row.username,
                    email=row.email,
                    employee_id=row.employee_id,
                    display_name=row.display_name,
                    account_type=row.account_type,
                    people=people,
                    designations=designations,
                )
                rows.append(row)
            tick(done)
        checked.plan = AccountPlan(target, rows)
        checked.preview = [preview_row(row, people) for row in rows[:PREVIEW_ROWS]]
        summarize(checked, rows)
        return checked

    def apply(
        self,
        organization: Organization,
        actor: Actor,
        checked: CheckedFile,
        options: dict[str, Any],
        file_name: str,
        *,
        file_sha256: str = "",
        file_import: FileImport | None = None,
    ) -> Outcome:
        plan: AccountPlan = checked.plan
        with transaction.atomic():
            system = plan.target.system or system_register(
                organization=organization, actor=actor, asset=plan.target.asset
            )
            snapshot = snapshot_write(organization, actor, system, plan, checked.summary, file_name, file_sha256)
            deprovisioning = deprovisioning_follow(organization, actor, system, snapshot, plan.rows)
            request_evaluation_on_commit(organization, "access.accounts_imported")
        return Outcome(
            created=len(plan.rows),
            updated=0,
            result={
                "system": str(system.public_id),
                "snapshot": str(snapshot.public_id),
                "deprovisioning_added": deprovisioning.added,
                "deprovisioning_observed": deprovisioning.completed,
            },
        )


def snapshot_write(
    organization: Organization,
    actor: Actor,
    system: System,
    plan: AccountPlan,
    summary: list[dict[str, Any]],
    file_name: str,
    file_sha256: str = "",
) -> AccountSnapshot:
    snapshot = AccountSnapshot.objects.create(
        organization=organization,
        system=system,
        taken_at=plan.target.taken_at,
        file_name=file_name[:255],
        sha256=file_sha256,
        account_count=len(plan.rows),
        summary=summary,
        imported_by=actor.user,
    )
    for start in range(0, len(plan.rows), BATCH):
        Account.objects.bulk_create(
            [
                Account(
                    organization=organization,
                    system=system,
                    snapshot=snapshot,
                    row_number=row.row_number,
                    username=row.username,
                    email=row.email,
                    employee_id=row.employee_id,
                    display_name=row.display_name,
                    roles=row.roles,
                    status=row.status,
                    last_login_at=row.last_login_at,
                    mfa_enabled=row.mfa_enabled,
                    created_on=row.created_on,
                    disabled_at=row.disabled_at,
                    privileged=row.privileged,
                    person_id=row.match.person_id,
                    match_method=row.match.method,
                    classification=row.match.classification,
                    owner_id=row.match.owner_id,
                )
                for row in plan.rows[start : start + BATCH]
            ]
        )
    audit_record(
        actor=actor,
        action="access.snapshot.imported",
        organization=organization,
        target=snapshot,
        changes={
            "system": [None, system.asset.name],
            "taken_at": [None, snapshot.taken_at],
            "file_name": [None, snapshot.file_name],
            "accounts": [None, snapshot.account_count],
        },
    )
    return snapshot


def deprovisioning_follow(
    organization: Organization, actor: Actor, system: System, snapshot: AccountSnapshot, rows: list[AccountRow]
) -> Tracked:
    """Keep the leavers' deprovisioning tasks true to the list. Only the system's newest list speaks for now: an
    older list imported late proves nothing."""
    if AccountSnapshot.objects.filter(system=system, taken_at__gt=snapshot.taken_at).exists():
        return Tracked()
    return list_follow(
        organization=organization,
        actor=actor,
        system=system,
        accounts=[
            HeldAccount(row.match.person_id, row.username, row.roles, row.status, row.disabled_at) for row in rows
        ],
        seen_in=list_name(system, snapshot.taken_at),
        seen_at=snapshot.taken_at,
    )


register(AccountImporter())
