"""Background work of rule evaluation. The task takes the run's id and does nothing when the run was already
claimed, so a task delivered twice evaluates once."""

from django_tasks import task

from safeguard.activity.models import RuleRun
from safeguard.activity.services.evaluation import run_evaluation


@task()
def run_rules(run_id: int) -> None:
    run = RuleRun.objects.select_related("organization").filter(pk=run_id).first()
    if run is not None:
        run_evaluation(run)
