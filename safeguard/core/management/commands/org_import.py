"""Import an organization archive written by org_export: all of it, in one transaction, or nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.core.audit import Actor, audit_verify_chain
from safeguard.core.portability import PortabilityError, org_import


class Command(BaseCommand):
    help = (
        "Create an organization from an org_export archive. Refused, with nothing written, if the slug is taken, "
        "the organization already exists here, a checksum does not match the manifest, or the format version is "
        "unknown. Evidence files are restored with the same SHA-256; the audit trail keeps its hashes. Members "
        "enrol their authenticator app again (MFA secrets are not exported)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", metavar="FILE.zip", type=Path, help="archive written by org_export")
        parser.add_argument("--slug", metavar="NEWSLUG", help="import under this slug instead of the archived one")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = org_import(archive_path=options["archive"], actor=Actor.system("org_import"), slug=options["slug"])
        except PortabilityError as error:
            raise CommandError(f"Import refused: {error}") from None
        organization = result.organization
        rows = ", ".join(f"{label} {count}" for label, count in sorted(result.counts.items()) if count)
        self.stdout.write(
            self.style.SUCCESS(f"Imported '{organization.slug}' ({organization.name}), exported {result.exported_at}")
        )
        self.stdout.write(f"  {rows}")
        outcome = audit_verify_chain(organization)
        if outcome.ok:
            self.stdout.write(f"Audit chain of '{organization.slug}' verified: {outcome.checked} events")
        else:
            self.stderr.write(
                f"Warning: the imported audit chain is BROKEN at #{outcome.broken_sequence}: {outcome.problem}"
            )
        self.stdout.write("Members sign in with their passwords and enrol their authenticator app again.")
