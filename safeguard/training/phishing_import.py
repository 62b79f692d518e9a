"""The phishing results importers, registered with the core pipeline (core/imports.py): GoPhish's results CSV,
its raw-events CSV and its JSON API answer, and a CSV or XLSX file from any other vendor.

Every kind reads its rows into one recipient per email (phishing_formats.py), then plans against the database
(phishing_plan.py): the campaign (an existing one, the one the file's GoPhish campaign id was imported into
before, or a new one), each recipient merged with what that campaign already holds (so a re-import changes
nothing), and each email matched to a person on the roster (case ignored, one query). Unmatched recipients are
kept without a person and counted. The plan is written by services/phishing.py in the pipeline's transaction, or
nothing is.

Limits are raised for these kinds only: a GoPhish campaign of 10,000 recipients is some 200,000 events.

What recipients typed into the landing page is never read: GoPhish's `details` (a column of its events CSV, a key
of its JSON timeline items) is dropped as each row is read, and the uploaded file is deleted once the import is
committed, refused at commit, or left unused (keep_upload = False; chores_phishing.py).

A campaign needs its launch (the remedial rule, the trend and the home page read it): the first email sent, or,
for a file without send times, the "launched on" day given with the import. A file that would change nothing is
refused at commit, so a command's exit status says whether anything was committed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from safeguard.core import tabular
from safeguard.core.audit import Actor
from safeguard.core.imports import CheckedFile, Column, Importer, ImportRefused, Outcome, RowError, Tick, register
from safeguard.core.models import FileImport, Organization
from safeguard.training.models import PhishingCampaign, PhishingOutcome
from safeguard.training.phishing_formats import (
    DELIVERED,
    Collected,
    read_event,
    read_result,
    read_vendor_row,
)
from safeguard.training.phishing_json import EVENT_KEYS, JSON_HEADERS, RESULT_KEYS, item_words, json_table
from safeguard.training.phishing_options import find_campaign, given_launch, launch_day, zone_name
from safeguard.training.phishing_plan import ACTIONS, Held, held_results, people_by_email, planned, preview
from safeguard.training.services.phishing import (
    KINDS,
    NAME_MAX,
    VENDOR_MAX,
    ResultsPlan,
    launch_problem,
    name_taken,
    phishing_results_write,
)

KIND_RESULTS, KIND_EVENTS, KIND_JSON, KIND_GENERIC = KINDS
# The command's --format names.
COMMAND_FORMATS = {
    "gophish-results": KIND_RESULTS,
    "gophish-events": KIND_EVENTS,
    "gophish-json": KIND_JSON,
    "generic": KIND_GENERIC,
}
# The formats' names as the command and the API take them (a list for the OpenAPI enum's name).
FORMAT_NAMES = list(COMMAND_FORMATS)
MAX_ROWS = 300_000
MAX_BYTES = 100 * 1024 * 1024
# Columns never read: GoPhish's event details hold what a recipient typed into the landing page.
UNREAD = ("details",)
NOTHING_NEW = "Nothing new: every recipient in the file is already recorded as it is."
Source = PhishingCampaign.Source


class PhishingImporter(Importer):
    """What the four kinds share: the campaign option, the plan against the database, summary, preview, write."""

    source: ClassVar[str] = Source.GOPHISH
    # Whether the file carries GoPhish's campaign id (and so may name or find its campaign itself).
    carries_campaign: ClassVar[bool] = False
    max_rows = MAX_ROWS
    max_bytes = MAX_BYTES
    keep_upload = False
    preview_template = "training/phishing/import_preview.html"

    def read_rows(
        self, table: tabular.Table, mapping: dict[str, str], options: dict[str, Any], tick: Tick, now: datetime
    ) -> tuple[Collected, list[RowError]]:
        raise NotImplementedError

    # ---- options and the job page ----

    def read_table(self, data: bytes, file_format: str) -> tabular.Table:
        return tabular.read_table(data, file_format, max_rows=self.max_rows, unread=UNREAD)

    def clean_options(self, organization: Organization, options: dict[str, Any]) -> dict[str, Any]:
        cleaned = self._campaign_options(organization, options)
        launched_on = launch_day(options.get("launched_on"))
        return {**cleaned, "launched_on": launched_on} if launched_on else cleaned

    def _campaign_options(self, organization: Organization, options: dict[str, Any]) -> dict[str, Any]:
        reference = str(options.get("campaign") or "").strip()
        if reference:
            campaign = find_campaign(organization, reference)
            if campaign is None:
                raise ImportRefused("No such phishing campaign in this organization.")
            if campaign.source != self.source:
                raise ImportRefused(
                    f"“{campaign.name}” holds results from {campaign.get_source_display()}: choose one of "
                    f"{Source(self.source).label}'s campaigns, or a new campaign."
                )
            return {"campaign": str(campaign.public_id), "vendor": campaign.vendor}
        name = str(options.get("name") or "").strip()
        if not name and not self.carries_campaign:
            raise ImportRefused("Choose the campaign these results belong to, or name a new one.")
        if len(name) > NAME_MAX:
            raise ImportRefused(f"A campaign name has at most {NAME_MAX} characters.")
        if name and not self.carries_campaign and name_taken(organization, name):
            raise ImportRefused(
                f"A campaign named “{name}” already exists: choose it to add these results to it, or name the new "
                "campaign differently."
            )
        return {"name": name}

    def describe(self, organization: Organization, options: dict[str, Any]) -> str:
        campaign = find_campaign(organization, options.get("campaign"))
        if campaign is not None:
            return f"{self.label} for “{campaign.name}”"
        if options.get("name"):
            return f"{self.label} for a new campaign “{options['name']}”"
        return f"{self.label} (the campaign named in the file)"

    def back_url(self, organization: Organization, job: FileImport) -> str:
        campaign = find_campaign(organization, (job.result or {}).get("campaign") or job.options.get("campaign"))
        if campaign is None:
            return reverse("training:phishing_campaign_list", args=[organization.slug])
        return reverse("training:phishing_campaign_detail", args=[organization.slug, campaign.public_id])

    # ---- checking ----

    def target(self, organization: Organization, options: dict[str, Any], collected: Collected) -> ResultsPlan:
        """The campaign the results go into: the one chosen, the one this GoPhish campaign was imported into
        before, or a new one."""
        file_id = collected.campaign_id
        if options.get("campaign"):
            campaign = find_campaign(organization, options["campaign"])
            if campaign is None:
                raise ImportRefused("The campaign chosen for this import no longer exists: start the import again.")
            if file_id and campaign.external_id and campaign.external_id != file_id:
                raise ImportRefused(
                    f"The file is GoPhish campaign {file_id}, but “{campaign.name}” holds GoPhish campaign "
                    f"{campaign.external_id}: choose another campaign, or a new one."
                )
            if file_id and not campaign.external_id:
                other = PhishingCampaign.objects.filter(
                    organization=organization, source=self.source, external_id=file_id
                ).first()
                if other is not None:
                    raise ImportRefused(
                        f"GoPhish campaign {file_id} is already imported as “{other.name}”: add its results there."
                    )
            return ResultsPlan(campaign=campaign, external_id=file_id if not campaign.external_id else "")
        if file_id:
            known = PhishingCampaign.objects.filter(
                organization=organization, source=self.source, external_id=file_id
            ).first()
            if known is not None:
                return ResultsPlan(campaign=known)
        name = str(options.get("name") or collected.campaign_name or "").strip()[:NAME_MAX]
        if not name and file_id:
            name = f"GoPhish campaign {file_id}"
        if not name:
            raise ImportRefused("Name the new campaign: the file does not name it.")
        if name_taken(organization, name):
            raise ImportRefused(
                f"A campaign named “{name}” already exists: choose it to add these results to it, or name the new "
                "campaign differently."
            )
        return ResultsPlan(
            campaign=None,
            new_name=name,
            source=self.source,
            vendor=str(options.get("vendor") or ""),
            external_id=file_id,
        )

    def check(
        self,
        organization: Organization,
        table: tabular.Table,
        mapping: dict[str, str],
        options: dict[str, Any],
        tick: Tick,
    ) -> CheckedFile:
        collected, errors = self.read_rows(table, mapping, options, tick, timezone.now())
        if errors:
            return CheckedFile(errors=errors)
        plan = self.target(organization, options, collected)
        people = people_by_email(organization)
        held = held_results(plan.campaign) if plan.campaign else {}
        actions: list[str] = []
        for email, recipient in collected.recipients.items():
            result, action = planned(recipient, people.get(email), held.get(email))
            plan.results.append(result)
            actions.append(action)
        plan.launched_at = given_launch(options)
        if problem := _launch_problem(plan, held):
            raise ImportRefused(problem)
        checked = CheckedFile(plan=plan)
        self.summarize(checked, plan, actions, collected, len(held))
        checked.preview = preview(plan, actions, people)
        return checked

    def summarize(
        self, checked: CheckedFile, plan: ResultsPlan, actions: list[str], collected: Collected, held: int
    ) -> None:
        results = [item.recipient for item in plan.results]
        if plan.campaign is None:
            checked.count("campaign_new", f"A new campaign: “{plan.new_name}”", 1)
        else:
            checked.count("campaign_held", f"Results “{plan.campaign.name}” already holds", held)
        checked.count("recipients", "Recipients in the file", len(results))
        for action in ACTIONS:
            checked.count(action, f"{ACTIONS[action]} recipients", actions.count(action))
        unmatched = sum(1 for item in plan.results if item.person_id is None)
        checked.count("not_on_roster", "Not on the roster (kept without a person)", unmatched)
        checked.count("sent", "Emails delivered", sum(1 for r in results if r.status in DELIVERED))
        opened = (PhishingOutcome.OPENED, PhishingOutcome.CLICKED, PhishingOutcome.SUBMITTED)
        checked.count("opened", "Opened", sum(1 for r in results if r.status in opened))
        clicked = (PhishingOutcome.CLICKED, PhishingOutcome.SUBMITTED)
        checked.count("clicked", "Clicked (or went on to submit data)", sum(1 for r in results if r.status in clicked))
        checked.count("submitted", "Submitted data", sum(1 for r in results if r.status == PhishingOutcome.SUBMITTED))
        checked.count("reported", "Reported the email", sum(1 for r in results if r.reported))
        if self.carries_campaign:
            checked.count("events", "Timeline events read", collected.events)
            checked.count(
                "campaign_events", "Campaign events skipped (e.g. Campaign Created)", collected.campaign_events
            )
            checked.count("ignored_events", "Other events ignored (e.g. Proxied request)", collected.ignored_events)

    # ---- writing ----

    def apply(
        self,
        organization: Organization,
        actor: Actor,
        checked: CheckedFile,
        options: dict[str, Any],
        file_name: str,
        *,
        file_sha256: str = "",
        file_import: FileImport | None = None,
    ) -> Outcome:
        written = phishing_results_write(
            organization=organization, actor=actor, plan=checked.plan, file_name=file_name, file_sha256=file_sha256
        )
        if not written.changed:
            raise ImportRefused(NOTHING_NEW)
        return Outcome(
            created=written.created,
            updated=written.updated,
            result={"campaign": str(written.campaign.public_id), "unchanged": written.unchanged},
        )


def _launch_problem(plan: ResultsPlan, held: dict[str, Held]) -> str:
    """The launch rule (services/phishing.py) over the results as they will be: the file's merged with those held."""
    recipients = [item.recipient for item in plan.results] + [item.recipient for item in held.values()]
    return launch_problem(
        send_times=any(found.sent_at is not None for found in recipients),
        delivered=any(found.status in DELIVERED for found in recipients),
        launched_at=plan.campaign.launched_at if plan.campaign else None,
        given=plan.launched_at,
    )


def _read_each(
    table: tabular.Table,
    reader_cells: Callable[[tabular.Row], dict[str, str]],
    read: Callable[[int, dict[str, str]], dict[str, str]],
    report: Callable[[int, dict[str, str]], list[RowError]],
    tick: Tick,
) -> list[RowError]:
    errors: list[RowError] = []
    for done, row in enumerate(table.rows, start=1):
        problems = read(row.number, reader_cells(row))
        if problems:
            errors.extend(report(row.number, problems))
        tick(done)
    return errors


# ---- the four kinds ----------------------------------------------------------------------------------------------


class GophishResultsImporter(PhishingImporter):
    kind = KIND_RESULTS
    label = "GoPhish results"
    columns = (
        Column("email", "Email", required=True, aliases=("email_address", "e_mail")),
        Column("status", "Status", required=True),
        Column("reported", "Reported"),
        Column("send_date", "Send date", aliases=("sent", "sent_at", "send_time")),
        Column("first_name", "First name", aliases=("first", "given_name")),
        Column("last_name", "Last name", aliases=("last", "family_name", "surname")),
        Column("position", "Position", aliases=("title", "job_title")),
        Column("rid", "Result id", aliases=("id", "rid", "result_id")),
    )

    def read_rows(
        self, table: tabular.Table, mapping: dict[str, str], options: dict[str, Any], tick: Tick, now: datetime
    ) -> tuple[Collected, list[RowError]]:
        reader = self.reader(table.headers, mapping)
        collected = Collected()
        errors = _read_each(
            table,
            reader.cells,
            lambda number, cells: read_result(collected, number, cells, now),
            reader.errors,
            tick,
        )
        return collected, errors


class GophishEventsImporter(PhishingImporter):
    kind = KIND_EVENTS
    label = "GoPhish events"
    carries_campaign = True
    columns = (
        Column("campaign_id", "Campaign id", aliases=("campaign",)),
        Column("email", "Email", required=True, aliases=("email_address",)),
        Column("time", "Time", required=True, aliases=("timestamp", "date")),
        Column("message", "Message", required=True, aliases=("event",)),
    )

    def read_rows(
        self, table: tabular.Table, mapping: dict[str, str], options: dict[str, Any], tick: Tick, now: datetime
    ) -> tuple[Collected, list[RowError]]:
        reader = self.reader(table.headers, mapping)
        collected = Collected()
        errors = _read_each(
            table,
            reader.cells,
            lambda number, cells: read_event(collected, number, cells, now),
            reader.errors,
            tick,
        )
        return collected, errors


class GophishJsonImporter(PhishingImporter):
    """GoPhish's API answer for one campaign (GET /api/campaigns/{id}/results, or the full campaign): its results
    (names, statuses, reported) and its timeline (the time of each step). Errors name the item, e.g.
    "timeline item 12" (counted from 0, as in the file)."""

    kind = KIND_JSON
    label = "GoPhish campaign (JSON)"
    carries_campaign = True
    formats = (tabular.JSON,)
    columns = tuple(Column(name, name.replace("_", " ").capitalize()) for name in JSON_HEADERS)

    def read_headers(self, data: bytes, file_format: str) -> list[str]:
        # Fixed: the file is parsed (and refused when it is not a GoPhish campaign) by the check, in the background.
        return list(JSON_HEADERS)

    def read_table(self, data: bytes, file_format: str) -> tabular.Table:
        return json_table(data, max_rows=self.max_rows)

    def read_rows(
        self, table: tabular.Table, mapping: dict[str, str], options: dict[str, Any], tick: Tick, now: datetime
    ) -> tuple[Collected, list[RowError]]:
        reader = self.reader(table.headers, mapping)
        collected = Collected()
        errors: list[RowError] = []
        for done, row in enumerate(table.rows, start=1):
            cells = reader.cells(row)
            item = cells.get("item", "")
            if done == 1:
                collected.campaign_id, collected.campaign_name = cells.get("campaign_id", ""), cells["campaign_name"]
            if cells.get("problem"):
                errors.append(RowError(row=row.number, column=item, message=f"{item_words(item)} {cells['problem']}."))
            elif item.startswith("results"):
                problems = read_result(collected, row.number, cells, now)
                errors.extend(_json_errors(row.number, item, problems, RESULT_KEYS))
            else:
                problems = read_event(collected, row.number, cells, now)
                errors.extend(_json_errors(row.number, item, problems, EVENT_KEYS))
            tick(done)
        return collected, errors


def _json_errors(number: int, item: str, problems: dict[str, str], keys: dict[str, str]) -> list[RowError]:
    return [
        RowError(row=number, column=f"{item}.{keys.get(name, name)}", message=f"{item_words(item)}: {message}")
        for name, message in problems.items()
    ]


class GenericImporter(PhishingImporter):
    """Another vendor's file, one row per recipient: an email, and how far they went, as a status with reported
    yes/no, or as the time of each step, or both."""

    kind = KIND_GENERIC
    label = "Phishing results"
    source = Source.OTHER
    steps = ("status", "sent_at", "opened_at", "clicked_at", "submitted_at", "reported_at")
    columns = (
        Column("email", "Email", required=True, aliases=("email_address", "e_mail", "recipient", "user_email")),
        Column("first_name", "First name", aliases=("first", "given_name")),
        Column("last_name", "Last name", aliases=("last", "family_name", "surname")),
        Column("department", "Department", aliases=("dept", "group")),
        Column("status", "Status", aliases=("result", "outcome", "state")),
        Column("reported", "Reported", aliases=("reported_email", "phish_reported")),
        Column("sent_at", "Sent at", aliases=("sent", "delivered_at", "sent_date", "delivered")),
        Column("opened_at", "Opened at", aliases=("opened", "open_date")),
        Column("clicked_at", "Clicked at", aliases=("clicked", "click_date", "link_clicked_at")),
        Column("submitted_at", "Submitted at", aliases=("submitted", "data_entered_at", "data_entered")),
        Column("reported_at", "Reported at", aliases=("reported_date", "report_date")),
    )

    def clean_options(self, organization: Organization, options: dict[str, Any]) -> dict[str, Any]:
        cleaned = super().clean_options(organization, options)
        if "name" in cleaned:
            vendor = str(options.get("vendor") or "").strip()
            if not vendor:
                raise ImportRefused("Name the vendor whose tool ran the campaign, e.g. KnowBe4.")
            if len(vendor) > VENDOR_MAX:
                raise ImportRefused(f"A vendor name has at most {VENDOR_MAX} characters.")
            cleaned["vendor"] = vendor
        cleaned["time_zone"] = zone_name(options.get("time_zone"))
        return cleaned

    def mapping_errors(self, headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
        errors = super().mapping_errors(headers, mapping)
        if not any(mapping.get(name) for name in self.steps):
            errors.setdefault(
                "status",
                "Map the column saying how far each recipient went: a status, or the time of at least one step "
                "(sent, opened, clicked, submitted, reported).",
            )
        return errors

    def saved_mapping(self, organization: Organization, options: dict[str, Any]) -> dict[str, str]:
        """The mapping of the last file committed from the same vendor."""
        vendor = str(options.get("vendor") or "").lower()
        jobs = FileImport.objects.filter(
            organization=organization, kind=self.kind, state=FileImport.State.COMMITTED
        ).order_by("-finished_at", "-pk")
        for job_options, mapping in jobs.values_list("options", "mapping")[:50]:
            if str((job_options or {}).get("vendor") or "").lower() == vendor:
                return dict(mapping)
        return {}

    def read_rows(
        self, table: tabular.Table, mapping: dict[str, str], options: dict[str, Any], tick: Tick, now: datetime
    ) -> tuple[Collected, list[RowError]]:
        reader = self.reader(table.headers, mapping)
        zone = ZoneInfo(zone_name(options.get("time_zone")))
        collected = Collected()
        errors = _read_each(
            table,
            reader.cells,
            lambda number, cells: read_vendor_row(collected, number, cells, zone, now),
            reader.errors,
            tick,
        )
        return collected, errors


IMPORTERS = {
    kind: register(importer)
    for kind, importer in (
        (KIND_RESULTS, GophishResultsImporter()),
        (KIND_EVENTS, GophishEventsImporter()),
        (KIND_JSON, GophishJsonImporter()),
        (KIND_GENERIC, GenericImporter()),
    )
}
