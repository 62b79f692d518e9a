"""Evaluate an organization's rules over a window of event time, now, in this process.

Prints each rule's anchors, candidates and time, then the alerts created, updated and suppressed. Exit status 0
when the run finished, 1 when a rule could not be compiled or the run failed (each problem printed as
"rule:field: message"), 2 for a usage error (unknown organization, bad time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from safeguard.activity.models import RuleRun
from safeguard.activity.services.evaluation import evaluation_create, run_evaluation
from safeguard.core.access import dangerously_get_organization
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError

USAGE = 2


def parse_moment(value: str, option: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{option} {value!r}: expected ISO 8601 with a zone", returncode=USAGE) from None
    if moment.tzinfo is None:
        raise CommandError(f"{option} {value!r}: expected ISO 8601 with a zone", returncode=USAGE)
    return moment


class Command(BaseCommand):
    help = "Evaluate the organization's rules over [--since, --until) and record the alerts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG", help="the organization's slug")
        parser.add_argument("--since", required=True, help="anchors at or after this time, e.g. 2026-01-01T00:00Z")
        parser.add_argument("--until", help="…and before this time (default: now)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = dangerously_get_organization(options["org"])
        except Organization.DoesNotExist:
            raise CommandError(f"No organization with slug {options['org']!r}.", returncode=USAGE) from None
        since = parse_moment(options["since"], "--since")
        until = parse_moment(options["until"], "--until") if options["until"] else timezone.now()
        try:
            run = evaluation_create(organization, start=since, end=until, trigger=RuleRun.Trigger.MANUAL)
        except ServiceError as error:
            raise CommandError(error.message, returncode=USAGE) from error
        run = run_evaluation(run)
        if run.state != RuleRun.State.DONE:
            for line in run.failure.splitlines():
                self.stderr.write(line)
            raise CommandError("The run failed: no alert was recorded.")
        for row in run.stats:
            shadow = " (shadow)" if row.get("shadow") else ""
            self.stdout.write(
                f"{row['rule']}{shadow}: {row['anchors']} anchors, {row['candidates']} candidates, {row['ms']} ms"
            )
        self.stdout.write(
            f"{run.rules_run} rules over {since.isoformat()} – {until.isoformat()}: alerts created "
            f"{run.alerts_created}, updated {run.alerts_updated}, suppressed {run.suppressed}."
        )
