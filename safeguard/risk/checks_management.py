"""164.308(a)(1)(ii)(B) risk management: every risk at or above the treatment threshold has a treatment, no
mitigation action is more than 30 days overdue, and every acceptance is signed and unexpired."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Q

from safeguard.core.models import Organization
from safeguard.risk.checks_analysis import counted, listing, record_url
from safeguard.risk.models import MitigationAction, Risk, RiskAcceptance, RiskAnalysis, Treatment
from safeguard.risk.queries import acceptances_expired, acceptances_in_force, latest_approved_analysis
from safeguard.risk.scoring import treatment_rank
from safeguard.risk.services.method import current_method
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check

OVERDUE_GRACE_DAYS = 30
SHOWN = 5
OPEN_ACTION = (MitigationAction.Status.OPEN, MitigationAction.Status.IN_PROGRESS)


def risk_ref(risk: Risk, note: str) -> RecordRef:
    return RecordRef(
        "risk.risk",
        str(risk.public_id),
        f"{risk.reference} {risk.title}: {note}",
        record_url("risk_detail", risk.organization, risk_id=risk.public_id),
    )


def above_threshold(organization: Organization) -> Q:
    """Risks at or above the treatment threshold, each judged by the method it was rated with: its analysis's
    frozen copy, or the organization's method for a risk recorded between analyses."""
    open_risks = Risk.objects.open().filter(organization=organization)
    thresholds: dict[int | None, int] = {None: treatment_rank(current_method(organization))}
    analysis_ids = set(open_risks.exclude(analysis=None).values_list("analysis_id", flat=True).distinct())
    for pk, method in RiskAnalysis.objects.filter(pk__in=analysis_ids).values_list("pk", "method"):
        thresholds[pk] = treatment_rank(method)
    above = Q()
    for analysis_id, rank in thresholds.items():
        scope = Q(analysis__isnull=True) if analysis_id is None else Q(analysis_id=analysis_id)
        above |= scope & Q(inherent_rank__gte=rank)
    return above


def untreated_risks(organization: Organization, today: date) -> list[Risk]:
    """Open risks at or above the threshold without a treatment in force: none chosen, or 'accept' without a
    signed, unexpired acceptance."""
    open_risks = Risk.objects.open().filter(organization=organization)
    above = above_threshold(organization)
    accepted = RiskAcceptance.objects.filter(acceptances_in_force(today)).values("risk_id")
    lacking = Q(treatment=Treatment.NONE) | (Q(treatment=Treatment.ACCEPT) & ~Q(pk__in=accepted))
    return list(open_risks.filter(above).filter(lacking).order_by("-inherent_rank", "number"))


@check("164.308(a)(1)(ii)(B)", name="risk.risks_treated")
def risks_treated(organization: Organization, today: date) -> CheckResult:
    risks = Risk.objects.filter(organization=organization)
    if not risks.exists():
        approved = latest_approved_analysis(organization)
        if approved is None:
            return CheckResult(
                Status.NOT_MET,
                "No risks are recorded: risk management starts from a risk analysis.",
                next_action="Run a risk analysis and record the risks it finds.",
            )
        return CheckResult(
            Status.MET,
            f"The approved analysis “{approved.title}” recorded no risks, so none needs treatment.",
            next_action="Record risks as they are found; the next analysis will review them.",
        )
    untreated = untreated_risks(organization, today)
    cutoff = today - timedelta(days=OVERDUE_GRACE_DAYS)
    open_actions = MitigationAction.objects.filter(organization=organization, status__in=OPEN_ACTION)
    late = list(open_actions.filter(due_on__lt=cutoff).select_related("risk").order_by("due_on"))
    current = RiskAcceptance.objects.filter(acceptances_in_force(today)).values("risk_id")
    expired = list(
        RiskAcceptance.objects.filter(
            acceptances_expired(today),
            organization=organization,
            risk__status=Risk.Status.OPEN,
            risk__treatment=Treatment.ACCEPT,
        )
        .exclude(risk_id__in=current)
        .select_related("risk")
        .order_by("expires_on")
    )
    # A risk whose acceptance expired is reported as such, not a second time as untreated.
    expired_risks = {acceptance.risk_id for acceptance in expired}
    untreated = [risk for risk in untreated if risk.pk not in expired_risks]
    problems, records = [], []
    if untreated:
        refs = [risk.reference for risk in untreated]
        problems.append(
            f"{counted(len(untreated), 'risk')} at or above the treatment threshold without a treatment "
            f"in force ({listing(refs, len(refs))})"
        )
        records += [risk_ref(risk, "no treatment in force") for risk in untreated[:SHOWN]]
    if late:
        refs = [f"{action.risk.reference} “{action.title}” due {action.due_on}" for action in late]
        problems.append(
            f"{counted(len(late), 'mitigation action')} more than {OVERDUE_GRACE_DAYS} days overdue "
            f"({listing(refs, len(refs))})"
        )
        records += [
            RecordRef(
                "risk.mitigationaction",
                str(a.public_id),
                f"Overdue action: {a.title} (due {a.due_on})",
                record_url("action_detail", organization, action_id=a.public_id),
            )
            for a in late[:SHOWN]
        ]
    if expired:
        refs = [f"{acceptance.risk.reference} on {acceptance.expires_on}" for acceptance in expired]
        problems.append(f"{counted(len(expired), 'risk acceptance')} expired ({listing(refs, len(refs))})")
        records += [
            risk_ref(acceptance.risk, f"acceptance expired {acceptance.expires_on}") for acceptance in expired[:SHOWN]
        ]
    if problems:
        treated_some = len(untreated) < risks.open().filter(above_threshold(organization)).count()
        status = Status.PARTIALLY_MET if not late and not expired and treated_some else Status.NOT_MET
        return CheckResult(
            status,
            "; ".join(problems) + ".",
            tuple(records),
            next_action="Decide a treatment for each risk named, finish or re-plan overdue actions, and renew or "
            "replace expired acceptances.",
        )
    return CheckResult(
        Status.MET,
        _met_reason(organization),
        lapses_on=_next_lapse(organization, today),
        next_action="Keep actions on schedule and review acceptances before they expire.",
    )


def _met_reason(organization: Organization) -> str:
    open_count = Risk.objects.open().filter(organization=organization).count()
    return (
        f"Every risk at or above the treatment threshold has a treatment in force "
        f"({counted(open_count, 'open risk')}); no action is more than {OVERDUE_GRACE_DAYS} days overdue and every "
        "acceptance is signed and current."
    )


def _next_lapse(organization: Organization, today: date) -> date | None:
    """The first day the verdict would change with nothing done: an acceptance expiring or an action going late."""
    candidates = []
    expiry = (
        RiskAcceptance.objects.filter(
            acceptances_in_force(today), organization=organization, risk__status=Risk.Status.OPEN
        )
        .order_by("expires_on")
        .values_list("expires_on", flat=True)
        .first()
    )
    if expiry:
        candidates.append(expiry)
    due = (
        MitigationAction.objects.filter(organization=organization, status__in=OPEN_ACTION)
        .order_by("due_on")
        .values_list("due_on", flat=True)
        .first()
    )
    if due:
        candidates.append(due + timedelta(days=OVERDUE_GRACE_DAYS + 1))
    return min(candidates) if candidates else None
