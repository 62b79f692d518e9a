from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.core.access import dangerously_get_organization
from safeguard.core.audit import Actor
from safeguard.core.models import Organization
from safeguard.tracker.models import Status
from safeguard.tracker.services import evaluation_run_now


class Command(BaseCommand):
    help = "Evaluate every requirement for one organization now, store the verdicts and today's snapshot."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG", help="the organization's slug")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = dangerously_get_organization(options["org"])
        except Organization.DoesNotExist as exc:
            raise CommandError(f"No organization with slug {options['org']!r}.") from exc
        summary = evaluation_run_now(
            organization=organization, actor=Actor.system("tracker_evaluate"), trigger="tracker_evaluate command"
        )
        self.stdout.write(
            f"{organization.name}: {summary.evaluated} requirements evaluated, {summary.changed} changed. "
            f"Progress: {summary.overall_percent:.1f}%."
        )
        for status in Status:
            self.stdout.write(f"  {status.label:<15} {summary.counts.get(status.value, 0):>3}")
