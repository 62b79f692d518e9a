"""The workforce part of the demo organization: a 29-person roster loaded from an HR export (the demo users are the
managers, so the owner and the security official review their reports' access), badges and devices, clearances
and authorizations; then, at the access demo's call, the roster changes of the last month: a mover, two leavers
and a joiner. Written through the roster importer and the services, like the rest of the demo.

The roster changes wait for the access demo because a leaver's workflow plans one task per account the person
holds in the systems' latest account lists: the first lists must be imported before anyone leaves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.demo import DEMO_DOMAIN, demo_extension
from safeguard.core.imports import importer_for
from safeguard.core.models import Organization, User
from safeguard.core.services.file_imports import import_apply
from safeguard.core.tabular import csv_lines, read_table
from safeguard.workforce.models import IssuedItem, Person, Workflow, WorkflowTask
from safeguard.workforce.models.people import default_time_zone
from safeguard.workforce.roster_import import KIND
from safeguard.workforce.services.people import person_write
from safeguard.workforce.services.roster import item_issue, roster_source_create
from safeguard.workforce.services.tasks import authorization_enter, clearance_record, task_complete

SOURCE_NAME = "Payroll and HR export"
HEADERS = (
    "Employee ID",
    "First Name",
    "Last Name",
    "Work Email",
    "Department",
    "Job Title",
    "Manager",
    "Employee Type",
    "Hire Date",
    "Termination Date",
    "Status",
)
OWNER, OFFICIAL, PRIVACY, NURSE = (f"{local}@{DEMO_DOMAIN}" for local in ("owner", "official", "privacy", "nurse"))
# Departments whose role profiles require a background check before the first access (see access/demo.py).
CLEARED = ("Clinical", "Nursing", "IT", "Lab")
NO_ACCESS = ("E1000", "E1060")  # the managing partner and the volunteer hold no account in any ePHI system


@dataclass(frozen=True)
class Row:
    employee_id: str
    given: str
    family: str
    department: str
    job_title: str
    manager: str  # as the export writes it: a manager's work email or employee ID
    employee_type: str
    hired_days_ago: int
    email: str = ""  # the demo users' own addresses; everyone else's is given.family@
    status: str = "Active"
    terminated_days_ago: int | None = None

    @property
    def work_email(self) -> str:
        if self.email:
            return self.email
        local = f"{self.given}.{self.family}".lower().replace("'", "").replace(" ", "")
        return f"{local}@{DEMO_DOMAIN}"


ROSTER = (
    Row("E1000", "Margaret", "Cole", "Administration", "Managing Partner", "", "Full-time", 4400),
    Row("E1001", "Olivia", "Ortega", "Administration", "Medical Director", "E1000", "Full-time", 3900, OWNER),
    Row("E1002", "Sam", "Okafor", "IT", "IT and Security Lead", OWNER, "Full-time", 2100, OFFICIAL),
    Row("E1003", "Priya", "Nair", "Administration", "Practice Manager", OWNER, "Full-time", 2600, PRIVACY),
    Row("E1010", "Noah", "Fischer", "Nursing", "Registered Nurse", OWNER, "Full-time", 1500, NURSE),
    Row("E1011", "Grace", "Kim", "Nursing", "Registered Nurse", OWNER, "Full-time", 2300),
    Row("E1012", "Luis", "Romero", "Nursing", "Registered Nurse", OWNER, "Full-time", 1200),
    Row("E1013", "Hannah", "Weber", "Nursing", "Medical Assistant", OWNER, "Full-time", 900),
    Row("E1014", "Marcus", "Bell", "Nursing", "Medical Assistant", OWNER, "Full-time", 700),
    Row("E1015", "Chloe", "Dubois", "Nursing", "Medical Assistant", OWNER, "Part-time", 400),
    Row("E1016", "Owen", "Clarke", "Nursing", "Student Nurse", OWNER, "Student", 120),
    Row("E1020", "Amir", "Haddad", "Clinical", "Physician", OWNER, "Full-time", 3000),
    Row("E1021", "Elena", "Petrova", "Clinical", "Physician", OWNER, "Full-time", 1800),
    Row("E1022", "Kwame", "Mensah", "Clinical", "Physician", OWNER, "Locum", 200),
    Row("E1023", "Julia", "Santos", "Clinical", "Nurse Practitioner", OWNER, "Full-time", 1100),
    Row("E1024", "Ben", "Carter", "Clinical", "Physician Assistant", OWNER, "Full-time", 650),
    Row("E1025", "Rosa", "Martinez", "Lab", "Lab Technician", OWNER, "Full-time", 1000),
    Row("E1030", "Maya", "Patel", "Front Desk", "Front Desk Lead", PRIVACY, "Full-time", 1700),
    Row("E1031", "Tom", "Nguyen", "Front Desk", "Receptionist", "E1030", "Full-time", 950),
    Row("E1032", "Sara", "Johansson", "Front Desk", "Receptionist", "E1030", "Part-time", 600),
    Row("E1033", "Diego", "Alvarez", "Front Desk", "Scheduler", "E1030", "Full-time", 850),
    Row("E1034", "Aisha", "Rahman", "Front Desk", "Receptionist", "E1030", "Part-time", 1300, status="LOA"),
    Row("E1040", "Dana", "Reyes", "Billing", "Billing Specialist", PRIVACY, "Full-time", 1400),
    Row("E1041", "Kevin", "O'Brien", "Billing", "Billing Specialist", PRIVACY, "Full-time", 800),
    Row("E1042", "Fatima", "Zahra", "Billing", "Coding Specialist", PRIVACY, "Full-time", 500),
    Row("E1050", "Ivan", "Sokolov", "IT", "IT Technician", OFFICIAL, "Agency", 300),
    Row("E1051", "Lena", "Hoffmann", "IT", "Systems Administrator", OFFICIAL, "Full-time", 1300),
    Row("E1060", "Yuki", "Tanaka", "Volunteers", "Patient Greeter", "E1030", "Volunteer", 150),
    # Left seven months ago, before Safeguard: recorded without a workflow. The first EHR list still shows them.
    Row(
        "E0990",
        "Martin",
        "Lopez",
        "Front Desk",
        "Receptionist",
        "E1030",
        "Full-time",
        2000,
        status="Terminated",
        terminated_days_ago=210,
    ),
)
# The roster changes of the last month, in days before today (see roster_changes).
MOVER = "E1012"  # Luis Romero: Nursing → Billing, 25 days ago
LEAVER_ON_TIME = "E1014"  # Marcus Bell: left 20 days ago; accounts disabled within hours, badge returned
LEAVER_LATE = "E1023"  # Julia Santos: left 12 days ago; the EHR account was disabled after 30 h; laptop still out
JOINER = "E1070"  # Zoe Adams: registered nurse, starts 14 days ago
ITEMS = (
    (LEAVER_ON_TIME, IssuedItem.Kind.BADGE, "B-1014"),
    (LEAVER_LATE, IssuedItem.Kind.DEVICE, "Laptop LT-0231 (serial 5CG2041XYZ)"),
    (LEAVER_LATE, IssuedItem.Kind.BADGE, "B-1023"),
    ("E1020", IssuedItem.Kind.DEVICE, "Laptop LT-0107 (serial 5CG1938ABC)"),
    ("E1021", IssuedItem.Kind.DEVICE, "Laptop LT-0188 (serial 5CG2012DEF)"),
    ("E1002", IssuedItem.Kind.KEY, "Server closet key K-02"),
    ("E1002", IssuedItem.Kind.TOKEN, "Hardware security key YK-17"),
    ("E1030", IssuedItem.Kind.KEY, "Front door key K-11"),
)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time on `day` in the installation's zone (office hours: never a daylight-saving gap)."""
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


def roster_csv(today: date) -> bytes:
    rows = []
    for row in ROSTER:
        ended = today - timedelta(days=row.terminated_days_ago) if row.terminated_days_ago is not None else None
        rows.append(
            (
                row.employee_id,
                row.given,
                row.family,
                row.work_email,
                row.department,
                row.job_title,
                row.manager,
                row.employee_type,
                f"{today - timedelta(days=row.hired_days_ago):%Y-%m-%d}",
                f"{ended:%Y-%m-%d}" if ended else "",
                row.status,
            )
        )
    return "".join(csv_lines(HEADERS, rows)).encode()


def import_roster(organization: Organization, actor: Actor, today: date) -> None:
    """The initial load, as the security official would upload the export: mapping guessed from the headers."""
    source = roster_source_create(
        organization=organization, actor=actor, name=SOURCE_NAME, time_zone=default_time_zone()
    )
    importer = importer_for(KIND)
    table = read_table(roster_csv(today), "csv")
    mapping = importer.guess_mapping(table.headers)
    if len(mapping) != len(HEADERS):
        raise RuntimeError(f"The roster importer no longer recognises the demo's columns: {sorted(mapping)}.")
    options = importer.clean_options(organization, {"source": str(source.public_id), "initial_load": True})
    import_apply(
        organization=organization,
        actor=actor,
        importer=importer,
        table=table,
        mapping=mapping,
        options=options,
        file_name=f"hr-export-{today:%Y-%m-%d}.csv",
    )


@demo_extension
def workforce_demo(organization: Organization, people: dict[str, User], today: date) -> None:
    official = Actor(user=people["official"])
    import_roster(organization, official, today)
    by_id = {p.employee_id: p for p in Person.objects.filter(organization=organization).select_related("manager")}
    for employee_id, kind, label in ITEMS:
        hired = by_id[employee_id].hire_date
        item_issue(
            organization=organization,
            actor=official,
            person=by_id[employee_id],
            kind=kind,
            label=label,
            issued_on=hired,
        )
    members = {user.email: user for user in people.values()}
    for person in by_id.values():
        if person.status == Person.Status.TERMINATED or person.employee_id in NO_ACCESS or person.hire_date is None:
            continue
        # Nobody records their own clearance or authorization: the owner enters the official's.
        own = person.email.lower() == people["official"].email.lower()
        entered_by = Actor(user=people["owner"]) if own else official
        if person.department in CLEARED:
            clearance_record(
                organization=organization,
                actor=entered_by,
                person=person,
                result="passed",
                completed_on=person.hire_date - timedelta(days=10),
                note="Criminal background and OIG exclusion check by the screening vendor.",
                today=today,
            )
        manager = person.manager
        approver = members.get(manager.email) if manager is not None else None
        authorization_enter(
            organization=organization,
            actor=entered_by,
            person=person,
            authorized_by=approver or people["owner" if own else "official"],
            authorized_on=person.hire_date,
            note=f"Access for a {person.job_role} approved on the signed onboarding form (HR file).",
            now=at(today, 8),
        )


def _tasks(person: Person, kind: str) -> list[WorkflowTask]:
    workflow = Workflow.objects.filter(person=person, kind=kind).order_by("-opened_at").first()
    return list(workflow.tasks.order_by("position", "pk")) if workflow else []


def _done(
    organization: Organization,
    actor: Actor,
    task: WorkflowTask,
    when: datetime,
    note: str = "",
    *,
    clearance_result: str | None = None,
    completed_on: date | None = None,
) -> None:
    task_complete(
        organization=organization,
        actor=actor,
        task=task,
        effective_at=when,
        note=note,
        clearance_result=clearance_result,
        completed_on=completed_on,
        now=when,
    )


def roster_changes(organization: Organization, people: dict[str, User], today: date) -> None:
    """The last month's changes, each written when it happened: HR's records entered through the roster service,
    and the workforce steps done since (the access demo does the access steps)."""
    official, owner, privacy = (Actor(user=people[name]) for name in ("official", "owner", "privacy"))
    by_id = {p.employee_id: p for p in Person.objects.filter(organization=organization)}
    trigger = f"Entered by hand by {people['official'].email}"

    def day(days_ago: int) -> date:
        return today - timedelta(days=days_ago)

    mover, _ = person_write(
        organization=organization,
        actor=official,
        person=by_id[MOVER],
        values={"department": "Billing", "job_role": "Billing Specialist", "manager": by_id["E1003"]},
        source=Person.Source.MANUAL,
        trigger=trigger,
        now=at(day(25), 9, 30),
    )
    for task in _tasks(mover, Workflow.Kind.MOVER):
        if task.kind == WorkflowTask.Kind.AUTHORIZE:  # the new manager approves the billing access
            _done(organization, privacy, task, at(day(24), 10))

    leaving = _leave(organization, official, by_id[LEAVER_ON_TIME], at(day(20), 17), trigger)
    for task in _tasks(leaving, Workflow.Kind.LEAVER):
        if task.kind == WorkflowTask.Kind.RECOVER:
            _done(organization, official, task, at(day(20), 17, 10), note="Badge handed back at the exit interview.")

    joiner, _ = person_write(
        organization=organization,
        actor=official,
        person=None,
        values={
            "employee_id": JOINER,
            "given_name": "Zoe",
            "family_name": "Adams",
            "email": f"zoe.adams@{DEMO_DOMAIN}",
            "department": "Nursing",
            "job_role": "Registered Nurse",
            "manager": by_id["E1001"],
            "hire_date": day(14),
        },
        source=Person.Source.MANUAL,
        trigger=trigger,
        now=at(day(16), 9),
    )
    item_issue(
        organization=organization,
        actor=official,
        person=joiner,
        kind=IssuedItem.Kind.BADGE,
        label="B-1070",
        issued_on=day(14),
    )
    _joiner_steps(organization, official, owner, joiner, day)
    late = _leave(organization, official, by_id[LEAVER_LATE], at(day(12), 17), trigger)
    badge = IssuedItem.objects.get(person=late, kind=IssuedItem.Kind.BADGE)
    for task in _tasks(late, Workflow.Kind.LEAVER):
        if task.subject_key == f"item:{badge.pk}":  # the laptop is still out
            _done(organization, official, task, at(day(12), 17, 30), note="Badge left at the front desk.")


def _leave(organization: Organization, actor: Actor, person: Person, ended: datetime, trigger: str) -> Person:
    """HR records the termination twenty minutes after it took effect; the leaver workflow opens then."""
    left, _ = person_write(
        organization=organization,
        actor=actor,
        person=person,
        values={"termination_at": ended},
        source=Person.Source.MANUAL,
        trigger=trigger,
        now=ended + timedelta(minutes=20),
    )
    return left


def _joiner_steps(
    organization: Organization, official: Actor, owner: Actor, joiner: Person, day: Callable[[int], date]
) -> None:
    """Authorization, clearance, sanction policy and training done before the start date; the security policy
    acknowledgement is still open (provisioning is the access demo's)."""
    for task in _tasks(joiner, Workflow.Kind.JOINER):
        kind = task.kind
        if kind == WorkflowTask.Kind.AUTHORIZE:
            _done(organization, owner, task, at(day(15), 11), note="Standard nursing access.")
        elif kind == WorkflowTask.Kind.CLEARANCE:
            _done(
                organization,
                official,
                task,
                at(day(15), 14),
                clearance_result="passed",
                completed_on=day(17),
                note="Background check and licence verification came back clear.",
            )
        elif kind == WorkflowTask.Kind.ACK_SANCTION:
            _done(organization, official, task, at(day(14), 9))
        elif kind == WorkflowTask.Kind.TRAINING:
            _done(organization, official, task, at(day(14), 16), note="HIPAA security awareness module, 45 min.")
