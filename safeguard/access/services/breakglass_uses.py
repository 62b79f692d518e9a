"""Uses of break-glass accounts (164.312(a)(2)(ii), emergency access procedure): recording each use, its review
within the account's time limit, the link from an unjustified use to the sanction that followed it up, and the
escalation of a review gone overdue.

Who used the account. Entered by hand, a use names the roster person who used it; a typed name is accepted only
for someone not on the roster (a locum, a vendor's engineer), and refused when it is a roster person's name. A use
raised by activity review may name nobody, or only the name the logs show, for the reviewer to establish.

Who reviews. Someone who manages the program, and neither the person who used the account (their roster email, or
their name typed for the use) nor the member who recorded the use: each use is checked by a second pair of eyes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from safeguard.access.models import BreakGlassAccount, BreakGlassActivation
from safeguard.access.queries_breakglass import is_member_named, member_may, names_match, roster_name, roster_namesake
from safeguard.core.audit import Actor, audit_record, snapshot
from safeguard.core.dates import EARLIEST
from safeguard.core.models import Organization, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.risk.models import SanctionRecord
from safeguard.workforce.models import Person

ACTIVATION_FIELDS = ("account", "used_by", "used_by_name", "started_at", "ended_at", "reason", "records_accessed")
TRIGGER = "access.break_glass"
SCHEDULER = Actor.system("scheduler")
Source = BreakGlassActivation.Source


# ---- recording a use --------------------------------------------------------------------------------------------


def _moment_errors(started_at: object, ended_at: object, now: datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(started_at, datetime) or timezone.is_naive(started_at):
        return {"started_at": "Give the start of the use as a date and time with its time zone."}
    if started_at > now:
        errors["started_at"] = "A use cannot start in the future."
    elif started_at.date() < EARLIEST:
        errors["started_at"] = f"The use must start on or after {EARLIEST:%Y-%m-%d}."
    if ended_at is not None:
        if not isinstance(ended_at, datetime) or timezone.is_naive(ended_at):
            errors["ended_at"] = "Give the end of the use as a date and time with its time zone."
        elif ended_at < started_at:
            errors["ended_at"] = "A use cannot end before it started."
        elif ended_at > now:
            errors["ended_at"] = "Leave the end blank while the use goes on: it cannot be in the future."
    return errors


def _who_errors(organization: Organization, activation: BreakGlassActivation) -> dict[str, str]:
    if activation.used_by is not None and activation.used_by.organization_id != organization.pk:
        return {"used_by": "The person who used it must be on this organization's roster."}
    if activation.used_by is not None and activation.used_by_name:
        return {"used_by_name": "Name the person on the roster or type a name, not both."}
    if len(activation.used_by_name) > 200:
        return {"used_by_name": "A name has at most 200 characters."}
    if activation.source != Source.MANUAL:
        return {}
    # Entered by hand, whoever records it knows who used the account; a use found in logs may not say.
    if activation.used_by is None and not activation.used_by_name:
        return {"used_by": "Say who used the account: a person on the roster or their name."}
    namesake = roster_namesake(organization, activation.used_by_name) if activation.used_by_name else None
    if namesake is not None:
        # A roster person typed as a name would escape the check that they do not review their own use.
        return {
            "used_by_name": f"{namesake.full_name} is on the roster: name them by employee id or email instead "
            "(type a name only for someone not on the roster)."
        }
    return {}


def _activation_errors(organization: Organization, activation: BreakGlassActivation, now: datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    if activation.account.organization_id != organization.pk:
        errors["account"] = "Pick a break-glass account of this organization."
    errors.update(_moment_errors(activation.started_at, activation.ended_at, now))
    if activation.source not in Source.values:
        errors["source"] = f"The source is one of: {', '.join(Source.values)}."
        return errors
    errors.update(_who_errors(organization, activation))
    if activation.source == Source.MANUAL and not activation.reason:
        errors["reason"] = "Say why the account was used, as stated at the time."
    return errors


def activation_record(
    *,
    organization: Organization,
    actor: Actor,
    account: BreakGlassAccount,
    started_at: datetime,
    ended_at: datetime | None = None,
    used_by: Person | None = None,
    used_by_name: str = "",
    reason: str = "",
    records_accessed: str = "",
    source: str = Source.MANUAL,
    now: datetime | None = None,
) -> BreakGlassActivation:
    """Record one use of a break-glass account; its review falls due `account.review_hours` after it started.

    People record uses by hand (pages and API: source "manual", who and why required). The activity-review module,
    when it finds a use in a system's logs, calls this same function with source="activity" and a system actor
    (e.g. Actor.system("activity-review")); who used the account and why may then be blank, for the reviewer to
    establish. Either way the use is audited and its review clock starts at `started_at`.
    """
    now = now or timezone.now()
    activation = BreakGlassActivation(
        organization=organization,
        account=account,
        used_by=used_by,
        used_by_name=used_by_name.strip(),
        started_at=started_at,
        ended_at=ended_at,
        reason=reason.strip(),
        records_accessed=records_accessed.strip(),
        source=source,
        recorded_by=actor.user,
        recorded_at=now,
    )
    ServiceError.raise_first(_activation_errors(organization, activation, now))
    activation.review_due_at = started_at + timedelta(hours=account.review_hours)
    with transaction.atomic():
        activation.save()
        recorded = {
            name: value for name, value in snapshot(activation, ACTIVATION_FIELDS).items() if value not in (None, "")
        }
        audit_record(
            actor=actor,
            action="access.breakglass_activation.recorded",
            organization=organization,
            target=activation,
            changes={
                **{name: [None, value] for name, value in recorded.items()},
                "source": [None, source],
                "review_due_at": [None, activation.review_due_at],
            },
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return activation


def _locked_activation(organization: Organization, activation: BreakGlassActivation) -> BreakGlassActivation:
    return (
        BreakGlassActivation.objects.select_for_update(of=("self",))
        .select_related("used_by", "reviewed_by", "sanction")
        .get(pk=activation.pk, organization=organization)
    )


def is_own_use(activation: BreakGlassActivation, user: User) -> bool:
    """Whether the member is who used the account: the roster person with their work email (or, without an email,
    their name), or the name typed for the use."""
    person: Person | None = activation.used_by
    if person is not None:
        if person.email:
            return person.email.casefold() == user.email.casefold()
        return names_match(user.get_full_name(), roster_name(person))
    return is_member_named(activation.organization_id, user, activation.used_by_name)


def review_refusal(activation: BreakGlassActivation, user: User) -> str:
    """Why this member may not review this use ("" when nothing stands in the way of who they are)."""
    if is_own_use(activation, user):
        return "You used this account: someone else must review the use."
    if activation.recorded_by_id is not None and activation.recorded_by_id == user.pk:
        return "You recorded this use: someone else who manages the program must review it."
    return ""


def activation_review(
    *,
    organization: Organization,
    actor: Actor,
    activation: BreakGlassActivation,
    justified: bool,
    notes: str,
    reviewed_at: datetime | None = None,
) -> BreakGlassActivation:
    """Decide whether a use was justified. Someone who manages the program reviews it, never the person who used
    the account nor the member who recorded it. A review after the deadline is accepted and stays marked late."""
    user = actor.user
    if user is None or not member_may(organization, user, Perm.MANAGE_PROGRAM):
        raise ServiceError("Only a member who manages the program can review a break-glass use.")
    if not isinstance(justified, bool):
        raise ServiceError("Say whether the use was justified.", field="justified")
    if not notes.strip():
        raise ServiceError("Write what you checked and what you found.", field="notes")
    now = timezone.now()
    reviewed_at = reviewed_at or now
    with transaction.atomic():
        locked = _locked_activation(organization, activation)
        if locked.reviewed_at is not None:
            reviewer = locked.reviewed_by.email if locked.reviewed_by else "someone"
            raise ServiceError(f"This use was already reviewed by {reviewer} on {locked.reviewed_at:%Y-%m-%d %H:%M}.")
        refusal = review_refusal(locked, user)
        if refusal:
            raise ServiceError(refusal)
        if reviewed_at < locked.started_at:
            raise ServiceError("A review cannot come before the use.", field="reviewed_at")
        if reviewed_at > now:
            raise ServiceError("A review cannot be dated in the future.", field="reviewed_at")
        locked.reviewed_at, locked.reviewed_by = reviewed_at, user
        locked.justified, locked.review_notes = justified, notes.strip()
        locked.save(update_fields=["reviewed_at", "reviewed_by", "justified", "review_notes"])
        audit_record(
            actor=actor,
            action="access.breakglass_activation.reviewed",
            organization=organization,
            target=locked,
            changes={
                "reviewed_at": [None, reviewed_at],
                "reviewed_by": [None, user],
                "justified": [None, justified],
                "review_notes": [None, locked.review_notes],
                "late": [None, reviewed_at > locked.review_due_at],
            },
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return locked


def activation_link_sanction(
    *, organization: Organization, actor: Actor, activation: BreakGlassActivation, sanction: SanctionRecord
) -> BreakGlassActivation:
    """Link an unjustified use to the sanction that followed it up (or correct the link). Only members who manage
    sanctions may: the log is theirs. The audit event names the two records by id and nothing of the sanction."""
    if not member_may(organization, actor.user, Perm.MANAGE_SANCTIONS):
        raise ServiceError("Only a member who manages sanctions can link a sanction.")
    if sanction.organization_id != organization.pk:
        raise ServiceError("No such sanction in this organization.", field="sanction")
    with transaction.atomic():
        locked = _locked_activation(organization, activation)
        if locked.justified is not False:
            raise ServiceError("Only a use reviewed as unjustified is followed up in the sanctions log.")
        if locked.sanction_id == sanction.pk:
            return locked
        before = locked.sanction
        locked.sanction = sanction
        locked.save(update_fields=["sanction"])
        audit_record(
            actor=actor,
            action="access.breakglass_activation.sanction_linked",
            organization=organization,
            target=locked,
            changes={"sanction": [before.public_id if before else None, sanction.public_id]},
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return locked


# ---- overdue reviews --------------------------------------------------------------------------------------------


def activation_escalate(
    *,
    activation: BreakGlassActivation,
    recipients: tuple[str, ...],
    now: datetime,
    notify: Callable[[BreakGlassActivation, tuple[str, ...]], None],
) -> bool:
    """Tell `recipients` that a review is overdue and mark the use escalated, once: `notify` runs inside the
    transaction, so a failed send leaves the use unescalated for the next run. False when another run, or a
    review, got there first."""
    with transaction.atomic():
        locked = (
            BreakGlassActivation.objects.select_for_update()
            .filter(pk=activation.pk, reviewed_at__isnull=True, escalated_at__isnull=True, review_due_at__lt=now)
            .first()
        )
        if locked is None:
            return False
        notify(activation, recipients)
        locked.escalated_at = now
        locked.save(update_fields=["escalated_at"])
        audit_record(
            actor=SCHEDULER,
            action="access.breakglass_activation.escalated",
            organization=activation.organization,
            target=locked,
            changes={"escalated_at": [None, now], "recipients": [None, list(recipients)]},
        )
    return True
