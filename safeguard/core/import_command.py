"""What every import command shares: the arguments, reading the file, the mapping, and the one output format
(each error as 'row N, column C: message'; exit status 1 when nothing was committed, 0 when everything was)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.core import tabular
from safeguard.core.access import dangerously_get_organization
from safeguard.core.audit import Actor
from safeguard.core.imports import Importer, ImportRefused, RowError
from safeguard.core.models import Membership, Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.file_imports import ImportRejected, check_table, import_apply


class ImportCommand(BaseCommand):
    """Subclasses name the importer and turn their own arguments into the importer's options."""

    importer: Importer

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE", help=self.file_help())
        parser.add_argument("--org", required=True, metavar="SLUG", help="the organization's slug")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=HEADER",
            help="the file's column for one of ours, e.g. --map email='Work email' (repeatable)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check every row and show the changes; write nothing"
        )
        parser.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member (default: system)")

    def file_help(self) -> str:
        return f"the {tabular.allowed_text(self.importer.formats)} file"

    def import_options(self, organization: Organization, options: dict[str, Any]) -> dict[str, Any]:
        return {}

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = dangerously_get_organization(options["org"])
        except Organization.DoesNotExist as exc:
            raise CommandError(f"No organization with slug {options['org']!r}.") from exc
        actor = self._actor(organization, options["as_email"])
        try:
            import_options = self.importer.clean_options(organization, self.import_options(organization, options))
        except ImportRefused as refused:
            raise CommandError(f"Nothing committed: {refused.message}") from refused
        path: Path = options["file"]
        try:
            data = path.read_bytes()
            file_format = tabular.sniff_format(
                data, path.name, formats=self.importer.formats, max_bytes=self.importer.byte_limit
            )
            table = self.importer.read_table(data, file_format)
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        except tabular.TabularError as exc:
            raise CommandError(str(exc)) from exc
        mapping = self._mapping(organization, import_options, table.headers, options["map"])
        if options["dry_run"]:
            try:
                checked = check_table(self.importer, organization, table, mapping, import_options)
            except (ImportRefused, ServiceError) as refused:
                raise CommandError(f"Nothing committed: {refused.message}") from refused
            if checked.errors:
                self._refuse(checked.errors)
            self._summary(checked.summary)
            self.stdout.write(f"Dry run: all {len(table.rows)} rows are clean. Nothing committed.")
            return
        try:
            checked, outcome = import_apply(
                organization=organization,
                actor=actor,
                importer=self.importer,
                table=table,
                mapping=mapping,
                options=import_options,
                file_name=path.name,
                file_sha256=hashlib.sha256(data).hexdigest(),
            )
        except ImportRejected as rejected:
            if not rejected.errors:
                raise CommandError(f"Nothing committed: {rejected.failure}") from rejected
            self._refuse(rejected.errors)
        self._summary(checked.summary)
        self.stdout.write(self.style.SUCCESS(f"Committed: {outcome.created} created, {outcome.updated} updated."))

    def _summary(self, summary: list[dict[str, Any]]) -> None:
        for line in summary:
            self.stdout.write(f"{line['label']}: {line['count']}")

    def _refuse(self, errors: list[RowError]) -> None:
        for error in errors:
            self.stdout.write(f"row {error['row']}, column {error['column']}: {error['message']}")
        count, rows = len(errors), len({error["row"] for error in errors})
        raise CommandError(f"Nothing committed: {count} error{'s'[: count != 1]} in {rows} row{'s'[: rows != 1]}.")

    def _actor(self, organization: Organization, email: str | None) -> Actor:
        if not email:
            return Actor.system("cli")
        member = (
            Membership.objects.current()
            .filter(organization=organization, user__email__iexact=email.strip())
            .select_related("user")
            .first()
        )
        if member is None or not member.has(self.importer.permission):
            raise CommandError(f"{email} is not a current member of {organization.slug} who may run this import.")
        return Actor(user=member.user)

    def _mapping(
        self, organization: Organization, options: dict[str, Any], headers: list[str], overrides: list[str]
    ) -> dict[str, str]:
        saved = {
            name: header
            for name, header in self.importer.saved_mapping(organization, options).items()
            if header in headers
        }
        mapping = saved or self.importer.guess_mapping(headers)
        for item in overrides:
            name, separator, header = item.partition("=")
            if not separator or name.strip() not in self.importer.names:
                raise CommandError(
                    f"--map {item!r}: write FIELD=HEADER with FIELD one of {', '.join(self.importer.names)}."
                )
            mapping[name.strip()] = header.strip()
        mapping = {name: header for name, header in mapping.items() if header}
        problems = self.importer.mapping_errors(headers, mapping)
        if problems:
            lines = "\n".join(f"  {name}: {message}" for name, message in problems.items())
            raise CommandError(f"The columns cannot be mapped (the file has: {', '.join(headers)}):\n{lines}")
        return mapping
