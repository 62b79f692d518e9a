"""Export one organization to a portable zip archive (see safeguard.core.portability for the format)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.core.audit import Actor
from safeguard.core.models import Organization
from safeguard.core.portability import PortabilityError, org_export


class Command(BaseCommand):
    help = (
        "Write one organization (members, evidence and its files, signatures, obligations, attestations, decisions, "
        "verdicts, snapshots and the audit trail with its hashes) to a zip archive that org_import reads. The "
        "archive holds password hashes but no MFA secrets: members enrol their authenticator app again after an "
        "import. The export itself is recorded in the organization's audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", metavar="SLUG", required=True, help="the organization to export")
        parser.add_argument("--output", metavar="FILE.zip", required=True, type=Path, help="archive to create")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization with the slug {options['org']!r}.")
        try:
            result = org_export(organization=organization, actor=Actor.system("org_export"), output=options["output"])
        except PortabilityError as error:
            raise CommandError(str(error)) from None
        rows = ", ".join(f"{label} {count}" for label, count in sorted(result.counts.items()) if count)
        self.stdout.write(self.style.SUCCESS(f"Exported '{organization.slug}' to {result.path}"))
        self.stdout.write(f"  {rows}")
        self.stdout.write(f"  archive SHA-256 {result.sha256}")
        self.stdout.write(
            "The archive holds password hashes and evidence: keep it encrypted. MFA devices are not included; "
            "members enrol their authenticator app again after an import."
        )
