"""Ask the tracker to re-evaluate after a change that can move a verdict.

The tracker imports the core, so the core reaches it only here, at call time.
"""

from django.db import connection, transaction

from safeguard.core.models import Organization


def request_evaluation(organization: Organization, trigger: str) -> None:
    from safeguard.tracker.services import evaluation_request

    evaluation_request(organization=organization, trigger=trigger)


def request_evaluation_on_commit(organization: Organization, trigger: str) -> None:
    """Request an evaluation once the transaction commits, once per organization however many writes ask (an
    import of thousands of rows asks once).

    A request already registered is reused only when it cannot be discarded without this one: it was registered
    in no savepoint we are not also inside, so any rollback that drops it drops the caller's change too.
    """
    key = ("evaluation", organization.pk)
    active = set(connection.savepoint_ids)
    for savepoints, callback, *_ in connection.run_on_commit:
        if getattr(callback, "evaluation_key", None) == key and set(savepoints) <= active:
            return

    def evaluate() -> None:
        request_evaluation(organization, trigger)

    evaluate.evaluation_key = key  # type: ignore[attr-defined]
    transaction.on_commit(evaluate)
