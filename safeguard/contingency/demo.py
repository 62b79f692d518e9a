"""The contingency part of the demo organization, built on the risk demo's inventory and written through the
services. What a newcomer finds on the recovery readiness dashboard:

- An approved criticality analysis of every asset in service: the EHR is tier 1; practice management, the
  front-desk server and the office network are tier 2; practice management needs the server and the network.
- Backup results of the last 30 days, posted as a backup tool's hook would: Acme EHR's hourly snapshots; the
  practice management database, dumped every 6 hours; the front-desk server's nightly image, which failed once
  three nights ago; the firewall's weekly configuration export, failing since a firmware update 19 days ago, so
  the network's latest good point (23 days) is past its 7-day RPO.
- Restore tests: practice management met its objectives 20 days ago (ready); the front-desk server took 18 hours
  against a 12-hour RTO 10 days ago, which opened a corrective action.
- The disaster recovery plan (v2, revised after the exercise) covers every tier 1–2 asset; the emergency mode
  plan covers only the EHR and practice management.
- A ransomware tabletop exercise four months ago, with lessons learned and a corrective action.
- Acme EHR's stated RTO (24 h) is longer than ours (8 h): a business associate gap.

The verdicts this gives (tests/test_contingency_demo.py holds them): (ii)(A) partially met (the network is stale),
(ii)(B) met, (ii)(C) partially met (the front-desk server and the network are not covered), (ii)(D) partially met
(one of four tier 1–2 assets passed a restore test), (ii)(E) met.

Backup runs are generated up to the current time, not only to `today`: a restore point's age is judged against the
clock, so a demo seeded late in the day still shows fresh backups as fresh.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from safeguard.contingency.models import BackupMethod, BackupResult, BackupStatus, CorrectiveAction, Exercise, PlanKind
from safeguard.contingency.services.actions import corrective_action_create
from safeguard.contingency.services.backup_import import backup_results_record
from safeguard.contingency.services.backups import backup_policy_create
from safeguard.contingency.services.criticality import dependency_add, profile_create
from safeguard.contingency.services.criticality_approval import criticality_approve
from safeguard.contingency.services.exercises import exercise_create
from safeguard.contingency.services.plans import (
    plan_create,
    plan_version_approve,
    plan_version_draft,
    plan_version_update,
)
from safeguard.contingency.services.restore_tests import RestoreInput, restore_test_record
from safeguard.contingency.services.vendors import vendor_recovery_create
from safeguard.core.audit import Actor
from safeguard.core.dates import add_months
from safeguard.core.demo import demo_extension, tiny_pdf
from safeguard.core.models import Organization, User
from safeguard.risk.models import Asset

HOUR = 60
DAY = 24 * HOUR
HISTORY_DAYS = 30
EHR, PM, SERVER, NETWORK = "EHR (cloud)", "Practice management", "Front-desk server", "Office network and firewall"

# asset: tier, MTD, RTO, RPO (minutes), business functions, manual workaround; None: out of scope
PROFILES: dict[str, tuple[int, int, int, int, str, str] | None] = {
    EHR: (1, DAY, 8 * HOUR, 4 * HOUR, "Charting, orders, e-prescribing, lab results", "Paper encounter forms"),
    PM: (2, 3 * DAY, DAY, 8 * HOUR, "Scheduling, check-in, billing", "Printed day sheet of appointments"),
    SERVER: (2, 3 * DAY, 12 * HOUR, 2 * DAY, "Hosts practice management and the lab interface", ""),
    NETWORK: (2, DAY, 8 * HOUR, 7 * DAY, "Internet access to the EHR, printing, phones", "LTE hotspot"),
    "Lab interface": (3, 3 * DAY, DAY, DAY, "Electronic lab orders and results", "Orders and results by fax"),
    "Telehealth app": (3, 7 * DAY, 2 * DAY, DAY, "Video visits", "Reschedule or call by phone"),
    "Fax server": (3, 7 * DAY, 2 * DAY, DAY, "Referrals and records requests", "Fax machine on a phone line"),
    "Backup NAS": (3, 7 * DAY, 2 * DAY, 7 * DAY, "Holds the on-site backups", ""),
    "Clinical workstations": (3, 3 * DAY, DAY, 30 * DAY, "EHR access in exam rooms", "Spare laptops"),
    "Provider laptops": (4, 14 * DAY, 7 * DAY, 30 * DAY, "Remote charting", "Chart from the office"),
    "Paper chart room": None,  # paper, not electronic: outside the analysis
}
DEPENDENCIES = ((PM, SERVER), (PM, NETWORK), (SERVER, NETWORK), (EHR, NETWORK), ("Lab interface", SERVER))

# asset, job, method, schedule, hours between runs, first run (hour of day), retention days, immutable, offline
POLICIES = (
    (EHR, "acme-ehr-snapshots", BackupMethod.SNAPSHOT, "hourly, run by Acme EHR", 1, 0, 35, True, False),
    (PM, "pm-db-dump", BackupMethod.EXPORT, "every 6 hours from 00:00", 6, 0, 30, False, False),
    (SERVER, "frontdesk-image", BackupMethod.FULL, "daily 01:00", 24, 1, 30, True, True),
    (NETWORK, "firewall-config", BackupMethod.EXPORT, "weekly, Sunday 03:00", 168, 3, 90, False, False),
)
SERVER_FAILED_NIGHTS_AGO = 3
FIREWALL_STOPPED_DAYS_AGO = 19
RUN_MINUTES = 25

DR_ROLES = [
    {"role": "Incident commander", "person": "Sam Okafor", "alternate": "Olivia Ortega", "duties": "Declares and ends"},
    {"role": "IT recovery", "person": "Bayside IT (managed service)", "alternate": "Sam Okafor", "duties": "Restores"},
]
DR_CONTACTS = [
    {"name": "Sam Okafor", "organization": "Demo Family Clinic", "kind": "internal", "role": "Security official",
     "phone": "555-0100", "email": "official@demo.safeguard.test", "called_by": ""},
    {"name": "Olivia Ortega", "organization": "Demo Family Clinic", "kind": "internal", "role": "Owner",
     "phone": "555-0101", "email": "owner@demo.safeguard.test", "called_by": "Sam Okafor"},
    {"name": "Acme EHR support", "organization": "Acme EHR Inc.", "kind": "business_associate", "role": "EHR vendor",
     "phone": "555-0199", "email": "support@acme-ehr.example", "called_by": "Sam Okafor"},
]  # fmt: skip
DR_TEMPLATES = [
    {"audience": "Patients", "subject": "Our systems are down", "body": "We are seeing patients with paper records."}
]


@demo_extension
def contingency_demo(organization: Organization, people: dict[str, User], today: date) -> None:
    official = Actor(user=people["official"])
    assets = {asset.name: asset for asset in Asset.objects.filter(organization=organization).in_service()}
    _profiles(organization, official, assets)
    for job in POLICIES:
        _policy(organization, official, people["official"], assets[job[0]], job)
    backup_results_record(organization=organization, actor=official, runs=list(_runs(today, timezone.now())))
    _restore_tests(organization, official, people["official"], assets, today)
    criticality_approve(organization=organization, actor=official, today=today)
    exercise = _exercise(organization, official, people, assets, today)
    _plans(organization, official, assets, exercise)
    vendor_recovery_create(
        organization=organization,
        actor=official,
        asset=assets[EHR],
        business_associate="Acme EHR Inc.",
        stated_rto_minutes=DAY,
        stated_rpo_minutes=HOUR,
        evidence_kind="report",
        evidence_file=SimpleUploadedFile(
            "acme-ehr-soc2-excerpt.pdf",
            tiny_pdf(["Acme EHR SOC 2 report, availability: RTO 24 hours, RPO 1 hour."]),
            content_type="application/pdf",
        ),
        verified_on=today - timedelta(days=60),
        verified_by=people["official"],
        notes="Their RTO is three times ours: ask for a faster recovery tier at renewal.",
        today=today,
    )


def _profiles(organization: Organization, actor: Actor, assets: dict[str, Asset]) -> None:
    for name, values in PROFILES.items():
        if name not in assets:
            continue
        tier, mtd, rto, rpo, functions, workaround = values or (4, 30 * DAY, 14 * DAY, 30 * DAY, "", "")
        profile_create(
            organization=organization,
            actor=actor,
            asset=assets[name],
            tier=tier,
            business_functions=functions,
            mtd_minutes=mtd,
            rto_minutes=rto,
            rpo_minutes=rpo,
            in_scope=values is not None,
            manual_workarounds=workaround,
        )
    for name, needs in DEPENDENCIES:
        dependency_add(organization=organization, actor=actor, asset=assets[name], depends_on=assets[needs])


def _policy(organization: Organization, actor: Actor, responsible: User, asset: Asset, job: tuple[Any, ...]) -> None:
    _, name, method, schedule, interval, _, retention, immutable, offline = job
    backup_policy_create(
        organization=organization,
        actor=actor,
        asset=asset,
        job_name=name,
        method=method,
        schedule=schedule,
        interval_hours=interval,
        retention_days=retention,
        encrypted_at_rest=True,
        immutable_copy=immutable,
        offline_copy=offline,
        offsite_location="Encrypted cloud bucket" if offline else "",
        responsible=responsible,
        business_associate=asset.business_associate,
    )


def local(day: date, hour: int = 0, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def _runs(today: date, now: datetime) -> Iterator[dict[str, Any]]:
    """Every run of the demo's jobs over the last 30 days that has finished by now."""
    first = local(today - timedelta(days=HISTORY_DAYS))
    for asset, job, _, _, interval, hour, *_ in POLICIES:
        started = first + timedelta(hours=hour)
        while started + timedelta(minutes=RUN_MINUTES) <= now:
            yield _run(asset, job, started, today)
            started += timedelta(hours=interval)


def _run(asset: str, job: str, started: datetime, today: date) -> dict[str, Any]:
    status, message = BackupStatus.SUCCESS, ""
    if job == "frontdesk-image" and timezone.localdate(started) == today - timedelta(days=SERVER_FAILED_NIGHTS_AGO):
        status, message = BackupStatus.FAILED, "Target volume full on the Backup NAS"
    elif job == "firewall-config" and started.date() > today - timedelta(days=FIREWALL_STOPPED_DAYS_AGO):
        status, message = BackupStatus.FAILED, "Authentication failed after the firmware update"
    return {
        "asset": asset,
        "job": job,
        "started": started.isoformat(),
        "finished": (started + timedelta(minutes=RUN_MINUTES)).isoformat(),
        "status": status,
        "size": 48_000_000_000 if job == "frontdesk-image" else 2_000_000_000,
        "restore_point": "" if status == BackupStatus.FAILED else started.isoformat(),
        "run_id": f"{job}-{started:%Y%m%d%H%M}",
        "message": message,
    }


def _restore_tests(
    organization: Organization, actor: Actor, official: User, assets: dict[str, Asset], today: date
) -> None:
    # (asset, days ago, hours into the day it started, hours it took, what was found)
    for name, days_ago, start_hour, took_hours, issues in (
        (PM, 20, 4, 2.5, ""),
        (SERVER, 10, 9, 18, "The image restored to the spare server, but its drivers had to be reinstalled."),
    ):
        day = today - timedelta(days=days_ago)
        # The point's time, not the run itself: an organization archive cannot yet carry a link to a backup run.
        point = (
            BackupResult.objects.filter(
                policy__asset=assets[name], status=BackupStatus.SUCCESS, restore_point_at__lte=local(day, start_hour)
            )
            .order_by("-restore_point_at")
            .values_list("restore_point_at", flat=True)
            .first()
        )
        started = local(day, start_hour)
        restore_test_record(
            organization=organization,
            actor=actor,
            values=RestoreInput(
                asset=assets[name],
                performed_by=official,
                started_at=started,
                finished_at=started + timedelta(hours=took_hours),
                succeeded=True,
                integrity_verified=True,
                restore_point_at=point,
                participants="Bayside IT",
                integrity_method="Opened today's schedule and five patient accounts, compared with the printout.",
                issues_found=issues,
            ),
        )


def _exercise(
    organization: Organization, actor: Actor, people: dict[str, User], assets: dict[str, Asset], today: date
) -> Exercise:
    exercise = exercise_create(
        organization=organization,
        actor=actor,
        kind=Exercise.Kind.TABLETOP,
        title="Ransomware on the front-desk server",
        scenario="Monday 7:30: the front-desk server's files are encrypted and a ransom note is on every screen.",
        held_on=add_months(today, -4),
        facilitator=people["official"],
        participants=[people["owner"], people["privacy"], people["nurse"]],
        other_participants="Bayside IT; Acme EHR support",
        assets=[assets[PM], assets[SERVER]],
        outcomes="Paper check-in worked; nobody knew where the call tree was kept.",
        lessons_learned="Keep a printed call tree at the front desk; the restore order was unclear.",
        completed=True,
        today=today,
    )
    corrective_action_create(
        organization=organization,
        actor=actor,
        origin=CorrectiveAction.Origin.EXERCISE,
        title="Print the call tree and keep it at the front desk",
        owner=people["official"],
        due_on=today + timedelta(days=14),
        exercise=exercise,
        today=today,
    )
    return exercise


def _plans(organization: Organization, actor: Actor, assets: dict[str, Asset], exercise: Exercise) -> None:
    sections: dict[str, Any] = {
        "roles": DR_ROLES,
        "contacts": DR_CONTACTS,
        "templates": DR_TEMPLATES,
        "return_criteria": "The restored system passed its integrity check and the official declares normal.",
    }
    disaster = plan_create(
        organization=organization, actor=actor, kind=PlanKind.DISASTER_RECOVERY, title="Disaster recovery plan"
    )
    _version(
        organization,
        actor,
        disaster,
        sections,
        activation_criteria="A tier 1–2 system is down or untrustworthy for longer than its RTO allows.",
        manual_procedures="Restore in the recovery order; see the restore runbook for each system.",
        covered_assets=[assets[EHR], assets[PM], assets[SERVER], assets[NETWORK]],
    )
    # Revised after the tabletop: the call tree is printed and the restore order spelled out.
    _version(
        organization,
        actor,
        disaster,
        {},
        manual_procedures="Restore in the printed recovery order: network, front-desk server, practice management.",
        revision_reason="Tabletop lessons: print the call tree, spell out the restore order.",
        caused_by_exercise=exercise,
    )
    emergency = plan_create(
        organization=organization, actor=actor, kind=PlanKind.EMERGENCY_MODE, title="Emergency mode operation plan"
    )
    _version(
        organization,
        actor,
        emergency,
        sections,
        activation_criteria="The EHR or practice management is unavailable during clinic hours.",
        manual_procedures="Paper encounter forms and the printed day sheet; break-glass access for urgent charts.",
        covered_assets=[assets[EHR], assets[PM]],
    )


def _version(organization: Organization, actor: Actor, plan: Any, sections: dict[str, Any], **values: Any) -> None:
    version = plan_version_draft(organization=organization, actor=actor, plan=plan)
    plan_version_update(organization=organization, actor=actor, version=version, **sections, **values)
    plan_version_approve(organization=organization, actor=actor, version=version, statement="Approved for use.")
