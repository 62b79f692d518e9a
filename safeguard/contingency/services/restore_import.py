"""The restore test importer, on the core import pipeline (core/imports.py): a CSV or XLSX file, or JSON (an
array of objects, or NDJSON: one object per line), a row per restore test.

Each row is checked by the same rules as a test entered on the page (services/restore_tests.py), and any error
names its row and column, and then nothing is written. A row whose asset and start time match a test already
recorded (or an earlier row) is the same test: with the same finish, restore point, success and integrity it is
skipped and counted, so importing a file again adds nothing; with other values it is refused as an error on that
row, as the backup import refuses a conflicting run (nothing recorded is overwritten).
A time without an offset is read in the organization's import zone (contingency settings), pinned on the import
when the file is uploaded so that the preview and the commit read it alike. Failed and missed tests open corrective
actions as on the page; a row whose action nobody could own is refused (services/restore_action_owner.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from safeguard.contingency.models import RecoveryProfile, RestoreTest
from safeguard.contingency.services.restore_action_owner import ActionOwners, no_owner_text
from safeguard.contingency.services.restore_tests import (
    CheckedRestore,
    RestoreInput,
    restore_test_problems,
    restore_test_write,
)
from safeguard.contingency.services.settings import contingency_settings
from safeguard.core import tabular
from safeguard.core.audit import Actor
from safeguard.core.imports import (
    CheckedFile,
    Column,
    Importer,
    LocalTimeError,
    Outcome,
    Tick,
    aware,
    parse_naive_datetime,
    parse_yes_no,
    register,
)
from safeguard.core.models import FileImport, Membership, Organization, User
from safeguard.risk.models import Asset

KIND = "contingency.restore_tests"
PREVIEW_ROWS = 20
MAX_ROWS = 10_000
# The service's names for what a row gives → the importer's column names, so errors name the file's column.
SERVICE_FIELDS = {
    "restore_point_at": "restore_point",
    "started_at": "started",
    "finished_at": "finished",
    "integrity_method": "method",
}
TIME_COLUMNS = ("restore_point", "started", "finished")
# Options: the zone a time without an offset is read in, pinned when the file is uploaded; and whether the system
# records the tests (the command without --as), which leaves no recorder to own a corrective action.
ZONE_OPTION = "time_zone"
BY_SYSTEM_OPTION = "recorded_by_system"


@dataclass
class RestorePlan:
    tests: list[CheckedRestore] = field(default_factory=list)
    skipped: int = 0


@dataclass(frozen=True)
class Lookups:
    assets: dict[str, Asset]
    profiles: dict[int, RecoveryProfile]
    members: dict[str, User]
    recorded: dict[tuple[int, datetime], Facts]
    owners: ActionOwners


# What a restore test says happened, besides its asset and start: two rows (or a row and a recorded test) with
# the same asset and start but other facts disagree, and neither may silently win.
Facts = tuple[datetime, datetime, bool, bool]  # finished, restore point, succeeded, integrity verified


def _facts(row: CheckedRestore) -> Facts:
    return (row.finished_at, row.restore_point_at, row.values.succeeded, row.values.integrity_verified)


def _lookups(organization: Organization) -> Lookups:
    assets = {asset.name.lower(): asset for asset in Asset.objects.filter(organization=organization)}
    profiles = {profile.asset_id: profile for profile in RecoveryProfile.objects.filter(organization=organization)}
    current = list(Membership.objects.current().filter(organization=organization).select_related("user"))
    recorded = {
        (asset_id, started): (finished, point, succeeded, verified)
        for asset_id, started, finished, point, succeeded, verified in RestoreTest.objects.filter(
            organization=organization
        ).values_list("asset_id", "started_at", "finished_at", "restore_point_at", "succeeded", "integrity_verified")
    }
    members = {member.user.email.lower(): member.user for member in current}
    return Lookups(assets, profiles, members, recorded, ActionOwners.of(current))


def conflict_text(asset: Asset, started: datetime, facts: Facts, zone: ZoneInfo, *, earlier_row: bool) -> str:
    """Times in the import zone, as the file gives them."""
    finished, point, succeeded, verified = facts
    where = "given on an earlier row" if earlier_row else "already recorded"
    return (
        f"A restore test of {asset.name} started {started.astimezone(zone):%Y-%m-%d %H:%M} is {where} "
        f"with other values (finished {finished.astimezone(zone):%Y-%m-%d %H:%M}, restore point "
        f"{point.astimezone(zone):%Y-%m-%d %H:%M}, {'succeeded' if succeeded else 'failed'}, integrity "
        f"{'verified' if verified else 'not verified'}): nothing is overwritten."
    )


def _moment(text: str, zone: ZoneInfo, problems: dict[str, str], name: str) -> datetime | None:
    if not text:
        return None
    moment = parse_naive_datetime(text)
    if moment is None:
        problems[name] = (
            f"{text!r} is not a date and time: write e.g. 2026-03-02 09:30 (read in {zone.key}) or "
            "2026-03-02T09:30:00-05:00."
        )
        return None
    try:
        return aware(moment, zone)
    except LocalTimeError as error:
        problems[name] = str(error)
        return None


def _yes_no(text: str, name: str, problems: dict[str, str], *, default: bool | None) -> bool:
    value = parse_yes_no(text) if text else default
    if value is None:
        problems[name] = f"{text!r} is not yes or no." if text else "Say yes or no."
    return bool(value)


def read_row(
    organization: Organization,
    cells: dict[str, str],
    lookups: Lookups,
    zone: ZoneInfo,
    now: datetime,
    *,
    by_system: bool = False,
) -> tuple[CheckedRestore | None, dict[str, str]]:
    problems: dict[str, str] = {}
    asset = lookups.assets.get(cells.get("asset", "").lower())
    if asset is None:
        name = cells.get("asset", "")
        problems["asset"] = f"No asset named {name!r} in the inventory." if name else "Name the asset restored."
    email = cells.get("performed_by", "")
    performer = lookups.members.get(email.lower())
    if performer is None:
        problems["performed_by"] = (
            f"{email} is not a current member of this organization." if email else "Give the performer's email."
        )
    times = {name: _moment(cells.get(name, ""), zone, problems, name) for name in TIME_COLUMNS}
    succeeded = _yes_no(cells.get("succeeded", ""), "succeeded", problems, default=None)
    verified = _yes_no(cells.get("integrity_verified", ""), "integrity_verified", problems, default=False)
    if asset is None or problems:
        return None, problems
    values = RestoreInput(
        asset=asset,
        performed_by=performer,
        restore_point_at=times["restore_point"],
        started_at=times["started"],
        finished_at=times["finished"],
        succeeded=succeeded,
        integrity_verified=verified,
        integrity_method=cells.get("method", ""),
        issues_found=cells.get("issues", ""),
        participants=cells.get("participants", ""),
    )
    checked, found = restore_test_problems(organization, values, profile=lookups.profiles.get(asset.pk), now=now)
    if checked is not None and by_system and not _action_owned(checked, lookups):
        return None, {"performed_by": no_owner_text(asset, checked.performed_by, checked.measured.outcome)}
    return checked, {SERVICE_FIELDS.get(name, name): message for name, message in found.items()}


def _action_owned(row: CheckedRestore, lookups: Lookups) -> bool:
    """Whether the corrective action the test opens (if any) has an owner without a recorder (the system's)."""
    if row.measured.outcome == "met":
        return True
    return lookups.owners.choose(row.values.asset, None, row.performed_by) is not None


def import_zone(organization: Organization, options: dict[str, Any]) -> ZoneInfo:
    """The zone pinned on the import; an import made before zones were pinned reads in today's setting."""
    return ZoneInfo(options.get(ZONE_OPTION) or contingency_settings(organization).import_time_zone)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value if isinstance(value, str) else json.dumps(value)


def json_table(data: bytes, *, max_rows: int) -> tabular.Table:
    """An array of objects, or one object per line (NDJSON), as a table: the keys in order of first appearance are
    the headers; rows are numbered by item (array) or by line (NDJSON)."""
    text = data.decode("utf-8-sig")
    items: list[tuple[int, Any]] = []
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            parsed = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise tabular.TabularError(f"The file is not valid JSON: {error.msg} (line {error.lineno}).") from None
        items = list(enumerate(parsed, start=1))
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                items.append((number, json.loads(line)))
            except json.JSONDecodeError as error:
                raise tabular.TabularError(f"Line {number} is not a JSON object: {error.msg}.") from None
    if len(items) > max_rows:
        raise tabular.TabularError(f"The file has more than {max_rows:,} rows: split it into smaller files.")
    headers: dict[str, None] = {}
    for number, item in items:
        if not isinstance(item, dict):
            raise tabular.TabularError(f"Item {number} is not a JSON object.")
        headers.update(dict.fromkeys(str(key) for key in item))
    names = list(headers)
    rows = [tabular.Row(number, [_cell(item.get(name)) for name in names]) for number, item in items]
    return tabular.Table(names, rows)


def preview_row(number: int, row: CheckedRestore, zone: ZoneInfo) -> dict[str, Any]:
    """A clean row as it will be recorded: its times as read (in the import zone, with their offset)."""

    def read(moment: datetime) -> str:
        return f"{moment.astimezone(zone):%Y-%m-%d %H:%M %z}"

    return {
        "row": number,
        "asset": row.values.asset.name,
        "performed_by": row.performed_by.email,
        "restore_point": read(row.restore_point_at),
        "started": read(row.started_at),
        "finished": read(row.finished_at),
        "outcome": row.measured.outcome,
    }


class RestoreTestImporter(Importer):
    kind = KIND
    label = "Restore tests"
    preview_template = "contingency/restore_import_preview.html"
    max_rows = MAX_ROWS
    formats = (*tabular.FORMATS, tabular.JSON)
    columns = (
        Column("asset", "Asset", required=True, aliases=("system", "application", "asset_name")),
        Column("performed_by", "Performed by", required=True, aliases=("performer", "email", "performed_by_email")),
        Column("restore_point", "Restore point", required=True, aliases=("restore_point_at", "recovery_point")),
        Column("started", "Started", required=True, aliases=("started_at", "start")),
        Column("finished", "Finished", required=True, aliases=("finished_at", "end", "ended")),
        Column("succeeded", "Succeeded", required=True, aliases=("success", "status_ok")),
        Column("integrity_verified", "Integrity verified", aliases=("verified", "integrity")),
        Column("method", "Method", aliases=("integrity_method", "verification"), free_text=True),
        Column("issues", "Issues", aliases=("issues_found", "notes"), free_text=True),
        Column("participants", "Participants", free_text=True),
    )

    def read_headers(self, data: bytes, file_format: str) -> list[str]:
        if file_format == tabular.JSON:
            return json_table(data, max_rows=self.max_rows).headers
        return super().read_headers(data, file_format)

    def read_table(self, data: bytes, file_format: str) -> tabular.Table:
        if file_format == tabular.JSON:
            return json_table(data, max_rows=self.max_rows)
        return super().read_table(data, file_format)

    def clean_options(self, organization: Organization, options: dict[str, Any]) -> dict[str, Any]:
        cleaned: dict[str, Any] = {ZONE_OPTION: contingency_settings(organization).import_time_zone}
        if options.get(BY_SYSTEM_OPTION) is True:
            cleaned[BY_SYSTEM_OPTION] = True
        return cleaned

    def back_url(self, organization: Organization, job: FileImport) -> str:
        return reverse("contingency:restore_list", args=[organization.slug])

    def check(
        self,
        organization: Organization,
        table: tabular.Table,
        mapping: dict[str, str],
        options: dict[str, Any],
        tick: Tick,
    ) -> CheckedFile:
        lookups, zone, now = _lookups(organization), import_zone(organization, options), timezone.now()
        by_system = options.get(BY_SYSTEM_OPTION) is True
        reader = self.reader(table.headers, mapping)
        checked, plan = CheckedFile(), RestorePlan()
        seen = dict(lookups.recorded)
        for done, raw in enumerate(table.rows, start=1):
            cells = reader.cells(raw)
            row, problems = read_row(organization, cells, lookups, zone, now, by_system=by_system)
            if problems:
                checked.errors.extend(reader.errors(raw.number, problems))
            elif row is not None:
                key = (row.values.asset.pk, row.started_at)
                if key in seen and seen[key] != _facts(row):
                    earlier = key not in lookups.recorded
                    message = conflict_text(row.values.asset, row.started_at, seen[key], zone, earlier_row=earlier)
                    checked.errors.extend(reader.errors(raw.number, {"started": message}))
                elif key in seen:
                    plan.skipped += 1
                else:
                    seen[key] = _facts(row)
                    plan.tests.append(row)
                    if len(checked.preview) < PREVIEW_ROWS:
                        checked.preview.append(preview_row(raw.number, row, zone))
            tick(done)
        checked.plan = plan
        missed = sum(1 for row in plan.tests if row.measured.outcome != "met")
        checked.count("created", "New restore tests", len(plan.tests))
        checked.count("skipped", "Already recorded: skipped", plan.skipped)
        checked.count("actions", "Failed or missed: corrective actions to open", missed)
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
        plan: RestorePlan = checked.plan
        for row in plan.tests:
            restore_test_write(organization=organization, actor=actor, checked=row)
        missed = sum(1 for row in plan.tests if row.measured.outcome != "met")
        return Outcome(created=len(plan.tests), updated=0, result={"skipped": plan.skipped, "actions_opened": missed})


register(RestoreTestImporter())
