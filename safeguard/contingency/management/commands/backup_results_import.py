"""Import backup results from a CSV or NDJSON file with the same checks as an upload, e.g. from a nightly job
that exports the backup tool's results:

    manage.py backup_results_import --org clinic results.csv --map started="Start Time" --dry-run

Each problem is printed as 'row N, field F: reason'. Exit status: 0 the runs were committed (or, with --dry-run,
every row is clean), 1 nothing was committed (a problem in the file), 2 the command was used wrongly (unknown
organization, unreadable file, columns that cannot be mapped)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.contingency.models import BackupImport
from safeguard.contingency.services.backup_import import backup_import_check, backup_import_local, last_mapping
from safeguard.contingency.services.backup_import_check import Checked
from safeguard.contingency.services.backup_import_fields import NAMES, guess_mapping, mapping_errors
from safeguard.contingency.services.backup_import_files import FileUnreadable, format_of, path_headers, path_opener
from safeguard.core.access import dangerously_get_organization
from safeguard.core.audit import Actor
from safeguard.core.models import Membership, Organization
from safeguard.core.roles import Perm

REFUSED, USAGE = 1, 2


class Command(BaseCommand):
    help = "Import backup job results (CSV or NDJSON) into an organization: all rows or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE")
        parser.add_argument("--org", required=True, metavar="SLUG", help="the organization's slug")
        parser.add_argument("--format", choices=("csv", "ndjson"), default="", help="default: from the file name")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help=f"the file's column (or key) for one of our fields ({', '.join(NAMES)}); repeatable",
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row; write nothing")
        parser.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member (default: system)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = dangerously_get_organization(options["org"])
        except Organization.DoesNotExist:
            raise CommandError(f"No organization with slug {options['org']!r}.", returncode=USAGE) from None
        actor = self._actor(organization, options["as_email"])
        path: Path = options["file"]
        try:
            with path.open("rb") as handle:
                file_format = format_of(path.name, handle.read(512), options["format"])
            headers = path_headers(path, file_format)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.", returncode=USAGE) from None
        except FileUnreadable as error:
            raise CommandError(f"Nothing committed: {error}", returncode=REFUSED) from None
        mapping = self._mapping(organization, file_format, headers, options["map"])
        if options["dry_run"]:
            checked = self._check(organization, path, file_format, mapping)
            self._report(checked.errors, checked.rejected, checked.error_count)
            self.stdout.write(
                f"Dry run: all {checked.rows_read} rows are clean ({checked.new} new, {checked.duplicates} already "
                "stored). Nothing committed."
            )
            return
        batch = backup_import_local(
            organization=organization, actor=actor, path=path, file_format=file_format, mapping=mapping
        )
        if batch.state != BackupImport.State.DONE:
            self._report(batch.errors, batch.rejected, len(batch.errors))
            raise CommandError(f"Nothing committed: {batch.failure}", returncode=REFUSED)
        self.stdout.write(
            self.style.SUCCESS(
                f"Committed: {batch.inserted} new runs stored, {batch.duplicates} already stored (skipped), "
                f"{batch.rows_read} rows read."
            )
        )

    def _check(self, organization: Organization, path: Path, file_format: str, mapping: dict[str, str]) -> Checked:
        try:
            return backup_import_check(organization, path_opener(path, file_format, mapping), mapping)
        except FileUnreadable as error:
            raise CommandError(f"Nothing committed: {error}", returncode=REFUSED) from None

    def _report(self, errors: list[dict[str, Any]], rejected: int, count: int) -> None:
        for error in errors:
            self.stdout.write(f"row {error['row']}, field {error['field'] or '—'}: {error['reason']}")
        if rejected:
            shown = f" (the first {len(errors)} shown)" if count > len(errors) else ""
            raise CommandError(f"Nothing committed: {count} problems in {rejected} rows{shown}.", returncode=REFUSED)

    def _mapping(
        self, organization: Organization, file_format: str, headers: list[str], overrides: list[str]
    ) -> dict[str, str]:
        mapping = guess_mapping(headers, start_from=last_mapping(organization, file_format))
        for item in overrides:
            name, separator, column = item.partition("=")
            if not separator or name.strip() not in NAMES:
                raise CommandError(
                    f"--map {item!r}: write FIELD=COLUMN with FIELD one of {', '.join(NAMES)}.", returncode=USAGE
                )
            mapping[name.strip()] = column.strip()
        mapping = {name: column for name, column in mapping.items() if column}
        problems = mapping_errors(mapping, headers if file_format == "csv" else None)
        if problems:
            lines = "\n".join(f"  {name}: {message}" for name, message in problems.items())
            raise CommandError(
                f"The columns cannot be mapped (the file has: {', '.join(headers)}):\n{lines}", returncode=USAGE
            )
        return mapping

    def _actor(self, organization: Organization, email: str | None) -> Actor:
        if not email:
            return Actor.system("cli")
        member = (
            Membership.objects.current()
            .filter(organization=organization, user__email__iexact=email.strip())
            .select_related("user")
            .first()
        )
        if member is None or not member.has(Perm.MANAGE_PROGRAM):
            raise CommandError(
                f"{email} is not a current member of {organization.slug} who may import.", returncode=USAGE
            )
        return Actor(user=member.user)
