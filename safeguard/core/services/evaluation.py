"""Ask the tracker to re-evaluate after a change that can move a verdict.

The tracker imports the core, so the core reaches it only here, at call time.
"""

from safeguard.core.models import Organization
from safeguard.core.transactions import on_commit_once


def request_evaluation(organization: Organization, trigger: str) -> None:
    from safeguard.tracker.services import evaluation_request

    evaluation_request(organization=organization, trigger=trigger)


def request_evaluation_on_commit(organization: Organization, trigger: str) -> None:
    """Request an evaluation once the transaction commits, once per organization however many writes ask."""
    on_commit_once(("evaluation", organization.pk), lambda: request_evaluation(organization, trigger))
