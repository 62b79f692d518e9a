"""The minimum-necessary rule: which of an account's entitlements its holder's role profiles and valid exceptions
cover. Plain functions over loaded records, so a campaign reconciles 120,000 accounts without a query each.

An account's entitlements are its roles (case ignored); an account listing no role counts as one entitlement,
"access", covered by any grant on the system. A grant of role "*" covers every role that is not privileged. A
privileged account also needs a privileged grant (or a privileged exception) on the system.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

ANY_ROLE = "*"
NO_ROLE = "access"
PRIVILEGED = "privileged access"


class Allowance(Protocol):
    """A profile grant or an access exception: a role on a system, privileged or not."""

    role: str
    privileged: bool


def _covers(allowance: Allowance, role: str) -> bool:
    return allowance.role == ANY_ROLE or allowance.role.strip().lower() == role


def uncovered(
    *, roles: Sequence[str], privileged: bool, grants: Sequence[Allowance], exceptions: Sequence[Allowance] = ()
) -> list[str]:
    """The entitlements of one account on one system that nothing allows (empty when it is within profile).
    `grants` and `exceptions` are those of the account's system only."""
    allowed = [*grants, *exceptions]
    wanted = [role.strip().lower() for role in roles if role.strip()] or [NO_ROLE]
    missing = []
    for role in wanted:
        if role == NO_ROLE and allowed:
            continue
        if not any(_covers(allowance, role) for allowance in allowed):
            missing.append(role)
    if privileged and not any(allowance.privileged for allowance in allowed):
        missing.append(PRIVILEGED)
    return missing


def split_roles(text: str) -> list[str]:
    """Roles and groups as lists write them: separated by semicolons, commas, pipes or new lines."""
    for separator in (";", "|", "\n"):
        text = text.replace(separator, ",")
    seen: dict[str, str] = {}
    for role in text.split(","):
        role = role.strip()
        if role and role.lower() not in seen:
            seen[role.lower()] = role
    return list(seen.values())
