"""The roster changed (a joiner, a mover, a leaver): the event store's copy of the roster is stale.

The workforce app sends `roster_changed` once per person inside the changing transaction; the reference version
is raised once, after the commit, however many people a roster file changes.
"""

from typing import Any

from django.dispatch import receiver

from safeguard.activity.enrichment import reference_changed
from safeguard.core.models import Organization
from safeguard.core.transactions import on_commit_once
from safeguard.workforce.signals import roster_changed


@receiver(roster_changed, dispatch_uid="activity.reference.roster_changed")
def reload_reference_on_roster_change(sender: Any, organization: Organization, **kwargs: Any) -> None:
    on_commit_once(("activity.reference_changed", organization.pk), lambda: reference_changed(organization))
