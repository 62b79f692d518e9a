"""Tracker check of the break-glass register: 164.312(a)(2)(ii), emergency access procedure (its break-glass part).

Met when the emergency accounts are registered with custodians and every use that started in the last 90 days was
reviewed within its time limit. A review still ahead of its deadline is no fault yet: the verdict lapses on that
deadline's day. An unjustified use must also be followed up in the sanctions log.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from safeguard.access.models import BreakGlassAccount, BreakGlassActivation
from safeguard.access.services.breakglass import ReviewState, activation_rows, review_state
from safeguard.core.chores import as_of
from safeguard.core.models import Organization
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check

WINDOW_DAYS = 90
LISTED = 10  # a reason names this many records of each kind, then counts the rest


def duration(delta: timedelta) -> str:
    """How late, in words: hours under two days, else days and hours."""
    hours = max(int(delta.total_seconds() // 3600), 0)
    if hours < 1:
        return "under an hour"
    if hours < 48:
        return f"{hours} h"
    days, rest = divmod(hours, 24)
    return f"{days} days" + (f" {rest} h" if rest else "")


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _use(activation: BreakGlassActivation) -> str:
    who = activation.used_by.full_name if activation.used_by else activation.used_by_name
    return f"{activation.account.username} on {activation.account.system} at {_when(activation.started_at)}" + (
        f" by {who}" if who else ""
    )


def _ref(organization: Organization, activation: BreakGlassActivation) -> RecordRef:
    url = reverse("access:activation_detail", args=[organization.slug, activation.public_id])
    return RecordRef("access.breakglassactivation", str(activation.public_id), f"Use of {_use(activation)}", url)


def _account_ref(organization: Organization, account: BreakGlassAccount) -> RecordRef:
    url = reverse("access:breakglass_detail", args=[organization.slug, account.public_id])
    label = f"{account.username} on {account.system}"
    return RecordRef("access.breakglassaccount", str(account.public_id), label, url)


def _listed(items: list[str]) -> str:
    shown = "; ".join(items[:LISTED])
    return shown + (f"; and {len(items) - LISTED} more" if len(items) > LISTED else "")


def _plural(count: int, word: str, plural: str = "") -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _late_by(activation: BreakGlassActivation) -> timedelta:
    return (activation.reviewed_at or activation.review_due_at) - activation.review_due_at


def _problems(uses: list[BreakGlassActivation], states: dict[int, ReviewState], now: datetime) -> list[str]:
    overdue = [
        f"Overdue: the use of {_use(a)} is not reviewed, {duration(now - a.review_due_at)} past its deadline of "
        f"{_when(a.review_due_at)}"
        for a in uses
        if states[a.pk] == ReviewState.OVERDUE
    ]
    late = [
        f"Late: the use of {_use(a)} was reviewed {duration(_late_by(a))} after its deadline of "
        f"{_when(a.review_due_at)}"
        for a in uses
        if states[a.pk] == ReviewState.LATE
    ]
    return overdue + late


def _notes(accounts: list[BreakGlassAccount], unlinked: list[BreakGlassActivation]) -> list[str]:
    """What keeps an otherwise timely register from being met: no follow-up of misuse, accounts nobody holds."""
    notes = []
    if unlinked:
        notes.append(_listed([f"Unjustified and not linked to a sanction: the use of {_use(a)}" for a in unlinked]))
    no_custodians = [f"{account.username} on {account.system}" for account in accounts if not account.custodians.all()]
    if no_custodians:
        notes.append(
            f"{_plural(len(no_custodians), 'break-glass account')} without a custodian: {', '.join(no_custodians)}"
        )
    if not accounts:
        notes.append("No break-glass account is registered any more: every one is retired")
    return notes


def _met_reason(uses: list[BreakGlassActivation], pending: list[BreakGlassActivation], accounts: int) -> str:
    registered = (
        f"{_plural(accounts, 'break-glass account')} {'is' if accounts == 1 else 'are'} registered with custodians"
    )
    if not uses:
        return f"No break-glass account was used in the last {WINDOW_DAYS} days; {registered}."
    reviewed = len(uses) - len(pending)
    parts = []
    if reviewed:
        parts.append(
            f"{'The' if reviewed == 1 else 'All'} {_plural(reviewed, 'use')} of break-glass accounts in the last "
            f"{WINDOW_DAYS} days "
            f"{'was' if reviewed == 1 else 'were'} reviewed within the time limit"
        )
    if pending:
        due = _when(max(a.review_due_at for a in pending))
        parts.append(
            f"{_plural(len(pending), 'use')} in the last {WINDOW_DAYS} days "
            f"{'awaits' if len(pending) == 1 else 'await'} review, due by {due}"
        )
    return "; ".join(parts) + f"; {registered}."


@check("164.312(a)(2)(ii)", name="access.break_glass_reviews")
def break_glass_reviews(organization: Organization, today: date) -> CheckResult:
    now = as_of(today)
    accounts = list(
        BreakGlassAccount.objects.filter(organization=organization, is_active=True)
        .select_related("system__asset")
        .prefetch_related("custodians")
        .order_by("system__asset__name", "username")
    )
    window = activation_rows(organization).filter(started_at__gt=now - timedelta(days=WINDOW_DAYS), started_at__lte=now)
    uses = list(window.order_by("started_at", "pk"))
    if not accounts and not uses:
        return CheckResult(
            Status.UNKNOWN,
            "No break-glass account is registered.",
            next_action="Register the emergency accounts of each ePHI system with their custodians.",
        )
    states = {activation.pk: review_state(activation, now) for activation in uses}
    problems = _problems(uses, states, now)
    unlinked = [a for a in uses if a.justified is False and a.sanction_id is None]
    notes = _notes(accounts, unlinked)
    pending = [a for a in uses if states[a.pk] == ReviewState.DUE]
    flagged = [a for a in uses if states[a.pk] in (ReviewState.OVERDUE, ReviewState.LATE) or a in unlinked]
    records = (
        *(_ref(organization, a) for a in flagged),
        *(_account_ref(organization, account) for account in accounts if not account.custodians.all()),
    )
    if problems:
        reason = (
            f"Of {_plural(len(uses), 'use')} of break-glass accounts in the last {WINDOW_DAYS} days, "
            f"{len(problems)} {'was' if len(problems) == 1 else 'were'} not reviewed in time. {_listed(problems)}."
        )
        return CheckResult(
            Status.NOT_MET,
            " ".join([reason, *(f"{note}." for note in notes)]),
            records,
            next_action="Review each overdue use now (someone other than who used it) and keep to the time limit.",
        )
    lapses_on = min((timezone.localdate(a.review_due_at) for a in pending), default=None)
    if notes:
        return CheckResult(
            Status.PARTIALLY_MET,
            f"Every use in the last {WINDOW_DAYS} days was reviewed in time or is within its limit, but: "
            + ". ".join(notes)
            + ".",
            records,
            lapses_on=lapses_on,
            next_action="Record the sanction for each unjustified use and link it to the use."
            if unlinked
            else "Register the break-glass accounts with their custodians.",
        )
    return CheckResult(
        Status.MET,
        _met_reason(uses, pending, len(accounts)),
        tuple(_ref(organization, a) for a in pending),
        lapses_on=lapses_on,
        next_action="Review each use of a break-glass account within its time limit.",
    )
