"""Reads of plans, versions, prints and activations shared by the pages, the API and the tracker checks, with
their related rows fetched up front: a list costs the same few queries whatever its length. Only a done print
counts as printed: a queued, rendering or failed one is no copy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Max, Prefetch, QuerySet
from django.utils import timezone

from safeguard.access.models import BreakGlassActivation
from safeguard.contingency.models import ContingencyPlan, EmergencyActivation, PlanPrint, PlanVersion
from safeguard.contingency.plan_sections import SECTIONS, sections_changed
from safeguard.core.models import Organization
from safeguard.risk.models import Asset

Status = PlanVersion.Status
BREAK_GLASS_MARGIN = timedelta(hours=2)  # uses just before the declared start are usually part of the same event


@dataclass(frozen=True)
class PlanRow:
    plan: ContingencyPlan
    approved: PlanVersion | None
    draft: PlanVersion | None
    last_printed_at: datetime | None

    @property
    def approved_age_days(self) -> int | None:
        if self.approved is None or self.approved.approved_at is None:
            return None
        return (timezone.localdate() - timezone.localdate(self.approved.approved_at)).days


def plans(organization: Organization) -> QuerySet[ContingencyPlan]:
    return ContingencyPlan.objects.filter(organization=organization).order_by("kind", "title", "pk")


def plan_rows(items: Sequence[ContingencyPlan]) -> list[PlanRow]:
    """Per plan: its approved version, its draft and when the approved version was last printed (a copy of an
    older version is out of date; a print not yet done is no copy). Two queries for any number of plans."""
    ids = [plan.pk for plan in items]
    current: dict[tuple[int, str], PlanVersion] = {}
    for version in PlanVersion.objects.filter(plan_id__in=ids, status__in=[Status.APPROVED, Status.DRAFT]).only(
        "public_id", "plan_id", "number", "status", "approved_at", "next_review_on", "created_at"
    ):
        current[(version.plan_id, version.status)] = version
    approved = {plan_id: version for (plan_id, status), version in current.items() if status == Status.APPROVED}
    printed = dict(
        PlanPrint.objects.filter(version__in=list(approved.values()), state=PlanPrint.State.DONE)
        .values("version_id")
        .annotate(last=Max("printed_at"))
        .values_list("version_id", "last")
    )
    rows = []
    for plan in items:
        in_force = approved.get(plan.pk)
        last = printed.get(in_force.pk) if in_force is not None else None
        rows.append(PlanRow(plan, in_force, current.get((plan.pk, Status.DRAFT)), last))
    return rows


def last_print(plan: ContingencyPlan) -> PlanPrint | None:
    """The latest copy handed out: prints queued, rendering or failed are not copies."""
    done = PlanPrint.objects.filter(version__plan=plan, state=PlanPrint.State.DONE)
    return done.select_related("version", "printed_by").order_by("-printed_at", "-pk").first()


def plan_prints(plan: ContingencyPlan) -> QuerySet[PlanPrint]:
    """Every print of the plan's versions in any state, newest request first."""
    return (
        PlanPrint.objects.filter(version__plan=plan)
        .select_related("version", "printed_by")
        .order_by("-requested_at", "-pk")
    )


def version_prints(version: PlanVersion) -> QuerySet[PlanPrint]:
    return PlanPrint.objects.filter(version=version).select_related("printed_by").order_by("-requested_at", "-pk")


def versions(plan: ContingencyPlan) -> QuerySet[PlanVersion]:
    covered = Prefetch("covered_assets", queryset=Asset.objects.order_by("name").only("public_id", "name"))
    return (
        plan.versions.select_related("created_by", "approved_by", "caused_by_exercise", "caused_by_incident")
        .prefetch_related(covered)
        .order_by("-number")
    )


def version_sections(version: PlanVersion) -> dict[str, Any]:
    """The content of each section, for comparing versions (covered assets by name; uses the prefetch)."""
    values: dict[str, Any] = {name: getattr(version, name) for name in SECTIONS if name != "covered_assets"}
    values["covered_assets"] = sorted((asset.name for asset in version.covered_assets.all()), key=str.lower)
    return values


@dataclass(frozen=True)
class HistoryRow:
    version: PlanVersion
    changed: list[str]  # section headings that differ from the version before


def version_history(items: Sequence[PlanVersion]) -> list[HistoryRow]:
    """Versions newest first, each with the sections it changed from the one before it. `items` must be a whole
    plan's versions from versions(), newest first."""
    ordered = sorted(items, key=lambda version: version.number)
    rows, before = [], None
    for version in ordered:
        after = version_sections(version)
        rows.append(HistoryRow(version, sections_changed(before, after)))
        before = after
    return rows[::-1]


def previous_version(version: PlanVersion) -> PlanVersion | None:
    return versions(version.plan).filter(number__lt=version.number).first()


def approved_versions(organization: Organization, kind: str) -> list[PlanVersion]:
    covered = Prefetch("covered_assets", queryset=Asset.objects.order_by("name").only("public_id", "name"))
    rows = PlanVersion.objects.filter(organization=organization, plan__kind=kind, status=Status.APPROVED)
    return list(rows.select_related("plan__organization").prefetch_related(covered).order_by("plan__title"))


def printed_plan_ids(organization: Organization) -> set[int]:
    done = PlanPrint.objects.filter(version__organization=organization, state=PlanPrint.State.DONE)
    return set(done.values_list("version__plan_id", flat=True))


# ---- activations ----------------------------------------------------------------------------------------------


def activations(organization: Organization) -> QuerySet[EmergencyActivation]:
    return (
        EmergencyActivation.objects.filter(organization=organization)
        .select_related("plan_version__plan", "incident", "recorded_by")
        .prefetch_related(Prefetch("assets", queryset=Asset.objects.order_by("name").only("public_id", "name")))
        .order_by("-started_at", "-pk")
    )


def invocable_versions(organization: Organization) -> QuerySet[PlanVersion]:
    """Versions that were in force at some time: an activation invokes one of them."""
    return (
        PlanVersion.objects.filter(organization=organization, status__in=[Status.APPROVED, Status.SUPERSEDED])
        .select_related("plan")
        .order_by("plan__title", "-number")
    )


def break_glass_during(
    organization: Organization, started_at: datetime, ended_at: datetime | None
) -> QuerySet[BreakGlassActivation]:
    """Break-glass uses that began during the activation window (or shortly before it): offered for linking."""
    rows = BreakGlassActivation.objects.filter(
        organization=organization, started_at__gte=started_at - BREAK_GLASS_MARGIN
    )
    if ended_at is not None:
        rows = rows.filter(started_at__lte=ended_at)
    return rows.select_related("account__system", "used_by").order_by("started_at", "pk")


def review_overdue(version: PlanVersion, today: date) -> bool:
    return version.next_review_on is not None and today > version.next_review_on
