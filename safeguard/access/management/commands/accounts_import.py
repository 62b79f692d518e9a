"""Import one system's account list from a CSV/XLSX file, as the import page does: every row checked, errors
printed as 'row N, column C: message', then the whole list committed as a dated snapshot, or nothing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from safeguard.access.account_import import KIND
from safeguard.core.import_command import ImportCommand
from safeguard.core.imports import importer_for
from safeguard.core.models import Organization


class Command(ImportCommand):
    help = (
        "Import a system's user list (username, email or employee id per account; roles, status, last login, MFA, "
        "privileged…) as a snapshot dated --taken-at (default now). The system is named as in the asset inventory; "
        "an asset that is not yet a system is registered on commit. Exit status 1 when nothing was committed."
    )
    importer = importer_for(KIND)

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--system", required=True, metavar="NAME", help="the system's (asset's) name")
        parser.add_argument(
            "--taken-at",
            default="",
            metavar="ISO",
            help="when the list was exported, e.g. 2026-12-01T09:00 (the system's time zone unless an offset is "
            "given); default now",
        )

    def import_options(self, organization: Organization, options: dict[str, Any]) -> dict[str, Any]:
        return {"system": options["system"], "taken_at": options["taken_at"]}
