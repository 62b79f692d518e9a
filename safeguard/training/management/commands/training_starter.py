"""Install the starter curriculum into one organization: what the "Install the starter curriculum" page does."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.core.access import dangerously_get_organization
from safeguard.core.audit import Actor
from safeguard.core.models import Membership, Organization
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.training.services.starter import StarterSummary, starter_install, starter_preview


class Command(BaseCommand):
    help = (
        "Install the starter curriculum (topics, published courses, inactive assignment rules, draft documents to "
        "acknowledge, draft security reminders) into one organization. Only what the organization lacks is added; "
        "records installed before are left as they are, edited or not. Everything is checked first: a broken "
        "starter file is reported item by item and nothing is written (exit status 1)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG", help="the organization's slug")
        parser.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member (default: system)")
        parser.add_argument("--dry-run", action="store_true", help="say what would be added; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = dangerously_get_organization(options["org"])
        except Organization.DoesNotExist as exc:
            raise CommandError(f"No organization with slug {options['org']!r}.") from exc
        actor = _actor(organization, options["as_email"])
        try:
            if options["dry_run"]:
                self._report(starter_preview(organization), "would be added")
                self.stdout.write("Dry run: nothing committed.")
                return
            summary = starter_install(organization=organization, actor=actor)
        except ServiceError as error:
            problems = getattr(error, "problems", None) or [error.message]
            for problem in problems:
                self.stdout.write(problem)
            raise CommandError("Nothing committed: the starter file has problems.") from error
        self._report(summary, "added")
        self.stdout.write(
            self.style.SUCCESS(f"Committed: {summary.total_created} records added to {organization.slug}.")
            if summary.total_created
            else "Nothing to add: everything in the starter curriculum is already there."
        )

    def _report(self, summary: StarterSummary, verb: str) -> None:
        for name, count in summary.created.items():
            self.stdout.write(f"{name}: {count} {verb}, {summary.present[name]} already there")
        for note in summary.notes:
            self.stdout.write(f"note: {note}")


def _actor(organization: Organization, email: str | None) -> Actor:
    if not email:
        return Actor.system("training_starter")
    member = (
        Membership.objects.current()
        .filter(organization=organization, user__email__iexact=email.strip())
        .select_related("user")
        .first()
    )
    if member is None or not member.has(Perm.MANAGE_PROGRAM):
        raise CommandError(f"{email} is not a current member of {organization.slug} who may manage the program.")
    return Actor(user=member.user)
