"""Phishing simulation campaigns and their results: creating, renaming and deleting a campaign, and writing the
results an import has checked (phishing_import.py reads the files; this writes them).

A campaign's results come only from imports; its launch is the earliest email sent, or, when the results carry no
send time, the day given with the import (or by hand). A campaign holding results cannot be deleted: the results
are evidence of the program, and a clicker's remedial assignment points at them. Committing results asks for the
assignment rules to be re-evaluated (the remedial rule assigns clickers) and for a tracker evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.imports import importer_for
from safeguard.core.models import FileImport, Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.core.services.file_imports import import_map, import_start
from safeguard.training.models import PhishingCampaign, PhishingResult
from safeguard.training.phishing_formats import DELIVERED, Recipient
from safeguard.training.phishing_formats import FIELD_LIMITS as LIMITS
from safeguard.training.services.assignment_sync import request_sync

TRIGGER = "training.phishing_results"
# The importers' kinds (phishing_import.py registers them).
KINDS = ("phishing_gophish_results", "phishing_gophish_events", "phishing_gophish_json", "phishing_generic")
EDITABLE = ("name", "description", "launched_at")
NAME_MAX, VENDOR_MAX, EXTERNAL_MAX = 200, 100, 100
BATCH = 1000
RESULT_FIELDS = (
    "first_name",
    "last_name",
    "position",
    "external_id",
    "person",
    "department",
    "status",
    "sent_at",
    "opened_at",
    "clicked_at",
    "submitted_at",
    "reported",
    "reported_at",
    "clicks",
)


# ---- campaigns ----------------------------------------------------------------------------------------------------


def name_taken(organization: Organization, name: str, *, but: PhishingCampaign | None = None) -> bool:
    others = PhishingCampaign.objects.filter(organization=organization, name__iexact=name)
    return (others.exclude(pk=but.pk) if but else others).exists()


def _check_name(organization: Organization, name: str, but: PhishingCampaign | None = None) -> str:
    name = name.strip()
    if not name:
        raise ServiceError("Name the campaign, e.g. “2026 Q1 invoice lure”.", field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(f"A campaign name has at most {NAME_MAX} characters.", field="name")
    if name_taken(organization, name, but=but):
        raise ServiceError(f"Another campaign is already named “{name}”: pick another name.", field="name")
    return name


def _check_launch(launched_at: datetime | None) -> None:
    if launched_at is not None and launched_at > timezone.now():
        raise ServiceError("A campaign cannot have been launched in the future.", field="launched_at")


def campaign_create(
    *,
    organization: Organization,
    actor: Actor,
    name: str,
    source: str = PhishingCampaign.Source.GOPHISH,
    vendor: str = "",
    external_id: str = "",
    description: str = "",
    launched_at: datetime | None = None,
) -> PhishingCampaign:
    """A campaign to import results into: GoPhish's (its campaign id, when known, lets later files merge into it)
    or another vendor's (named)."""
    if source not in PhishingCampaign.Source.values:
        raise ServiceError(f"Choose the tool: {', '.join(PhishingCampaign.Source.values)}.", field="source")
    vendor, external_id = vendor.strip(), external_id.strip()
    if source == PhishingCampaign.Source.OTHER and not vendor:
        raise ServiceError("Name the vendor whose tool ran the campaign, e.g. KnowBe4.", field="vendor")
    if len(vendor) > VENDOR_MAX:
        raise ServiceError(f"A vendor name has at most {VENDOR_MAX} characters.", field="vendor")
    if len(external_id) > EXTERNAL_MAX:
        raise ServiceError(f"A campaign id has at most {EXTERNAL_MAX} characters.", field="external_id")
    _check_launch(launched_at)
    with transaction.atomic():
        name = _check_name(organization, name)
        _check_external_id(organization, source, external_id)
        campaign = PhishingCampaign.objects.create(
            organization=organization,
            name=name,
            source=source,
            vendor=vendor if source == PhishingCampaign.Source.OTHER else "",
            external_id=external_id,
            description=description.strip(),
            launched_at=launched_at,
            created_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="training.phishing_campaign.created",
            organization=organization,
            target=campaign,
            changes={
                key: [None, value]
                for key, value in snapshot(
                    campaign, ("name", "source", "vendor", "external_id", "description", "launched_at")
                ).items()
            },
        )
    return campaign


def _check_external_id(
    organization: Organization, source: str, external_id: str, but: PhishingCampaign | None = None
) -> None:
    if not external_id:
        return
    same = PhishingCampaign.objects.filter(organization=organization, source=source, external_id=external_id)
    other = (same.exclude(pk=but.pk) if but else same).first()
    if other is not None:
        raise ServiceError(
            f"GoPhish campaign {external_id} is already imported as “{other.name}”: add its results there.",
            field="external_id",
        )


def _locked(organization: Organization, campaign: PhishingCampaign) -> PhishingCampaign:
    return PhishingCampaign.objects.select_for_update().get(pk=campaign.pk, organization=organization)


def campaign_update(
    *, organization: Organization, actor: Actor, campaign: PhishingCampaign, **values: Any
) -> PhishingCampaign:
    """Rename it, describe the lure, or give its launch when the files had no send times."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = _locked(organization, campaign)
        before = snapshot(locked, EDITABLE)
        if "name" in values:
            locked.name = _check_name(organization, str(values["name"]), but=locked)
        if "description" in values:
            locked.description = str(values["description"]).strip()
        if "launched_at" in values:
            _check_launch(values["launched_at"])
            locked.launched_at = values["launched_at"]
        changes = field_changes(before, snapshot(locked, EDITABLE))
        if changes:
            locked.updated_at = timezone.now()
            locked.save()
            audit_record(
                actor=actor,
                action="training.phishing_campaign.updated",
                organization=organization,
                target=locked,
                changes=changes,
            )
            if "launched_at" in changes:
                # Trends and the remedial rule read the launch.
                request_sync(organization)
                request_evaluation_on_commit(organization, TRIGGER)
    return locked


def campaign_delete(*, organization: Organization, actor: Actor, campaign: PhishingCampaign) -> None:
    """Only an empty campaign (e.g. one created by mistake): results are evidence and stay."""
    with transaction.atomic():
        locked = _locked(organization, campaign)
        held = PhishingResult.objects.filter(campaign=locked).count()
        if held:
            raise ServiceError(
                f"“{locked.name}” holds {held} result{'s' if held != 1 else ''}: a campaign with results cannot be "
                "deleted."
            )
        audit_record(
            actor=actor,
            action="training.phishing_campaign.deleted",
            organization=organization,
            target=locked,
            changes={
                name: [value, None]
                for name, value in snapshot(locked, ("name", "source", "vendor", "external_id")).items()
            },
        )
        locked.delete()


# ---- results ------------------------------------------------------------------------------------------------------


@dataclass
class PlannedResult:
    """One recipient as it will be stored: merged with what the campaign already held (`existing_id`)."""

    recipient: Recipient
    person_id: int | None
    department: str
    existing_id: int | None = None
    changed: bool = True


@dataclass
class ResultsPlan:
    """What a checked file writes: into `campaign`, or a new campaign with these values. `launched_at` is the
    launch given by hand, for a campaign whose results carry no send time."""

    campaign: PhishingCampaign | None
    new_name: str = ""
    source: str = PhishingCampaign.Source.GOPHISH
    vendor: str = ""
    external_id: str = ""
    launched_at: datetime | None = None
    results: list[PlannedResult] = field(default_factory=list)


@dataclass(frozen=True)
class ResultsWritten:
    campaign: PhishingCampaign
    created: int
    updated: int
    unchanged: int
    # Whether anything was written at all: results, the campaign itself, its launch or its GoPhish id.
    changed: bool = True


def launch_problem(*, send_times: bool, delivered: bool, launched_at: datetime | None, given: datetime | None) -> str:
    """Why a campaign's results cannot be written with this launch ("" when they can). The launch is the first email
    sent; only results without any send time take one given by hand, and a campaign whose emails were delivered
    needs one: the remedial training rule, the trend and the home page read it."""
    if send_times and given is not None:
        return (
            "The results give the time each email was sent, and the launch is the first of them: leave “launched "
            "on” empty."
        )
    if not send_times and given is None and launched_at is None and delivered:
        return (
            "The file gives no time the emails were sent, so the campaign has no launch date: give “launched on”, "
            "the day its emails went out (without it the campaign is left out of the trend, the home page and the "
            "remedial training rule)."
        )
    return ""


def _result(organization: Organization, campaign: PhishingCampaign, planned: PlannedResult) -> PhishingResult:
    found = planned.recipient
    return PhishingResult(
        pk=planned.existing_id,
        organization=organization,
        campaign=campaign,
        email=found.email,
        first_name=found.first_name[: LIMITS["first_name"]],
        last_name=found.last_name[: LIMITS["last_name"]],
        position=found.position[: LIMITS["position"]],
        external_id=found.rid[: LIMITS["rid"]],
        person_id=planned.person_id,
        department=planned.department[: LIMITS["department"]],
        status=found.status,
        sent_at=found.sent_at,
        opened_at=found.opened_at,
        clicked_at=found.clicked_at,
        submitted_at=found.submitted_at,
        reported=found.reported,
        reported_at=found.reported_at,
        clicks=found.clicks,
    )


def _target(organization: Organization, actor: Actor, plan: ResultsPlan) -> tuple[PhishingCampaign, bool]:
    """The campaign written into, and whether it was created or given its GoPhish id."""
    if plan.campaign is None:
        created = campaign_create(
            organization=organization,
            actor=actor,
            name=plan.new_name,
            source=plan.source,
            vendor=plan.vendor,
            external_id=plan.external_id,
        )
        return created, True
    campaign = _locked(organization, plan.campaign)
    if plan.external_id and not campaign.external_id:
        _check_external_id(organization, campaign.source, plan.external_id, but=campaign)
        campaign.external_id = plan.external_id
        campaign.save(update_fields=["external_id"])
        return campaign, True
    return campaign, False


def _launch(campaign: PhishingCampaign, given: datetime | None) -> None:
    """The first email sent; else the launch given by hand; else it stays. ServiceError when one is missing."""
    held = PhishingResult.objects.filter(campaign=campaign)
    earliest = held.aggregate(first=Min("sent_at"))["first"]
    delivered = held.filter(status__in=DELIVERED).exists()
    problem = launch_problem(
        send_times=earliest is not None, delivered=delivered, launched_at=campaign.launched_at, given=given
    )
    if problem:
        raise ServiceError(problem, field="launched_on")
    if earliest is None:
        _check_launch(given)
    launch = earliest or given or campaign.launched_at
    if launch != campaign.launched_at:
        campaign.launched_at = launch
        campaign.updated_at = timezone.now()
        campaign.save(update_fields=["launched_at", "updated_at"])


def phishing_results_write(
    *, organization: Organization, actor: Actor, plan: ResultsPlan, file_name: str, file_sha256: str = ""
) -> ResultsWritten:
    """Write a checked file's results: new recipients created, merged ones updated, the campaign's launch moved
    to the earliest email sent (or, for results without send times, set to the one given). One audit event for the
    file (the import's own event names the file too)."""
    with transaction.atomic():
        campaign, campaign_changed = _target(organization, actor, plan)
        before_count = PhishingResult.objects.filter(campaign=campaign).count()
        new = [_result(organization, campaign, p) for p in plan.results if p.existing_id is None]
        changed = [_result(organization, campaign, p) for p in plan.results if p.existing_id and p.changed]
        PhishingResult.objects.bulk_create(new, batch_size=BATCH)
        PhishingResult.objects.bulk_update(changed, RESULT_FIELDS, batch_size=BATCH)
        launched_before = campaign.launched_at
        _launch(campaign, plan.launched_at)
        relaunched = launched_before != campaign.launched_at
        written = ResultsWritten(
            campaign,
            len(new),
            len(changed),
            len(plan.results) - len(new) - len(changed),
            changed=bool(new or changed or relaunched or campaign_changed),
        )
        if new or changed or relaunched:
            changes: dict[str, list[Any]] = {
                "file_name": [None, file_name],
                "sha256": [None, file_sha256],
                "recipients": [before_count, before_count + len(new)],
                "created": [None, len(new)],
                "updated": [None, len(changed)],
            }
            changes.update(field_changes({"launched_at": launched_before}, {"launched_at": campaign.launched_at}))
            audit_record(
                actor=actor,
                action="training.phishing_results.imported",
                organization=organization,
                target=campaign,
                changes=changes,
            )
            request_sync(organization)
            request_evaluation_on_commit(organization, TRIGGER)
    return written


# ---- starting an import ---------------------------------------------------------------------------------------


def phishing_import_start(
    *, organization: Organization, actor: Actor, kind: str, upload: UploadedFile, options: dict[str, Any]
) -> FileImport:
    """Keep the file (the shared pipeline) and, when its columns map without help (GoPhish's exports always do),
    start checking every row straight away: the job's page then shows the errors or the preview."""
    if kind not in KINDS:
        raise ServiceError("Choose the file's format.", field="format")
    job = import_start(organization=organization, actor=actor, kind=kind, upload=upload, options=options)
    if not importer_for(kind).mapping_errors(job.headers, job.mapping):
        job = import_map(organization=organization, actor=actor, job=job, mapping=dict(job.mapping))
    return job
