"""Ask the tracker to re-evaluate after a change that can move a verdict.

The tracker imports the core, so the core reaches it only here, at call time.
"""

from safeguard.core.models import Organization


def request_evaluation(organization: Organization, trigger: str) -> None:
    from safeguard.tracker.services import evaluation_request

    evaluation_request(organization=organization, trigger=trigger)
