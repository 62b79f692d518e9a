"""The access part of the demo organization: the EHR and the practice management system with their account lists
(imported twice: three months ago and ten days ago), role profiles, one valid and one expired exception, last
quarter's access review decided, attested and closed (with its evidence package), this quarter's review under
way, and the break-glass register. Written through the importers and the services, like the rest of the demo.

The story the tracker tells (tests/test_demo_access.py holds it to this):
- 164.308(a)(3)(ii)(C) not met: Julia Santos's EHR account was disabled 30 h 55 min after she left (target 24 h);
  Marcus Bell's accounts went within hours.
- 164.308(a)(4)(ii)(B) and (C) not met: both systems were reviewed last quarter and no revocation is overdue, but
  two accounts hold access beyond profile: Luis Romero kept his nursing role in the EHR after moving to billing,
  and Dana Reyes still holds "Chart Review" although her exception expired 20 days ago.
- 164.312(a)(2)(ii) met: last month's EHR break-glass use was reviewed the same day; yesterday's use of the
  practice management emergency account awaits review within its 48 hours.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

from safeguard.access.account_import import KIND
from safeguard.access.models import ReviewCampaign, ReviewItem, System
from safeguard.access.services.breakglass import activation_record, activation_review, breakglass_account_create
from safeguard.access.services.campaigns import campaign_prepare_run, campaign_start
from safeguard.access.services.decisions import (
    campaign_close,
    campaign_finish,
    item_decide,
    items_decide_bulk,
    reviewer_attest,
    revocation_done,
)
from safeguard.access.services.designations import designation_set
from safeguard.access.services.exceptions import exception_approve, exception_request
from safeguard.access.services.profiles import grant_add, profile_create
from safeguard.access.services.systems import system_register
from safeguard.core.audit import Actor
from safeguard.core.demo import demo_extension
from safeguard.core.imports import importer_for
from safeguard.core.models import Organization, User
from safeguard.core.services.file_imports import import_apply
from safeguard.core.tabular import csv_lines, read_table
from safeguard.risk.models import Asset
from safeguard.workforce.demo import JOINER, MOVER, at, roster_changes
from safeguard.workforce.models import Person, Workflow, WorkflowTask
from safeguard.workforce.services.tasks import task_complete

EHR, PM = "EHR (cloud)", "Practice management"
# Role profiles: name, department, requires clearance, what they are for, grants (system, role, privileged).
PROFILES = (
    ("Providers", "Clinical", True, "Physicians, nurse practitioners and physician assistants.",
     ((EHR, "Physician", False), (PM, "Clinical", False))),
    ("Nursing", "Nursing", True, "Nurses, medical assistants and nursing students.",
     ((EHR, "Nurse", False), (EHR, "Medical Assistant", False), (PM, "Clinical", False))),
    ("Laboratory", "Lab", True, "Lab technicians: results entry only.", ((EHR, "Lab", False),)),
    ("Front desk", "Front Desk", False, "Check-in, registration and scheduling.",
     ((EHR, "Front Desk", False), (PM, "Scheduling", False), (PM, "Registration", False))),
    ("Billing and coding", "Billing", False, "Claims and coding; read-only chart access through the Billing role.",
     ((EHR, "Billing", False), (PM, "Billing", False))),
    ("IT administration", "IT", True, "Administers both systems.",
     ((EHR, "Administrator", True), (PM, "Admin", True))),
    ("Practice administration", "Administration", False, "Directors and the practice manager: any role but admin.",
     ((EHR, "*", False), (PM, "*", False))),
)  # fmt: skip
# The EHR's people: username, employee id, roles, privileged.
EHR_PEOPLE = (
    ("oortega", "E1001", "Physician", False),
    ("sokafor", "E1002", "Administrator", True),
    ("pnair", "E1003", "Reports", False),
    ("nfischer", "E1010", "Nurse", False),
    ("gkim", "E1011", "Nurse", False),
    ("lromero", "E1012", "Nurse", False),  # still nursing access after the move to billing
    ("hweber", "E1013", "Medical Assistant", False),
    ("mbell", "E1014", "Medical Assistant", False),
    ("cdubois", "E1015", "Medical Assistant", False),
    ("oclarke", "E1016", "Nurse", False),
    ("ahaddad", "E1020", "Physician", False),
    ("epetrova", "E1021", "Physician", False),
    ("kmensah", "E1022", "Physician", False),
    ("jsantos", "E1023", "Physician", False),
    ("bcarter", "E1024", "Physician", False),
    ("rmartinez", "E1025", "Lab", False),
    ("mpatel", "E1030", "Front Desk", False),
    ("tnguyen", "E1031", "Front Desk", False),
    ("sjohansson", "E1032", "Front Desk", False),
    ("dalvarez", "E1033", "Front Desk", False),
    ("arahman", "E1034", "Front Desk", False),  # on leave: no login for months
    ("dreyes", "E1040", "Billing; Chart Review", False),  # Chart Review: the exception expired 20 days ago
    ("kobrien", "E1041", "Billing", False),
    ("fzahra", "E1042", "Billing", False),
    ("lhoffmann", "E1051", "Administrator", True),
)
# The practice management system's people: login, employee id (for the email), groups, admin, 2FA.
PM_PEOPLE = (
    ("oortega", "E1001", "Clinical; Reports", False, "Yes"),
    ("sokafor", "E1002", "Admin", True, "Yes"),
    ("pnair", "E1003", "Reports; Scheduling; Billing", False, "Yes"),
    ("nfischer", "E1010", "Clinical", False, "No"),
    ("gkim", "E1011", "Clinical", False, "No"),
    ("lromero", "E1012", "Clinical", False, "No"),
    ("hweber", "E1013", "Clinical", False, "No"),
    ("mbell", "E1014", "Clinical", False, "No"),
    ("cdubois", "E1015", "Clinical", False, "No"),
    ("ahaddad", "E1020", "Clinical", False, "Yes"),
    ("epetrova", "E1021", "Clinical", False, "Yes"),
    ("kmensah", "E1022", "Clinical", False, "Yes"),
    ("jsantos", "E1023", "Clinical", False, "Yes"),
    ("bcarter", "E1024", "Clinical", False, "Yes"),
    ("mpatel", "E1030", "Scheduling; Registration", False, "No"),
    ("tnguyen", "E1031", "Scheduling; Registration", False, "No"),
    ("sjohansson", "E1032", "Scheduling; Registration", False, "No"),
    ("dalvarez", "E1033", "Scheduling", False, "No"),
    ("arahman", "E1034", "Scheduling; Registration", False, "No"),
    ("dreyes", "E1040", "Billing", False, "Yes"),
    ("kobrien", "E1041", "Billing", False, "Yes"),
    ("isokolov", "E1050", "Admin", True, "No"),  # the agency technician: privileged, no MFA
)
PM_GROUPS_NOW = {"lromero": "Billing", "kobrien": "Billing; Refunds"}  # changed since the first list
EHR_HEADERS = ("User ID", "Email", "Employee Number", "Full Name", "Roles", "Status", "Last Login", "MFA", "Created",
               "Admin", "Disabled At", "Account Type")  # fmt: skip
PM_HEADERS = ("Login", "Name", "E-mail", "Groups", "Enabled", "Last Logon", "2FA", "Is Admin", "Created On",
              "Deactivated At")  # fmt: skip
FIRST_LIST_DAYS, LATEST_LIST_DAYS = 96, 10
LAST_REVIEW_DAYS, CURRENT_REVIEW_DAYS = 95, 5
# How long after their termination each leaver's accounts were disabled, as the latest lists show it.
DISABLED_AFTER = {
    ("mbell", EHR): timedelta(hours=3, minutes=5),
    ("mbell", PM): timedelta(hours=4, minutes=15),
    ("jsantos", EHR): timedelta(hours=30, minutes=55),
    ("jsantos", PM): timedelta(hours=1, minutes=40),
}
ON_LEAVE_SINCE_DAYS = 130  # Aisha Rahman's last login, in both lists
Days = Callable[[int], date]  # the day so many days before today
FALLBACK_COMMENT = "Reviewed with the security official: the access is still needed."
LAST_DECISIONS = {  # last quarter's review: what each account with findings was decided, and why
    "mlopez": ("revoke", "Martin Lopez left seven months ago; this account was missed then. Disable it."),
    "frontdesk": ("keep", "The check-in screen login at the front desk; Maya Patel answers for it from now on."),
    "isokolov": ("keep", "Agency technician who administers the server; MFA enrolment booked with the agency."),
    "fatima.z": ("keep", "Fatima Zahra's billing login (matched by name); to be confirmed on the accounts page."),
}
CURRENT_DECISIONS = {  # this quarter's review so far: the security official's first decisions
    "kwilson": ("revoke", "Agency temp whose placement ended last month; not on our roster."),
    "isokolov": ("keep", "Still the server's administrator; the agency says MFA is enrolled next week."),
    "fatima.z": ("keep", "This is Fatima Zahra's login; confirming the match on the accounts page."),
}


@demo_extension
def access_demo(organization: Organization, people: dict[str, User], today: date) -> None:
    official = Actor(user=people["official"])

    def day(days_ago: int) -> date:
        return today - timedelta(days=days_ago)

    systems = {
        name: system_register(
            organization=organization, actor=official, asset=Asset.objects.get(organization=organization, name=name)
        )
        for name in (EHR, PM)
    }
    _profiles(organization, official, systems)
    roster = {p.employee_id: p for p in Person.objects.filter(organization=organization)}
    _import_lists(organization, official, day, latest=False)
    _exception(organization, people, roster["E1040"], systems[EHR], "Chart Review", day(110), day(20),
               "Answering the backlog of records requests while the release-of-information clerk is out.")  # fmt: skip
    _last_review(organization, people, day)
    designation_set(
        organization=organization,
        actor=official,
        system=systems[EHR],
        username="frontdesk",
        classification="shared",
        owner=roster["E1030"],
        note="The check-in screen's login; Maya Patel answers for its use.",
    )
    roster_changes(organization, people, today)
    _access_steps(organization, official, day)
    _import_lists(organization, official, day, latest=True)
    roster = {p.employee_id: p for p in Person.objects.filter(organization=organization)}
    _exception(organization, people, roster["E1041"], systems[PM], "Refunds", day(30), day(-60),
               "Issues patient refunds while the billing manager is on parental leave.")  # fmt: skip
    _current_review(organization, people, day)
    _break_glass(organization, people, systems, roster, day)


def _exception(
    organization: Organization,
    people: dict[str, User],
    person: Person,
    system: System,
    role: str,
    requested_on: date,
    expires_on: date,
    justification: str,
) -> None:
    """Requested by the practice manager and approved by the security official on `requested_on`."""
    requested = exception_request(
        organization=organization,
        actor=Actor(user=people["privacy"]),
        person=person,
        system=system,
        role=role,
        justification=justification,
        expires_on=expires_on,
        today=requested_on,
    )
    official = Actor(user=people["official"])
    exception_approve(organization=organization, actor=official, exception=requested, today=requested_on)


def _profiles(organization: Organization, actor: Actor, systems: dict[str, System]) -> None:
    for name, department, clearance, description, grants in PROFILES:
        profile = profile_create(
            organization=organization,
            actor=actor,
            name=name,
            department=department,
            requires_clearance=clearance,
            description=description,
        )
        for system, role, privileged in grants:
            grant_add(
                organization=organization,
                actor=actor,
                profile=profile,
                system=systems[system],
                role=role,
                privileged=privileged,
            )


# ---- account lists ----------------------------------------------------------------------------------------------


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else ""


def _last_login(taken_at: datetime, index: int) -> datetime:
    """Everyone signs in most working days: the last login a few hours or days before the export."""
    return taken_at - timedelta(days=index % 4, hours=1 + index % 7, minutes=7 * index % 60)


def _disabled(person: Person, username: str, system: str) -> datetime | None:
    after = DISABLED_AFTER.get((username, system))
    return person.termination_at + after if after and person.termination_at else None


def _ehr_rows(roster: dict[str, Person], taken_at: datetime, on_leave: datetime, latest: bool) -> list[tuple[str, ...]]:
    people = list(EHR_PEOPLE) + ([("zadams", JOINER, "Nurse", False)] if latest else [])
    rows: list[tuple[str, ...]] = []
    for index, (username, employee_id, roles, privileged) in enumerate(people):
        person = roster[employee_id]
        disabled = _disabled(person, username, EHR) if latest else None
        login = _last_login(taken_at, index)
        if employee_id == "E1034":
            login = on_leave
        if disabled is not None:
            login = min(login, disabled - timedelta(hours=2))
        created = person.hire_date if employee_id != JOINER else taken_at.date() - timedelta(days=3)
        rows.append(
            (username, person.email, employee_id, person.full_name, roles, "Disabled" if disabled else "Active",
             _when(login), "Yes", f"{created:%Y-%m-%d}", "Yes" if privileged else "No", _when(disabled), "User")
        )  # fmt: skip
    rows.append(
        ("frontdesk", "", "", "Front Desk", "Front Desk", "Active", _when(_last_login(taken_at, 1)), "No",
         "2019-05-01", "No", "", "Shared")
    )  # fmt: skip
    rows.append(
        ("svc-labinterface", "", "", "Lab interface (HL7)", "Interface", "Active", _when(taken_at - timedelta(hours=1)),
         "No", "2020-02-10", "No", "", "Service")
    )  # fmt: skip
    if not latest:
        martin = roster["E0990"]
        ended = martin.termination_at or taken_at
        rows.append(
            ("mlopez", martin.email, "E0990", martin.full_name, "Front Desk", "Active",
             _when(ended - timedelta(hours=26)), "Yes", f"{martin.hire_date:%Y-%m-%d}", "No", "", "User")
        )  # fmt: skip
    return rows


def _pm_rows(roster: dict[str, Person], taken_at: datetime, on_leave: datetime, latest: bool) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for index, (login, employee_id, groups, admin, mfa) in enumerate(PM_PEOPLE):
        person = roster[employee_id]
        disabled = _disabled(person, login, PM) if latest else None
        seen = _last_login(taken_at, index + 3)
        if employee_id == "E1034":
            seen = on_leave - timedelta(hours=3)
        if disabled is not None:
            seen = min(seen, disabled - timedelta(hours=2))
        rows.append(
            (login, person.full_name, person.email, PM_GROUPS_NOW.get(login, groups) if latest else groups,
             "false" if disabled else "true", _when(seen), mfa, "yes" if admin else "no",
             f"{person.hire_date:%Y-%m-%d}", _when(disabled))
        )  # fmt: skip
    # A name match waiting for confirmation (no email in this list) and the backup job's account.
    rows.append(("fatima.z", "Fatima Zahra", "", "Billing", "true", _when(_last_login(taken_at, 2)), "Yes", "no",
                 f"{roster['E1042'].hire_date:%Y-%m-%d}", ""))  # fmt: skip
    rows.append(("svc_backup", "Nightly backup job", "", "Reports", "true", _when(taken_at - timedelta(hours=6)),
                 "No", "no", "2020-02-10", ""))  # fmt: skip
    if latest:  # an agency temp's login nobody removed: nobody on the roster matches it
        started = taken_at - timedelta(days=40)
        rows.append(("kwilson", "Kim Wilson", "kim.wilson@staffing-agency.example", "Scheduling", "true",
                     _when(taken_at - timedelta(days=12)), "No", "no", f"{started:%Y-%m-%d}", ""))  # fmt: skip
    return rows


def _import_lists(organization: Organization, actor: Actor, day: Days, *, latest: bool) -> None:
    roster = {person.employee_id: person for person in Person.objects.filter(organization=organization)}
    taken_at = at(day(LATEST_LIST_DAYS), 8) if latest else at(day(FIRST_LIST_DAYS), 9)
    on_leave = at(day(ON_LEAVE_SINCE_DAYS), 12)
    stamp = f"{taken_at:%Y-%m-%d}"
    ehr_rows = _ehr_rows(roster, taken_at, on_leave, latest)
    _import_list(organization, actor, EHR, EHR_HEADERS, ehr_rows, taken_at, f"ehr-users-{stamp}.csv")
    pm_rows = _pm_rows(roster, taken_at, on_leave, latest)
    _import_list(organization, actor, PM, PM_HEADERS, pm_rows, taken_at, f"pm-users-{stamp}.csv")


def _import_list(
    organization: Organization,
    actor: Actor,
    system: str,
    headers: Sequence[str],
    rows: list[tuple[str, ...]],
    taken_at: datetime,
    file_name: str,
) -> None:
    """As the official would upload the export: the columns guessed from its headers, then committed."""
    importer = importer_for(KIND)
    table = read_table("".join(csv_lines(headers, rows)).encode(), "csv")
    mapping = importer.guess_mapping(table.headers)
    if len(mapping) != len(headers):
        raise RuntimeError(f"The account importer no longer recognises the demo's columns: {sorted(mapping)}.")
    options = importer.clean_options(organization, {"system": system, "taken_at": taken_at})
    import_apply(
        organization=organization,
        actor=actor,
        importer=importer,
        table=table,
        mapping=mapping,
        options=options,
        file_name=file_name,
    )


# ---- workflows: the access steps ------------------------------------------------------------------------------


def _access_steps(organization: Organization, official: Actor, day: Days) -> None:
    """The joiner's EHR access is provisioned (the practice management one is still to do); the mover's practice
    management groups were changed, the EHR ones were not."""
    open_tasks = WorkflowTask.objects.filter(organization=organization, workflow__status=Workflow.Status.OPEN)
    for employee_id, kind, system, when, note in (
        (JOINER, WorkflowTask.Kind.PROVISION, EHR, at(day(13), 9), "Nurse role created in the EHR admin console."),
        (MOVER, WorkflowTask.Kind.CHANGE_ACCESS, PM, at(day(22), 14), "Clinical group removed, Billing added."),
    ):
        task = open_tasks.get(workflow__person__employee_id=employee_id, kind=kind, title__contains=system)
        task_complete(organization=organization, actor=official, task=task, effective_at=when, note=note, now=when)


# ---- access reviews ---------------------------------------------------------------------------------------------


def _campaign(organization: Organization, actor: Actor, started: date) -> ReviewCampaign:
    """Started as the official would on that day; prepared here rather than by the queued task, which then finds
    it prepared and does nothing."""
    campaign = campaign_start(
        organization=organization,
        actor=actor,
        title=f"Quarterly access review ({started:%B %Y})",
        system_ids=None,
        roster_as_of=started,
        now=at(started, 9),
    )
    campaign_prepare_run(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    return campaign


def _decide(
    organization: Organization,
    campaign: ReviewCampaign,
    decisions: dict[str, tuple[str, str]],
    day: date,
    *,
    only: Sequence[str] | None = None,
) -> None:
    """Each account with findings decided by its reviewer, with the reason; `only` limits it to those names."""
    items = ReviewItem.objects.filter(campaign=campaign).select_related("reviewer", "campaign").order_by("pk")
    for item in items.filter(finding_count__gt=0) if only is None else items.filter(username__in=only):
        decision, comment = decisions.get(item.username, ("keep", FALLBACK_COMMENT))
        item_decide(
            organization=organization,
            actor=Actor(user=item.reviewer),
            item=item,
            decision=decision,
            comment=comment,
            today=day,
        )


def _reviewers(campaign: ReviewCampaign) -> list[User]:
    ids = ReviewItem.objects.filter(campaign=campaign).values("reviewer_id")
    return list(User.objects.filter(pk__in=ids).order_by("email"))


def _last_review(organization: Organization, people: dict[str, User], day: Days) -> None:
    """Last quarter's review: every item decided by its reviewer, the revocation carried out, both reviewers
    attested, closed by the official; the authorizations and the evidence package follow (inline here, as the
    task would do them)."""
    official = Actor(user=people["official"])
    campaign = _campaign(organization, official, day(LAST_REVIEW_DAYS))
    _decide(organization, campaign, LAST_DECISIONS, day(LAST_REVIEW_DAYS - 1))
    for reviewer in _reviewers(campaign):
        items_decide_bulk(organization=organization, actor=Actor(user=reviewer), campaign=campaign)
    for item in ReviewItem.objects.filter(campaign=campaign, decision=ReviewItem.Decision.REVOKE):
        revocation_done(
            organization=organization,
            actor=official,
            item=item,
            revoked_at=at(day(LAST_REVIEW_DAYS - 2), 15),
            note="Disabled in the EHR admin console (ticket IT-2231).",
        )
    for reviewer in _reviewers(campaign):
        reviewer_attest(organization=organization, actor=Actor(user=reviewer), campaign=campaign)
    campaign_close(organization=organization, actor=official, campaign=campaign)
    campaign_finish(campaign_id=campaign.pk)


def _current_review(organization: Organization, people: dict[str, User], day: Days) -> None:
    """This quarter's review, partly decided: the owner kept her reports' accounts that raised nothing; the
    official decided three of the accounts with findings."""
    campaign = _campaign(organization, Actor(user=people["official"]), day(CURRENT_REVIEW_DAYS))
    items_decide_bulk(organization=organization, actor=Actor(user=people["owner"]), campaign=campaign)
    _decide(organization, campaign, CURRENT_DECISIONS, day(CURRENT_REVIEW_DAYS - 1), only=list(CURRENT_DECISIONS))


# ---- break-glass ------------------------------------------------------------------------------------------------


def _break_glass(
    organization: Organization,
    people: dict[str, User],
    systems: dict[str, System],
    roster: dict[str, Person],
    day: Days,
) -> None:
    official = Actor(user=people["official"])
    ehr = breakglass_account_create(
        organization=organization,
        actor=official,
        system=systems[EHR],
        username="ehr-breakglass",
        purpose="EHR single sign-on outage, or an emergency when the treating clinician cannot sign in.",
        custodians=[people["owner"], people["official"]],
        review_hours=24,
    )
    # The custodian on duty records a use; someone else reviews it.
    custodian = Actor(user=people["owner"])
    used = activation_record(
        organization=organization,
        actor=custodian,
        account=ehr,
        started_at=at(day(40), 8, 5),
        ended_at=at(day(40), 9, 20),
        used_by=roster["E1020"],
        reason="Single sign-on outage during the morning clinic; the allergy list was needed for a patient in room 3.",
        records_accessed="One patient chart (MRN on the paper downtime log).",
        now=at(day(40), 9, 30),
    )
    activation_review(
        organization=organization,
        actor=official,
        activation=used,
        justified=True,
        notes="Matched the EHR access log to the downtime log: one chart opened, by Dr. Haddad. Password rotated.",
        reviewed_at=at(day(40), 15),
    )
    # Reviewed within 48 hours: the practice manager, a custodian, works three days a week.
    pm = breakglass_account_create(
        organization=organization,
        actor=official,
        system=systems[PM],
        username="pm-emergency",
        purpose="The front-desk PCs cannot reach the server's sign-in and patients are waiting to check in.",
        custodians=[people["official"], people["privacy"]],
        review_hours=48,
    )
    activation_record(
        organization=organization,
        actor=Actor(user=people["privacy"]),
        account=pm,
        started_at=at(day(1), 18, 30),
        ended_at=at(day(1), 19, 5),
        used_by=roster["E1030"],
        reason="The front-desk PCs lost the domain sign-in during the evening clinic.",
        now=at(day(1), 19, 15),
    )
