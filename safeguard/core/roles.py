"""Roles and what each may do: the one place that maps a role to its permissions."""

from enum import StrEnum

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    SECURITY_OFFICIAL = "security_official", "Security official"
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
    MANAGER = "manager", "Manager"
    REVIEWER = "reviewer", "Reviewer"
    WORKFORCE = "workforce", "Workforce member"
    AUDITOR = "auditor", "Auditor (read-only, time-boxed)"


class Perm(StrEnum):
    VIEW_PROGRAM = "view_program"  # dashboard, tracker, catalog, evidence list, obligations
    VIEW_AUDIT = "view_audit"
    MANAGE_ORG = "manage_org"  # settings, members, roles
    MANAGE_PROGRAM = "manage_program"  # attestations, evidence, obligations, evaluations
    SIGN_DECISIONS = "sign_decisions"  # sign addressable decisions and other sign-offs
    DELETE_EVIDENCE = "delete_evidence"
    EXPORT_ORG = "export_org"
    # The sanctions log names people and what they did: it is kept from everyone but those who administer it.
    VIEW_SANCTIONS = "view_sanctions"
    MANAGE_SANCTIONS = "manage_sanctions"
    # Decide the access review items assigned to you and approve access exceptions for your reports.
    REVIEW_ACCESS = "review_access"
    # Activity review: alerts, reviews and statistics; the events themselves name patients (PHI), so reading
    # them is a separate permission auditors do not hold.
    VIEW_ACTIVITY = "view_activity"
    VIEW_EVENTS = "view_events"
    TRIAGE_ALERTS = "triage_alerts"  # triage, comment, escalate alerts; sign activity reviews
    MANAGE_ACTIVITY = "manage_activity"  # sources, ingestion, rules, enrichment data, escalation, settings


_READ = {Perm.VIEW_PROGRAM, Perm.VIEW_AUDIT}
_PROGRAM = _READ | {Perm.MANAGE_PROGRAM}
_SANCTIONS = {Perm.VIEW_SANCTIONS, Perm.MANAGE_SANCTIONS}
_ACTIVITY_REVIEW = {Perm.VIEW_ACTIVITY, Perm.VIEW_EVENTS, Perm.TRIAGE_ALERTS}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.OWNER: frozenset(Perm),
    Role.SECURITY_OFFICIAL: frozenset(
        _PROGRAM
        | _SANCTIONS
        | _ACTIVITY_REVIEW
        | {Perm.SIGN_DECISIONS, Perm.DELETE_EVIDENCE, Perm.EXPORT_ORG, Perm.REVIEW_ACCESS, Perm.MANAGE_ACTIVITY}
    ),
    # The privacy officer investigates record snooping, so sees and triages activity, but does not run it.
    Role.PRIVACY_OFFICER: frozenset(_PROGRAM | _SANCTIONS | _ACTIVITY_REVIEW),
    Role.MANAGER: frozenset({Perm.VIEW_PROGRAM, Perm.REVIEW_ACCESS}),
    Role.REVIEWER: frozenset({Perm.VIEW_PROGRAM, Perm.REVIEW_ACCESS} | _ACTIVITY_REVIEW),
    # Workforce members see their own duties (obligations they own) but not the program.
    Role.WORKFORCE: frozenset(),
    Role.AUDITOR: frozenset(_READ | {Perm.VIEW_ACTIVITY}),
}


def role_has(role: str, perm: Perm) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())
