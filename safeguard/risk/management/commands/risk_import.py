"""Import assets, data flows or risks from a CSV/XLSX file: the checks and writes of the import pages, here and now."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.core import tabular
from safeguard.core.access import dangerously_get_organization
from safeguard.core.audit import Actor
from safeguard.core.models import Membership, Organization
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import ImportJob
from safeguard.risk.services.exports import COLUMNS
from safeguard.risk.services.import_rows import RowError, check_rows, guess_mapping, mapping_errors
from safeguard.risk.services.imports import ImportRejected, import_apply


class Command(BaseCommand):
    help = (
        "Import assets, data flows or risks from a CSV (UTF-8) or XLSX file into one organization. Columns are "
        "matched to ours by their headers (override with --map field=Header). Every row is checked first; any error "
        "is printed as 'row N, column C: message' and nothing is written (exit status 1). Otherwise every row is "
        "written in one transaction, with the audit trail recording each record. Risks go into the draft analysis "
        "when one is open, else into the register; they are refused while the open analysis is in review."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE", help="the .csv or .xlsx file")
        parser.add_argument("--org", required=True, metavar="SLUG", help="the organization's slug")
        parser.add_argument("--kind", required=True, choices=ImportJob.Kind.values, help="what the file lists")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=HEADER",
            help="the file's column for one of ours, e.g. --map owner='Owner email' (repeatable)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--as", dest="as_email", metavar="EMAIL", help="act as this member (default: system)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = dangerously_get_organization(options["org"])
        except Organization.DoesNotExist as exc:
            raise CommandError(f"No organization with slug {options['org']!r}.") from exc
        actor = _actor(organization, options["as_email"])
        kind, path = options["kind"], options["file"]
        try:
            data = path.read_bytes()
            table = tabular.read_table(data, tabular.sniff_format(data, path.name))
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        except tabular.TabularError as exc:
            raise CommandError(str(exc)) from exc
        mapping = _mapping(kind, table.headers, options["map"])
        if options["dry_run"]:
            try:
                checked = check_rows(organization=organization, kind=kind, table=table, mapping=mapping)
            except ServiceError as refused:
                raise CommandError(f"Nothing committed: {refused.message}") from refused
            if checked.errors:
                self._refuse(checked.errors)
            creates = sum(planned.target is None for planned in checked.planned)
            self.stdout.write(
                f"Dry run: {len(checked.planned)} rows are clean ({creates} would be created, "
                f"{len(checked.planned) - creates} updated). Nothing committed."
            )
            return
        try:
            outcome = import_apply(
                organization=organization, actor=actor, kind=kind, table=table, mapping=mapping, file_name=path.name
            )
        except ImportRejected as rejected:
            if not rejected.errors:
                raise CommandError(f"Nothing committed: {rejected.failure}") from rejected
            self._refuse(rejected.errors)
        self.stdout.write(
            self.style.SUCCESS(f"Committed: {outcome.created} created, {outcome.updated} updated")
            + (f" ({outcome.unchanged} of them already up to date)." if outcome.unchanged else ".")
        )

    def _refuse(self, errors: list[RowError]) -> None:
        for error in errors:
            self.stdout.write(f"row {error['row']}, column {error['column']}: {error['message']}")
        count, rows = len(errors), len({error["row"] for error in errors})
        raise CommandError(f"Nothing committed: {count} error{'s'[: count != 1]} in {rows} row{'s'[: rows != 1]}.")


def _actor(organization: Organization, email: str | None) -> Actor:
    if not email:
        return Actor.system("cli")
    member = (
        Membership.objects.current()
        .filter(organization=organization, user__email__iexact=email.strip())
        .select_related("user")
        .first()
    )
    if member is None or not member.has(Perm.MANAGE_PROGRAM):
        raise CommandError(f"{email} is not a current member of {organization.slug} who may manage the program.")
    return Actor(user=member.user)


def _mapping(kind: str, headers: list[str], overrides: list[str]) -> dict[str, str]:
    mapping = guess_mapping(kind, headers)
    for item in overrides:
        name, separator, header = item.partition("=")
        if not separator or name.strip() not in COLUMNS[ImportJob.Kind(kind)]:
            raise CommandError(
                f"--map {item!r}: write FIELD=HEADER with FIELD one of {', '.join(COLUMNS[ImportJob.Kind(kind)])}."
            )
        mapping[name.strip()] = header.strip()
    problems = mapping_errors(kind, headers, {name: header for name, header in mapping.items() if header})
    if problems:
        lines = "\n".join(f"  {name}: {message}" for name, message in problems.items())
        raise CommandError(f"The columns cannot be mapped (the file has: {', '.join(headers)}):\n{lines}")
    return {name: header for name, header in mapping.items() if header}
