"""Install or update Safeguard's HIPAA rule pack in an organization.

Prints the rules created, updated, kept (edited here, or a rule of the organization's own holds the name) and
unchanged. Exit status 0 when done (or, with --dry-run, when reported), 2 for a usage error (unknown
organization)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.activity.services.rule_pack import rule_pack_install
from safeguard.core.access import dangerously_get_organization
from safeguard.core.audit import Actor
from safeguard.core.models import Organization

USAGE = 2


class Command(BaseCommand):
    help = "Install or update the HIPAA rule pack for an organization."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG", help="the organization's slug")
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = dangerously_get_organization(options["org"])
        except Organization.DoesNotExist:
            raise CommandError(f"No organization with slug {options['org']!r}.", returncode=USAGE) from None
        report = rule_pack_install(
            organization=organization, actor=Actor.system("rules_pack"), dry_run=options["dry_run"]
        )
        prefix = "would be " if options["dry_run"] else ""
        for label, names in (("created", report.created), ("updated", report.updated), ("kept", report.kept)):
            for name in names:
                self.stdout.write(f"{prefix}{label}: {name}")
        self.stdout.write(
            f"Rule pack {report.version}: {len(report.created)} {prefix}created, {len(report.updated)} "
            f"{prefix}updated, {len(report.kept)} kept, {len(report.unchanged)} unchanged."
        )
