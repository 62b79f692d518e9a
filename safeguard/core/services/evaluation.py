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
    import of thousands of rows, each written in its own savepoint, asks once).

    Reusing a request already registered is safe: Django drops a callback when a savepoint it was registered in
    rolls back, and any savepoint still open around it is open around this caller too, so whatever discards that
    request discards this change with it.
    """
    key = ("evaluation", organization.pk)
    if any(getattr(callback, "evaluation_key", None) == key for _, callback, *_ in connection.run_on_commit):
        return

    def evaluate() -> None:
        request_evaluation(organization, trigger)

    evaluate.evaluation_key = key  # type: ignore[attr-defined]
    transaction.on_commit(evaluate)
