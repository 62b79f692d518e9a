"""Rule tests a worker abandoned: a test still queued hours after it was asked for (no worker took it) or still
running hours after it started (the worker stopped or the machine restarted) is marked failed, saying which, so
its page stops refreshing for progress that will never come, and its kept sample file is deleted. The limit is
the one abandoned ingestions get: a sample may be as large as an upload for ingestion."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils import timezone

from safeguard.activity.chores_ingestion import STALE_AFTER
from safeguard.activity.models import RuleTest
from safeguard.activity.services.rule_testing import rule_test_abandon
from safeguard.core.audit import Actor
from safeguard.core.chores import daily_chore

State = RuleTest.State
HOURS = int(STALE_AFTER.total_seconds() // 3600)


@daily_chore("activity.stale_rule_tests")
def stale_rule_tests_chore(today: date, dry_run: bool) -> list[str]:
    cutoff = timezone.now() - STALE_AFTER
    stale = (
        RuleTest.objects.filter(
            Q(state=State.QUEUED, tested_at__lt=cutoff) | Q(state=State.RUNNING, started_at__lt=cutoff)
        )
        .select_related("organization")
        .order_by("tested_at")
    )
    actor = Actor.system("activity.stale_rule_tests")
    lines = []
    for test in stale:
        line = f"{test.organization.slug}: rule test {test.public_id} on {test.file_name} ({test.state}) marked failed"
        if dry_run or rule_test_abandon(test, actor=actor, failure=abandoned_because(test)):
            lines.append(line)
    return lines


def abandoned_because(test: RuleTest) -> str:
    if test.state == State.QUEUED:
        return f"No worker started the test within {HOURS} hours of the request: run the test again."
    return (
        f"The reading stopped after line {test.lines_read} (no worker finished it within {HOURS} hours of its "
        "start): run the test again."
    )
