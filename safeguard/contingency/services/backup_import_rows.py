"""One backup result as delivered (a CSV row, an NDJSON record, a hook's JSON run) → a run ready to store, or
every problem with it by field.

Rules, chosen to keep the age of a restore point exact:
- Times are ISO 8601. One with a UTC offset (…Z, …-05:00) is that moment; one without is a wall-clock time in the
  organization's import zone (ContingencySettings.import_time_zone), the rule of every contingency import. A
  wall-clock time that zone skips or repeats at a daylight-saving change is refused rather than guessed: an hour
  decides whether a one-hour RPO is met. Times are stored in UTC.
- A run that succeeded (with or without warnings) without a restore point time is taken to hold the data as it
  stood when the run started: nothing later is surely in it. A failed run keeps no restore point.
- Status words of common tools are read: success/succeeded/ok/completed…, warning/partial…,
  failed/error/aborted/cancelled…; anything else is refused rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from safeguard.contingency.models import BackupPolicy, BackupStatus
from safeguard.contingency.services.settings import contingency_settings
from safeguard.core.imports import LocalTimeError, aware
from safeguard.core.models import Organization
from safeguard.risk.models import Asset

STATUS_WORDS = {
    BackupStatus.SUCCESS: (
        "success", "succeeded", "successful", "ok", "completed", "complete", "done", "pass", "passed",
    ),
    BackupStatus.WARNING: (
        "warning", "warnings", "warn", "partial", "partially succeeded", "partial success",
        "completed with warnings", "succeeded with warnings", "success with warnings", "completed with errors",
    ),
    BackupStatus.FAILED: (
        "failed", "failure", "fail", "error", "errors", "aborted", "cancelled", "canceled", "killed", "timeout",
        "timed out", "missed", "not ok",
    ),
}  # fmt: skip
STATUS_OF = {word: str(status) for status, words in STATUS_WORDS.items() for word in words}
MESSAGE_MAX = 500
RUN_ID_MAX = 200
TIME_EXAMPLE = "e.g. 2026-01-05T01:00:00Z, 2026-01-05T01:00:00-05:00 or 2026-01-05T01:00:00"


class Run(NamedTuple):
    """A checked run, as stored (times in UTC)."""

    policy_id: int
    started_at: datetime
    finished_at: datetime
    status: str
    size_bytes: int | None
    restore_point_at: datetime | None
    message: str
    run_id: str

    @property
    def key(self) -> tuple[int, datetime]:
        return self.policy_id, self.started_at

    @property
    def measured(self) -> tuple[datetime, str, int | None, datetime | None]:
        """What two deliveries of the same run must agree on (the message and run id may be worded anew)."""
        return self.finished_at, self.status, self.size_bytes, self.restore_point_at


@dataclass
class Policies:
    """The organization's assets, backup jobs and import zone, loaded once for a whole delivery."""

    jobs: dict[tuple[str, str], int]  # (lower-cased asset name, lower-cased job name) → policy pk
    assets: dict[str, str]  # lower-cased asset name → the asset's name as recorded
    labels: dict[int, str]  # policy pk → "asset: job"
    zone: ZoneInfo  # how a time without an offset is read

    @classmethod
    def load(cls, organization: Organization, *, zone: str | None = None) -> Policies:
        """`zone`: the one the delivery was stamped with; by default the organization's import zone now."""
        rows = BackupPolicy.objects.filter(organization=organization).values_list("pk", "asset__name", "job_name")
        names = Asset.objects.filter(organization=organization).values_list("name", flat=True)
        return cls(
            jobs={(asset.lower(), job.lower()): pk for pk, asset, job in rows},
            assets={name.lower(): name for name in names},
            labels={pk: f"{asset}: {job}" for pk, asset, job in rows},
            zone=ZoneInfo(zone or import_zone(organization)),
        )


def import_zone(organization: Organization) -> str:
    return contingency_settings(organization).import_time_zone


def text(value: Any) -> str:
    """A delivered value as text: JSON numbers and null read like CSV cells."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def parse_time(value: str, zone: ZoneInfo) -> datetime | str:
    """A moment in UTC (a time without an offset read in `zone`), or the reason it cannot be read."""
    if _is_date_only(value):
        return f"{value!r} is a date without a time of day: give the time too, {TIME_EXAMPLE}."
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return (
            f"{value!r} is not a date and time: use ISO 8601, {TIME_EXAMPLE} "
            f"(a time without an offset is read in {zone.key})."
        )
    try:
        return aware(moment, zone)
    except LocalTimeError as error:
        return str(error)


def _is_date_only(value: str) -> bool:
    # fromisoformat reads a bare date as its midnight: a run's time must be stated, not assumed.
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def parse_size(value: str) -> int | None | str:
    if not value:
        return None
    try:
        number = float(value) if "." in value or "e" in value.lower() else int(value)
    except ValueError:
        return f"{value!r} is not a size in bytes."
    if number < 0:
        return f"The size {value} is negative."
    if isinstance(number, float) and not number.is_integer():
        return f"{value!r} is not a whole number of bytes."
    return int(number)


def parse_status(value: str) -> str:
    status = STATUS_OF.get(" ".join(value.lower().replace("_", " ").split()))
    if status is None:
        return ""
    return status


def parse_run(values: dict[str, str], policies: Policies) -> Run | dict[str, str]:
    """The run, or field → reason for every problem found (times are checked even when the asset is unknown)."""
    errors: dict[str, str] = {}
    policy_id = _policy(values, policies, errors)
    started = _time(values, "started", policies.zone, errors, required=True)
    finished = _time(values, "finished", policies.zone, errors, required=True)
    if started is not None and finished is not None and finished < started:
        errors["finished"] = f"The run finished ({finished.isoformat()}) before it started ({started.isoformat()})."
    status = _status(values, errors)
    size = parse_size(values.get("size", ""))
    if isinstance(size, str):
        errors["size"] = size
        size = None
    point = _time(values, "restore_point", policies.zone, errors, required=False)
    if status == BackupStatus.FAILED:
        point = None
    elif point is None:
        point = started
    elif finished is not None and point > finished:
        errors["restore_point"] = (
            f"The restore point ({point.isoformat()}) is after the run finished ({finished.isoformat()})."
        )
    run_id = values.get("run_id", "")
    if len(run_id) > RUN_ID_MAX:
        errors["run_id"] = f"The run id is longer than {RUN_ID_MAX} characters."
    if errors or policy_id is None or started is None or finished is None:
        return errors
    return Run(policy_id, started, finished, status, size, point, values.get("message", "")[:MESSAGE_MAX], run_id)


def _policy(values: dict[str, str], policies: Policies, errors: dict[str, str]) -> int | None:
    asset, job = values.get("asset", ""), values.get("job", "")
    if not asset:
        errors["asset"] = "The asset is missing."
        return None
    known = policies.assets.get(asset.lower())
    if known is None:
        errors["asset"] = f"No asset named {asset!r} is in the inventory."
        return None
    if not job:
        errors["job"] = "The job name is missing."
        return None
    policy_id = policies.jobs.get((asset.lower(), job.lower()))
    if policy_id is None:
        errors["job"] = f"{known} has no backup policy with the job name {job!r}: add the policy first."
    return policy_id


def _time(
    values: dict[str, str], name: str, zone: ZoneInfo, errors: dict[str, str], *, required: bool
) -> datetime | None:
    value = values.get(name, "")
    if not value:
        if required:
            errors[name] = f"The {name} time is missing."
        return None
    moment = parse_time(value, zone)
    if isinstance(moment, str):
        errors[name] = moment
        return None
    return moment


def _status(values: dict[str, str], errors: dict[str, str]) -> str:
    value = values.get("status", "")
    status = parse_status(value) if value else ""
    if not value:
        errors["status"] = "The status is missing."
    elif not status:
        errors["status"] = (
            f"{value!r} is not a result the import knows: use success, warning or failed "
            "(ok, completed, partial, error, aborted… are read too)."
        )
    return status
