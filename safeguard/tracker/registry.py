"""Where domain apps declare tracker checks: `@check("164.308(a)(1)(ii)(A)")` on a function of (org, today)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from safeguard.tracker.models import Status

if TYPE_CHECKING:
    from safeguard.core.models import Organization


@dataclass(frozen=True)
class RecordRef:
    """A record behind a verdict: its type label, public id, a human label and, where it has one, a page."""

    type: str
    id: str
    label: str
    url: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "id": self.id, "label": self.label, "url": self.url}


@dataclass(frozen=True)
class CheckResult:
    status: Status
    reason: str
    records: tuple[RecordRef, ...] = ()
    lapses_on: date | None = None
    next_action: str = ""


CheckFunction = Callable[["Organization", date], CheckResult]


@dataclass(frozen=True)
class RegisteredCheck:
    name: str
    citation: str
    function: CheckFunction = field(compare=False)


_checks: dict[str, list[RegisteredCheck]] = {}


def check(citation: str, *, name: str | None = None) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check for a catalog citation. Return Status.UNKNOWN when the records say nothing yet."""

    def register(function: CheckFunction) -> CheckFunction:
        check_name = name or f"{function.__module__.split('.')[-2]}.{function.__name__}"
        registered = _checks.setdefault(citation, [])
        if any(existing.name == check_name for existing in registered):
            raise ValueError(f"check {check_name!r} is already registered for {citation}")
        registered.append(RegisteredCheck(check_name, citation, function))
        return function

    return register


def checks_for(citation: str) -> list[RegisteredCheck]:
    return list(_checks.get(citation, ()))


def all_checks() -> dict[str, list[RegisteredCheck]]:
    return {citation: list(checks) for citation, checks in _checks.items()}
