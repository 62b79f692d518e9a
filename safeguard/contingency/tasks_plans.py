from django_tasks import task

from safeguard.contingency.services.plan_prints import plan_print_build


@task()
def build_plan_print(print_id: int) -> None:
    """Render a requested plan PDF (plan_print_request enqueues it); idempotent for a print already taken."""
    plan_print_build(print_id=print_id)
