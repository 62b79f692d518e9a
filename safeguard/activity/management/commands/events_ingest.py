"""Read a log file into a source's events: `events_ingest --source NAME [--org SLUG] FILE [--no-evaluate]`.

Exit status: 0 every line stored (duplicates included), 1 some lines rejected or the file refused, 2 usage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from safeguard.activity.models import IngestBatch, LogSource
from safeguard.activity.services.ingestion import IngestionFailed, ingest_path
from safeguard.core.audit import Actor
from safeguard.core.models import Organization

REJECTS_SHOWN = 20


class Usage(Exception):
    pass


class Command(BaseCommand):
    help = "Read a log file (in the source's format) into the event store, then evaluate the rules over it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE", help="the log file")
        parser.add_argument("--source", required=True, metavar="NAME", help="the log source's name (case ignored)")
        parser.add_argument("--org", metavar="SLUG", help="the organization (needed when there are several)")
        parser.add_argument("--no-evaluate", action="store_true", help="store the events; do not run the rules")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            source = self._source(options["org"], options["source"])
            path: Path = options["file"]
            if not path.is_file():
                raise Usage(f"No such file: {path}.")
        except Usage as usage:
            self.stderr.write(str(usage))
            raise SystemExit(2) from None
        if not source.is_active:
            self.stderr.write(f"The source {source.name!r} is deactivated: reactivate it to add events.")
            raise SystemExit(1)
        actor = Actor.system("events_ingest")
        try:
            batch = ingest_path(
                source,
                path,
                file_name=path.name,
                channel=IngestBatch.Channel.COMMAND,
                actor=actor,
                evaluate=not options["no_evaluate"],
            )
        except IngestionFailed as failed:
            self.stderr.write(f"Failed: {failed.batch.failure}{self._kept(failed.batch)}")
            raise SystemExit(1) from None
        if batch.state == IngestBatch.State.FAILED:
            self.stderr.write(f"Refused: {batch.failure}{self._kept(batch)}")
            raise SystemExit(1)
        self.stdout.write(
            f"{source.name}: {batch.lines_read} lines read, {batch.accepted} events stored, "
            f"{batch.duplicates} already stored, {batch.rejected} rejected (batch {batch.public_id})."
        )
        for sample in batch.rejects[:REJECTS_SHOWN]:
            where = f", {sample['field']}" if sample["field"] else ""
            self.stderr.write(f"line {sample['line']}{where}: {sample['reason']}")
        if batch.rejected > REJECTS_SHOWN:
            self.stderr.write(f"… and {batch.rejected - REJECTS_SHOWN} more rejected lines.")
        if batch.rejected:
            raise SystemExit(1)

    def _source(self, slug: str | None, name: str) -> LogSource:
        if slug:
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None:
                raise Usage(f"No organization with slug {slug!r}.")
        else:
            found = list(Organization.objects.order_by("slug")[:2])
            if len(found) != 1:
                raise Usage(
                    "Name the organization with --org SLUG: there are several."
                    if found
                    else "There is no organization yet."
                )
            organization = found[0]
        source = (
            LogSource.objects.select_related("organization")
            .filter(organization=organization, name__iexact=name.strip())
            .first()
        )
        if source is None:
            names = ", ".join(LogSource.objects.filter(organization=organization).values_list("name", flat=True))
            raise Usage(f"No log source named {name!r} in {organization.slug}: use one of: {names or 'none yet'}.")
        return source

    @staticmethod
    def _kept(batch: IngestBatch) -> str:
        # Events stored before a failure stay stored; running the file again counts them as duplicates.
        if batch.accepted:
            return f" ({batch.accepted} events stored before it stopped stay stored; a re-run skips them)"
        return " (nothing stored)"
