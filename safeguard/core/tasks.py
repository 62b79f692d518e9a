"""Background work of the shared import pipeline. Each task takes ids and is idempotent."""

from django_tasks import task

from safeguard.core.services.file_imports import import_commit_run, import_validate_run


@task()
def validate_file_import(job_id: int) -> None:
    """Check every row of an import whose mapping was just saved; nothing is written."""
    import_validate_run(job_id=job_id)


@task()
def commit_file_import(job_id: int, user_id: int | None, ip: str | None = None) -> None:
    """Write a checked import all or nothing, as the person (and address) that asked for it."""
    import_commit_run(job_id=job_id, user_id=user_id, ip=ip)
