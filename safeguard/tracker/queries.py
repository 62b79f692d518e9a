"""Reads the tracker pages, commands and reports share, with their joins already applied.

Every function here runs a fixed number of queries, however many verdicts, attestations or decisions exist.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, TypedDict
from uuid import UUID

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from safeguard.catalog.models import Requirement, Safeguard
from safeguard.core.models import Evidence, EvidenceLink, Obligation, Organization
from safeguard.core.services.evidence import REQUIREMENT_TYPE
from safeguard.tracker.evidence_links import ATTESTATION_TYPE
from safeguard.tracker.models import (
    AddressableDecision,
    Attestation,
    Basis,
    DailySnapshot,
    EvaluationRun,
    Status,
    Verdict,
)
from safeguard.tracker.registry import RecordRef, checks_for
from safeguard.tracker.rules import SEVERITY, progress

if TYPE_CHECKING:
    from safeguard.core.models import User

PAGE_SIZE = 50
LAPSE_WARNING = timedelta(days=30)
OPEN_STATUSES = frozenset({Status.NOT_MET, Status.UNKNOWN, Status.PARTIALLY_MET})


@dataclass(frozen=True)
class RequirementRow:
    """A catalog requirement with the organization's stored verdict (None before the first evaluation)."""

    requirement: Requirement
    verdict: Verdict | None
    checks: tuple[str, ...]
    is_leaf: bool
    context_only: bool = False  # listed only because a specification under it matched the filter

    @property
    def status(self) -> Status:
        return Status(self.verdict.status) if self.verdict else Status.UNKNOWN

    @property
    def basis(self) -> Basis:
        return Basis(self.verdict.basis) if self.verdict else Basis.NONE

    @property
    def reason(self) -> str:
        return self.verdict.reason if self.verdict else "Not evaluated yet."

    @property
    def short_reason(self) -> str:
        """The first sentence of the reason, for lists; the detail page shows all of it."""
        sentence, dot, rest = self.reason.partition(". ")
        return sentence + "." if dot and rest else self.reason

    @property
    def lapses_on(self) -> date | None:
        return self.verdict.lapses_on if self.verdict else None

    @property
    def records(self) -> list[RecordRef]:
        """The records behind the verdict; a page link is kept only when it points inside this site."""
        refs = []
        for item in self.verdict.records if self.verdict else []:
            url = str(item.get("url") or "")
            local = url.startswith("/") and not url.startswith("//") and "\\" not in url
            refs.append(
                RecordRef(
                    str(item.get("type", "")), str(item.get("id", "")), str(item.get("label", "")), url if local else ""
                )
            )
        return refs

    @property
    def next_action(self) -> str:
        return self.verdict.next_action if self.verdict else ""


def catalog_with_verdicts(organization: Organization) -> list[RequirementRow]:
    """Every requirement in catalog order with its verdict: two queries."""
    requirements = list(Requirement.objects.order_by("position"))
    verdicts = {v.requirement_id: v for v in Verdict.objects.filter(organization=organization)}
    parents = {r.parent_id for r in requirements if r.parent_id is not None}
    rows = []
    for requirement in requirements:
        verdict = verdicts.get(requirement.pk)
        if verdict is not None:
            verdict.requirement = requirement  # already loaded: no query when a caller follows the relation
        rows.append(
            RequirementRow(
                requirement=requirement,
                verdict=verdict,
                checks=tuple(c.name for c in checks_for(requirement.citation)),
                is_leaf=requirement.pk not in parents,
            )
        )
    return rows


def matches_status(row: RequirementRow, status: str) -> bool:
    if status == "open":
        return row.status in OPEN_STATUSES
    return row.status == status


def filter_tree(rows: list[RequirementRow], *, status: str = "", safeguard: str = "") -> list[RequirementRow]:
    """The catalog rows, filtered; a standard stays (as context) when one of its specifications matches."""
    if safeguard:
        rows = [row for row in rows if row.requirement.safeguard == safeguard]
    if not status:
        return rows
    matched_parents = {row.requirement.parent_id for row in rows if matches_status(row, status)}
    return [
        row if matches_status(row, status) else replace(row, context_only=True)
        for row in rows
        if matches_status(row, status) or row.requirement.pk in matched_parents
    ]


@dataclass(frozen=True)
class SafeguardGroup:
    key: str
    label: str
    percent: float | None
    rows: list[RequirementRow]


def group_by_safeguard(rows: list[RequirementRow], all_rows: list[RequirementRow]) -> list[SafeguardGroup]:
    """Rows per safeguard, in catalog order, each group with its progress over all of its leaves."""
    groups = []
    for key, label in Safeguard.choices:
        members = [row for row in rows if row.requirement.safeguard == key]
        if members:
            leaves = [row for row in all_rows if row.is_leaf and row.requirement.safeguard == key]
            percent = progress([row.status for row in leaves]) if any(row.verdict for row in leaves) else None
            groups.append(SafeguardGroup(key, label, percent, members))
    return groups


@dataclass(frozen=True)
class StatusCount:
    status: Status
    count: int


@dataclass(frozen=True)
class SafeguardProgress:
    key: str
    label: str
    percent: float | None

    @property
    def short_label(self) -> str:
        """ "Administrative (164.308)": short enough for a chart's label column."""
        section = self.label[self.label.rfind("(") :] if "(" in self.label else ""
        return f"{self.key.title()} {section}".strip()


@dataclass(frozen=True)
class ProgressSummary:
    """Progress over the assessed leaves (specifications, and standards without any)."""

    overall: float | None
    by_safeguard: list[SafeguardProgress]
    counts: list[StatusCount]
    leaves: int
    evaluated_at: datetime | None


def progress_summary(rows: list[RequirementRow]) -> ProgressSummary:
    leaves = [row for row in rows if row.is_leaf and row.verdict is not None]
    if not leaves:
        return ProgressSummary(None, [], [], 0, None)
    by_safeguard = [
        SafeguardProgress(key, label, progress([row.status for row in leaves if row.requirement.safeguard == key]))
        for key, label in Safeguard.choices
    ]
    tally = Counter(row.status for row in leaves)
    return ProgressSummary(
        overall=progress([row.status for row in leaves]),
        by_safeguard=by_safeguard,
        counts=[StatusCount(status, tally.get(status, 0)) for status in SEVERITY],
        leaves=len(leaves),
        evaluated_at=max(row.verdict.evaluated_at for row in leaves if row.verdict is not None),
    )


@dataclass(frozen=True)
class NextAction:
    row: RequirementRow
    days_to_lapse: int | None

    @property
    def lapsed(self) -> bool:
        return self.days_to_lapse is not None and self.days_to_lapse < 0

    @property
    def lapsing_soon(self) -> bool:
        return self.days_to_lapse is not None and 0 <= self.days_to_lapse <= LAPSE_WARNING.days


def next_actions(rows: list[RequirementRow], *, today: date) -> list[NextAction]:
    """Leaves that need work, worst first: not met, unknown, partially met, then met ones lapsing within 30 days."""
    actions = []
    for row in rows:
        if not row.is_leaf or row.verdict is None:
            continue
        lapses_on = row.lapses_on
        days = (lapses_on - today).days if lapses_on else None
        lapsing = days is not None and days <= LAPSE_WARNING.days
        if row.status in OPEN_STATUSES or (row.status == Status.MET and lapsing):
            actions.append(NextAction(row, days))
    actions.sort(key=lambda a: (SEVERITY.index(a.row.status), a.row.lapses_on or date.max, a.row.requirement.position))
    return actions


def trend(organization: Organization, *, today: date, days: int = 90) -> list[DailySnapshot]:
    """Daily snapshots of the last `days` days, oldest first."""
    return list(
        DailySnapshot.objects.filter(
            organization=organization, day__gt=today - timedelta(days=days), day__lte=today
        ).order_by("day")
    )


def latest_run(organization: Organization) -> EvaluationRun | None:
    return EvaluationRun.objects.filter(organization=organization).order_by("-requested_at").first()


@dataclass(frozen=True)
class AttestationEntry:
    attestation: Attestation
    evidence: list[Evidence]
    state: str  # current / expired / withdrawn


def attestations_page(
    organization: Organization, requirement: Requirement, *, today: date, page_number: str | int | None
) -> tuple[Page[Attestation], list[AttestationEntry]]:
    """One page of the requirement's attestations, newest first, each with its evidence: three queries."""
    rows = (
        Attestation.objects.filter(organization=organization, requirement=requirement)
        .select_related("attested_by")
        .order_by("-attested_at", "-pk")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(page_number)
    attestations = list(page.object_list)
    evidence = attestation_evidence(organization, [a.public_id for a in attestations])
    entries = []
    for attestation in attestations:
        if attestation.withdrawn_at is not None:
            state = "withdrawn"
        elif attestation.expires_on < today:
            state = "expired"
        else:
            state = "current"
        entries.append(AttestationEntry(attestation, evidence.get(str(attestation.public_id), []), state))
    return page, entries


def attestation_evidence(
    organization: Organization, attestation_ids: Iterable[UUID | str]
) -> dict[str, list[Evidence]]:
    """The organization's live evidence linked to each of these attestations, oldest link first: one query.

    Keyed by the attestation's public id as text. Links are matched through the evidence's organization, so a
    link whose evidence belongs to another organization never shows, whatever its target id.
    """
    evidence: dict[str, list[Evidence]] = {}
    links = (
        EvidenceLink.objects.filter(
            target_type=ATTESTATION_TYPE,
            target_id__in=[str(public_id) for public_id in attestation_ids],
            evidence__organization=organization,
            evidence__is_deleted=False,
        )
        .select_related("evidence")
        .order_by("created_at", "pk")
    )
    for link in links:
        evidence.setdefault(link.target_id, []).append(link.evidence)
    return evidence


def requirement_evidence_page(
    organization: Organization, requirement: Requirement, *, page_number: str | int | None
) -> Page[Evidence]:
    """One page of the organization's live evidence linked directly to the requirement, newest first."""
    rows = Evidence.objects.filter(
        organization=organization,
        is_deleted=False,
        links__target_type=REQUIREMENT_TYPE,
        links__target_id=requirement.citation,
    ).order_by("-created_at", "-pk")
    return Paginator(rows, PAGE_SIZE).get_page(page_number)


def decisions_page(
    organization: Organization, requirement: Requirement, *, page_number: str | int | None
) -> Page[AddressableDecision]:
    """One page of the requirement's addressable decisions, newest first, signer loaded."""
    rows = (
        AddressableDecision.objects.filter(organization=organization, requirement=requirement)
        .select_related("created_by", "signature__signer")
        .order_by("-created_at", "-pk")
    )
    return Paginator(rows, PAGE_SIZE).get_page(page_number)


def own_open_obligations(organization: Organization, user: User) -> QuerySet[Obligation]:
    """What a workforce member sees instead of the program: the open duties they own."""
    return Obligation.objects.open().filter(organization=organization, owner=user).order_by("due_on", "title")


class ReportEntry(TypedDict):
    citation: str
    title: str
    kind: str
    required: bool
    verdict: str
    basis: str
    reason: str
    lapses_on: str | None
    next_action: str
    checks: list[str]


def verdict_report(organization: Organization) -> list[ReportEntry]:
    """One entry per catalog requirement, in catalog order, from the stored verdicts."""
    return [
        ReportEntry(
            citation=row.requirement.citation,
            title=row.requirement.title,
            kind=row.requirement.kind,
            required=row.requirement.required,
            verdict=row.status.value,
            basis=row.basis.value,
            reason=row.reason,
            lapses_on=row.lapses_on.isoformat() if row.lapses_on else None,
            next_action=row.next_action,
            checks=list(row.checks),
        )
        for row in catalog_with_verdicts(organization)
    ]


def has_verdicts(organization: Organization) -> bool:
    return Verdict.objects.filter(organization=organization).exists()
