import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from safeguard.core.access import dangerously_get_organization
from safeguard.core.audit import Actor
from safeguard.core.models import Organization
from safeguard.tracker.queries import ReportEntry, has_verdicts, verdict_report
from safeguard.tracker.services import evaluation_run_now

COLUMNS = (("citation", 22), ("R/A", 4), ("verdict", 15), ("basis", 12), ("lapses on", 10), ("title", 44))


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(entries: list[ReportEntry]) -> str:
    """A fixed-width table: specifications indented under their standard, long titles cut with an ellipsis."""
    lines = ["  ".join(f"{name.upper():<{width}}" for name, width in COLUMNS).rstrip()]
    lines.append("  ".join("-" * width for _, width in COLUMNS))
    for entry in entries:
        citation = entry["citation"] if entry["kind"] == "standard" else "  " + entry["citation"]
        cells = (
            citation,
            "R" if entry["required"] else "A",
            entry["verdict"],
            entry["basis"],
            entry["lapses_on"] or "-",
            entry["title"],
        )
        lines.append(
            "  ".join(
                f"{_cell(cell, width):<{width}}" for cell, (_, width) in zip(cells, COLUMNS, strict=True)
            ).rstrip()
        )
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Print the stored verdict on every catalog requirement, as JSON or a text table."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, metavar="SLUG", help="the organization's slug")
        parser.add_argument("--format", choices=("json", "table"), default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organization = dangerously_get_organization(options["org"])
        except Organization.DoesNotExist as exc:
            raise CommandError(f"No organization with slug {options['org']!r}.") from exc
        if not has_verdicts(organization):
            self.stderr.write(f"No evaluation stored yet for {organization.slug}: evaluating now.")
            evaluation_run_now(
                organization=organization, actor=Actor.system("tracker_report"), trigger="tracker_report command"
            )
        entries = verdict_report(organization)
        if options["format"] == "json":
            self.stdout.write(json.dumps(entries, indent=2, ensure_ascii=False))
        else:
            self.stdout.write(format_table(entries))
