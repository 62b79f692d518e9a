"""The roster changed (a joiner, a mover, a leaver): re-evaluate the assignment rules once the change commits.

The workforce app sends `roster_changed` inside the transaction that changed the person, once per person; the
request is made once per transaction however many people a roster file changes.
"""

from typing import Any

from django.dispatch import receiver

from safeguard.core.models import Organization
from safeguard.training.services.assignment_sync import request_sync
from safeguard.workforce.signals import roster_changed


@receiver(roster_changed, dispatch_uid="training.assignments.roster_changed")
def resync_on_roster_change(sender: Any, organization: Organization, **kwargs: Any) -> None:
    request_sync(organization)
