"""Who owns the corrective action a failed or missed restore test opens: the first who may own an action (a current
member who is not an auditor, as services/actions.py check_action_owner requires) of the asset's owner, whoever
recorded the test, whoever performed it, and the security official. Nobody: the test cannot be recorded as it
stands, and the import refuses its row saying so rather than failing at commit.

The form, the API and an import by a member always have an able recorder (recording needs manage-program, which no
auditor holds); only the command run without --as records as the system, with no recorder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q

from safeguard.contingency.services.actions import may_own_actions
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.risk.models import Asset


@dataclass(frozen=True)
class ActionOwners:
    able: dict[int, User]  # user pk → user, of the current members who may own an action
    official: User | None  # the longest-standing current security official

    @classmethod
    def of(cls, current: Sequence[Membership]) -> ActionOwners:
        """From current memberships (with their users) already loaded, e.g. by an import."""
        able = {m.user_id: m.user for m in current if may_own_actions(m.role)}
        officials = [m for m in current if m.role == Role.SECURITY_OFFICIAL]
        first = min(officials, key=lambda m: (m.created_at, m.pk), default=None)
        return cls(able, first.user if first else None)

    def choose(self, asset: Asset, recorder: User | None, performer: User) -> User | None:
        for user_id in (asset.owner_id, recorder.pk if recorder else None, performer.pk):
            if user_id is not None and user_id in self.able:
                return self.able[user_id]
        return self.official


def action_owners(organization: Organization, *candidates: int | None) -> ActionOwners:
    """Only what one test needs: the memberships of the candidates (user pks) and of the security officials."""
    wanted = [user_id for user_id in candidates if user_id is not None]
    current = Membership.objects.current().filter(
        Q(user_id__in=wanted) | Q(role=Role.SECURITY_OFFICIAL), organization=organization
    )
    return ActionOwners.of(list(current.select_related("user")))


def no_owner_text(asset: Asset, performer: User, outcome: str) -> str:
    test = "failed" if outcome == "failed" else "missed"
    return (
        f"{performer.email} cannot own the corrective action this {test} test opens (only a current member who is "
        f"not an auditor can), and nobody else can: the import runs as the system, {asset.name} has no owner who "
        "can act and the organization has no security official. Give the asset an owner, make a member the "
        "security official, or import as a member (--as)."
    )
