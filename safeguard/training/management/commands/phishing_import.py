"""Import a phishing campaign's results as the import page does: every row checked, errors printed as
'row N, column C: message', then every recipient committed into the campaign, or nothing (exit status 1)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from safeguard.core.import_command import ImportCommand
from safeguard.core.models import Organization
from safeguard.training.models import PhishingCampaign
from safeguard.training.phishing_import import COMMAND_FORMATS, IMPORTERS, KIND_EVENTS


class Command(ImportCommand):
    help = (
        "Import phishing simulation results: GoPhish's results CSV, raw events CSV or API JSON, or another "
        "vendor's CSV/XLSX (--format). --campaign NAME adds to the campaign of that name, or creates it; a GoPhish "
        "events or JSON file whose campaign was imported before is added to it. A file without send times needs "
        "--launched-on. A file that changes nothing is refused. Exit status 1 when nothing was committed."
    )
    importer = IMPORTERS[KIND_EVENTS]  # the one --format names, chosen in handle()

    def file_help(self) -> str:
        return "the results file: .csv or .xlsx (gophish-json: .json)"

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--format", required=True, choices=list(COMMAND_FORMATS), help="what the file is")
        campaign = parser.add_mutually_exclusive_group()
        campaign.add_argument(
            "--campaign", metavar="NAME", help="the campaign's name: an existing campaign, or a new one"
        )
        campaign.add_argument("--campaign-id", metavar="UUID", help="an existing campaign's id")
        parser.add_argument("--vendor", default="", metavar="V", help="generic, new campaign: the vendor's name")
        parser.add_argument(
            "--time-zone",
            default="",
            metavar="ZONE",
            help="generic: how to read times without an offset, e.g. America/Chicago (default: the installation's)",
        )

        parser.add_argument(
            "--launched-on",
            default="",
            metavar="YYYY-MM-DD",
            help="a file without send times (e.g. statuses only), into a campaign without a launch: the day its "
            "emails went out (required then; refused when the results give send times)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.importer = IMPORTERS[COMMAND_FORMATS[options["format"]]]
        super().handle(*args, **options)

    def import_options(self, organization: Organization, options: dict[str, Any]) -> dict[str, Any]:
        shared = {"time_zone": options["time_zone"], "launched_on": options["launched_on"]}
        if options["campaign_id"]:
            return {"campaign": options["campaign_id"], **shared}
        name = (options["campaign"] or "").strip()
        existing = (
            PhishingCampaign.objects.filter(organization=organization, name__iexact=name).first() if name else None
        )
        if existing is not None:
            return {"campaign": str(existing.public_id), **shared}
        return {"name": name, "vendor": options["vendor"], **shared}
