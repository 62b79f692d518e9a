"""One row of an account list: its cells read into typed values (times in the system's zone, status and yes/no
words as systems export them), or the problems found, by our column name. The importer (account_import.py)
matches the clean rows to people and writes them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from safeguard.access.matching import Match, parse_account_type
from safeguard.access.models import AccountStatus, Classification
from safeguard.access.rules import split_roles
from safeguard.core.imports import LocalTimeError, aware, parse_date, parse_naive_datetime, parse_yes_no

NO_VALUE = ("never", "n/a", "na", "none", "null", "-", "—")
DISABLED_WORDS = "disabled inactive deactivated suspended terminated revoked deleted expired false no n 0"
STATUS_WORDS = {
    **dict.fromkeys("active enabled ok normal valid true yes y 1".split(), AccountStatus.ACTIVE),
    **dict.fromkeys(DISABLED_WORDS.split(), AccountStatus.DISABLED),
    **dict.fromkeys(("locked", "locked out", "lockedout", "blocked"), AccountStatus.LOCKED),
}
MFA_WORDS = {"enrolled": True, "registered": True, "enforced": True, "not enrolled": False, "none": False}
LIMITS = {"username": 200, "email": 254, "employee_id": 64, "display_name": 200}


@dataclass(slots=True)
class AccountRow:
    """One clean row, with what matching decided."""

    row_number: int
    username: str
    email: str
    employee_id: str
    display_name: str
    roles: list[str]
    status: str
    last_login_at: datetime | None
    mfa_enabled: bool | None
    created_on: date | None
    disabled_at: datetime | None
    privileged: bool
    account_type: str
    match: Match = Match(Classification.ORPHAN)

    @property
    def enabled(self) -> bool:
        return self.status == AccountStatus.ACTIVE


def _moment(text: str, zone: ZoneInfo) -> tuple[datetime | None, str]:
    if not text or text.lower() in NO_VALUE:
        return None, ""
    moment = parse_naive_datetime(text)
    if moment is None:
        return None, f"{text!r} is not a date and time."
    try:
        return aware(moment, zone), ""
    except LocalTimeError as error:
        return None, str(error)


def _status(text: str, disabled_at: datetime | None) -> str | None:
    if not text:
        return AccountStatus.DISABLED if disabled_at else AccountStatus.ACTIVE
    return STATUS_WORDS.get(" ".join(text.lower().split()))


def _yes_no(text: str, extra: dict[str, bool] | None = None) -> tuple[bool | None, bool]:
    """(value, understood) of a yes/no cell; a blank one is (None, True)."""
    lowered = " ".join(text.lower().split())
    if extra and lowered in extra:
        return extra[lowered], True
    if not lowered or lowered in NO_VALUE:
        return None, True
    value = parse_yes_no(lowered)
    return value, value is not None


def read_row(number: int, cells: dict[str, str], zone: ZoneInfo) -> tuple[AccountRow | None, dict[str, str], str]:
    """A parsed row, or the problems by our column name; and which column the username came from."""
    problems: dict[str, str] = {}
    source = next((name for name in ("username", "email", "employee_id") if cells.get(name)), "username")
    username = cells.get(source, "")
    if not username:
        problems["username"] = "The row names no account: give a username, an email or an employee id."
    for name, limit in LIMITS.items():
        if len(cells.get(name, "")) > limit:
            problems[name] = f"At most {limit} characters."
    last_login_at, problem = _moment(cells.get("last_login", ""), zone)
    if problem:
        problems["last_login"] = problem
    disabled_at, problem = _moment(cells.get("disabled_at", ""), zone)
    if problem:
        problems["disabled_at"] = problem
    status = _status(cells.get("status", ""), disabled_at)
    if status is None:
        problems["status"] = (
            f"{cells['status']!r} is not an account status: use active, disabled or locked (or enabled, "
            "suspended, inactive, true, false)."
        )
    mfa_enabled, understood = _yes_no(cells.get("mfa_enabled", ""), MFA_WORDS)
    if not understood:
        problems["mfa_enabled"] = f"{cells['mfa_enabled']!r} is not yes or no."
    privileged, understood = _yes_no(cells.get("privileged", ""))
    if not understood:
        problems["privileged"] = f"{cells['privileged']!r} is not yes or no."
    created_text = cells.get("created", "")
    created_on = parse_date(created_text) if created_text.lower() not in NO_VALUE else None
    if created_text and created_text.lower() not in NO_VALUE and created_on is None:
        problems["created"] = f"{created_text!r} is not a date."
    account_type = parse_account_type(cells.get("account_type", ""))
    if account_type is None:
        problems["account_type"] = f"{cells['account_type']!r} is not an account type: use user, service or shared."
    if problems:
        return None, problems, source
    row = AccountRow(
        row_number=number,
        username=username,
        email=cells.get("email", ""),
        employee_id=cells.get("employee_id", ""),
        display_name=cells.get("display_name", ""),
        roles=split_roles(cells.get("roles", "")),
        status=status or AccountStatus.ACTIVE,
        last_login_at=last_login_at,
        mfa_enabled=mfa_enabled,
        created_on=created_on,
        disabled_at=disabled_at,
        privileged=bool(privileged),
        account_type=account_type or "",
    )
    return row, {}, source
