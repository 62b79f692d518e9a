"""Background running of rule tests on their sample files, as uploads for ingestion are read (tasks_ingestion.py):
the task takes the test's id and claims it (queued → running) before reading; a retried or doubled task that loses
the claim does nothing, so the file stays until the one reader is done with it, and is removed then."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.utils import timezone
from django_tasks import task

from safeguard.activity.models import RuleTest
from safeguard.activity.services.rule_testing import rule_test_fail, rule_test_run
from safeguard.activity.uploads import local_copy
from safeguard.core.audit import Actor


@task()
def run_rule_test(test_id: int) -> None:
    if not _claim(test_id):
        return
    test = RuleTest.objects.select_related("organization", "rule", "source", "tested_by").get(pk=test_id)
    actor = Actor(user=test.tested_by)
    try:
        if not default_storage.exists(test.stored_name):
            rule_test_fail(test, actor=actor, failure="The sample file is no longer in storage: run the test again.")
            return
        with local_copy(test.stored_name) as path:
            rule_test_run(test, path, actor=actor)
    finally:
        default_storage.delete(test.stored_name)
        RuleTest.objects.filter(pk=test.pk).update(stored_name="")


def _claim(test_id: int) -> bool:
    """Queued → running in one conditional UPDATE: of a retried or doubled task only one reads the file, and the
    other must not delete it under the first."""
    claimed = (
        RuleTest.objects.filter(pk=test_id, state=RuleTest.State.QUEUED)
        .exclude(stored_name="")
        .update(state=RuleTest.State.RUNNING, started_at=timezone.now())
    )
    return claimed == 1
