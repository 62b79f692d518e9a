"""Verify audit hash chains: exit 0 when every link holds, 1 naming the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.core.audit import audit_verify_chain
from safeguard.core.models import Organization


class Command(BaseCommand):
    help = (
        "Walk an organization's audit chain (or every chain with --all) and check each event's link and hash. "
        "Exits 1 and names the first broken link (its sequence and the problem) if any row was edited, deleted "
        "or inserted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--org", metavar="SLUG", help="the organization whose chain to verify")
        which.add_argument(
            "--all", action="store_true", help="every organization's chain, and the sign-in events' chain"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            chains: list[tuple[str, Organization | None]] = [
                (f"'{org.slug}'", org) for org in Organization.objects.order_by("slug")
            ]
            chains.append(("sign-in and account events", None))
        else:
            organization = Organization.objects.filter(slug=options["org"]).first()
            if organization is None:
                raise CommandError(f"No organization with the slug {options['org']!r}.")
            chains = [(f"'{organization.slug}'", organization)]
        broken = []
        for label, organization in chains:
            outcome = audit_verify_chain(organization)
            if outcome.ok:
                self.stdout.write(f"Audit chain of {label} verified: {outcome.checked} events")
            else:
                message = (
                    f"Audit chain of {label} is BROKEN at #{outcome.broken_sequence}: {outcome.problem} "
                    f"({outcome.checked} events verified before it)"
                )
                broken.append(message)
                self.stderr.write(message)
        if broken:
            raise CommandError(broken[0] if len(broken) == 1 else f"{len(broken)} audit chains are broken.")
