"""Write an organization's assets, data flows or risks to a CSV or XLSX file that risk_import reads back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.core import tabular
from safeguard.core.access import dangerously_get_organization
from safeguard.core.audit import Actor
from safeguard.core.models import Organization
from safeguard.risk.models import ImportJob
from safeguard.risk.services.exports import EXPORTS, inventory_export


class Command(BaseCommand):
    help = (
        "Write one organization's assets, data flows or risk register, in the columns the import reads, to a CSV or "
        "XLSX file. The export is recorded in the organization's audit trail."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("outfile", type=Path, metavar="OUTFILE", help="the file to write")
        parser.add_argument("--org", required=True, metavar="SLUG", help="the organization's slug")
        parser.add_argument("--kind", required=True, choices=ImportJob.Kind.values, help="what to export")
        parser.add_argument("--format", dest="file_format", required=True, choices=tabular.FORMATS)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = dangerously_get_organization(options["org"])
        except Organization.DoesNotExist as exc:
            raise CommandError(f"No organization with slug {options['org']!r}.") from exc
        export = inventory_export(
            organization=organization,
            actor=Actor.system("cli"),
            kind=options["kind"],
            file_format=options["file_format"],
        )
        content = "".join(export.lines).encode() if export.lines is not None else export.content
        path: Path = options["outfile"]
        try:
            path.write_bytes(content)
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror}.") from exc
        self.stdout.write(f"Wrote {export.rows} {EXPORTS[ImportJob.Kind(options['kind'])].noun} to {path}.")
