"""manage.py roster_import FILE --org SLUG --source NAME: the HR export, checked and committed all or nothing.

A source named for the first time is created (with --time-zone, else the installation's) along with the import:
when nothing is committed, or on a dry run, it is not kept either.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from safeguard.core.audit import Actor
from safeguard.core.import_command import ImportCommand
from safeguard.core.imports import importer_for
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import RosterSource
from safeguard.workforce.roster_import import KIND
from safeguard.workforce.services.roster import roster_source_create, roster_source_update


class Command(ImportCommand):
    help = "Import the workforce roster from an HR export (CSV or XLSX), showing joiners, movers and leavers."
    importer = importer_for(KIND)

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--source", required=True, metavar="NAME", help="the HR system the file comes from")
        parser.add_argument(
            "--time-zone", metavar="AREA/CITY", help="how the source's termination times are read, e.g. America/Denver"
        )
        load = parser.add_mutually_exclusive_group()
        load.add_argument(
            "--initial-load",
            dest="initial_load",
            action="store_true",
            default=None,
            help="record people without opening workflows (the default when the roster is empty)",
        )
        load.add_argument("--no-initial-load", dest="initial_load", action="store_false", help="open workflows")

    def handle(self, *args: Any, **options: Any) -> None:
        # One transaction: a source created for a file that is refused, or for a dry run, is not kept either.
        with transaction.atomic():
            super().handle(*args, **options)
            if options["dry_run"]:
                transaction.set_rollback(True)

    def import_options(self, organization: Organization, options: dict[str, Any]) -> dict[str, Any]:
        source = self._source(organization, options)
        return {"source": str(source.public_id), "initial_load": options["initial_load"]}

    def _source(self, organization: Organization, options: dict[str, Any]) -> RosterSource:
        name, zone = options["source"].strip(), options["time_zone"]
        actor = Actor.system("cli")
        source = RosterSource.objects.filter(organization=organization, name__iexact=name).first()
        try:
            if source is None:
                source = roster_source_create(
                    organization=organization, actor=actor, name=name, time_zone=zone or settings.TIME_ZONE
                )
                verb = "Would create" if options["dry_run"] else "Created"
                self.stdout.write(f"{verb} the roster source {source.name!r} (times read in {source.time_zone}).")
            elif zone and zone != source.time_zone:
                before = source.time_zone
                source = roster_source_update(
                    organization=organization, actor=actor, source=source, name=source.name, time_zone=zone
                )
                self.stdout.write(f"The roster source {source.name!r} now reads times in {zone} (was {before}).")
        except ServiceError as refused:
            raise CommandError(f"Nothing committed: {refused.message}") from refused
        return source
