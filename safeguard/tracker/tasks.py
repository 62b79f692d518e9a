from django_tasks import task

from safeguard.tracker.services import evaluation_run


@task()
def evaluate_organization(run_id: int) -> None:
    """Background evaluation requested by evaluation_request; idempotent for an already finished run."""
    evaluation_run(run_id=run_id)
