"""The reference data rules join events to, built from the main database: the roster, identities (aliases,
logins, emails, employee ids), resolved shifts, the account registry, patient flags and workstations."""

from __future__ import annotations

from safeguard.activity.store.base import ReferenceData
from safeguard.core.models import Organization


def reference_data(organization: Organization) -> ReferenceData:
    raise NotImplementedError


def reference_changed(organization: Organization) -> None:
    """Raise the organization's reference version so the store reloads before the next evaluation."""
    raise NotImplementedError
