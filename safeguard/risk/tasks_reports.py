from django_tasks import task

from safeguard.risk.reports.jobs import report_build


@task()
def build_report(job_id: int) -> None:
    """Build a requested report file (report_request enqueues it); idempotent for a job already taken."""
    report_build(job_id=job_id)
