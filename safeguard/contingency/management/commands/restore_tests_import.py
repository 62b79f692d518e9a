"""Import restore tests as the import page does: every row checked by the rules of a test entered by hand, errors
printed as 'row N, column C: message', then every new test committed (failed and missed ones opening corrective
actions), or nothing:

    manage.py restore_tests_import --org clinic tests.csv --as so@clinic.example --dry-run

A row with the same asset and start time as a recorded test is skipped and counted, so a file can be imported
again. Exit status: 0 committed (with --dry-run: every row is clean), 1 nothing was committed (a problem in the
file's content, such as one that is not the table its name says, or in its rows), 2 the command was used wrongly
(unknown organization, a file that cannot be opened, wrong arguments)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from safeguard.contingency.services.restore_import import BY_SYSTEM_OPTION, KIND
from safeguard.core import tabular
from safeguard.core.access import dangerously_get_organization
from safeguard.core.import_command import ImportCommand
from safeguard.core.imports import importer_for
from safeguard.core.models import Organization

REFUSED = 1
USAGE = 2
# NDJSON files go by these names too; the shared reader knows such content by the .json name.
JSON_LINES = (".ndjson", ".jsonl")


class JsonLinesFile:
    """A .ndjson or .jsonl file presented under a .json name, as the shared file reader expects."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = f"{path.stem}.json"

    def read_bytes(self) -> bytes:
        return self.path.read_bytes()

    def __str__(self) -> str:
        return str(self.path)


class Command(ImportCommand):
    help = (
        "Import restore tests from a CSV, XLSX or JSON file (an array of objects, or NDJSON: .ndjson, .jsonl or "
        ".json) with columns asset, performed_by (email), restore_point, started, finished, succeeded and "
        "optionally integrity_verified, method, issues, participants. Times without an offset are read in the "
        "organization's import time zone (contingency settings). All rows or none; exit status 1 when nothing was "
        "committed (a problem in the file), 2 on wrong usage (unknown organization, a file that cannot be opened)."
    )
    importer = importer_for(KIND)

    def file_help(self) -> str:
        return "the restore tests file: .csv, .xlsx, .json, .ndjson or .jsonl"

    def import_options(self, organization: Organization, options: dict[str, Any]) -> dict[str, Any]:
        # Without --as nobody records the tests, so a corrective action may have no one to own it: the check
        # must know before the commit.
        return {BY_SYSTEM_OPTION: not options["as_email"]}

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            dangerously_get_organization(options["org"])
        except Organization.DoesNotExist as exc:
            raise CommandError(f"No organization with slug {options['org']!r}.", returncode=USAGE) from exc
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.", returncode=USAGE) from exc
        if path.suffix.lower() in JSON_LINES:
            options["file"] = JsonLinesFile(path)
        try:
            tabular.sniff_format(
                data, options["file"].name, formats=self.importer.formats, max_bytes=self.importer.byte_limit
            )
        except tabular.TabularError as exc:
            # The file was found but its content cannot be read as a table: a problem in the file, as
            # backup_results_import treats it, not a wrong use of the command.
            raise CommandError(f"Nothing committed: {exc}", returncode=REFUSED) from exc
        super().handle(*args, **options)
