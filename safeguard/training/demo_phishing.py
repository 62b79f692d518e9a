"""The demo's three phishing simulations as their tools exported them: GoPhish's raw-events CSV, another vendor's
CSV and GoPhish's JSON API answer. Pure file building: safeguard/training/demo.py imports them through the
importers, as the security official would.

Who was sent each email is who was on the roster and at work that day (the workforce demo's hire and termination
dates, Aisha Rahman's leave, Luis Romero only once he works in billing, so the results' departments stay true).
What each recipient did is spread over the morning by a fixed rule: the files are the same for a given day.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from safeguard.access.demo import ON_LEAVE_SINCE_DAYS
from safeguard.core.demo import DEMO_DOMAIN
from safeguard.core.tabular import JSON, csv_lines
from safeguard.training.phishing_import import KIND_EVENTS, KIND_GENERIC, KIND_JSON
from safeguard.workforce.demo import MOVER, at
from safeguard.workforce.models import Person
from safeguard.workforce.models.people import default_time_zone

MOVED_DAYS_AGO = 25  # Luis Romero's move from nursing to billing (workforce demo: roster_changes)
ON_LEAVE = "E1034"  # Aisha Rahman
VENDOR = "Acme Awareness"
SHARED_MAILBOX = f"frontdesk@{DEMO_DOMAIN}"  # in the first simulation's target group; on nobody's roster row
IMPORT_AFTER_DAYS = 3


@dataclass(frozen=True)
class Simulation:
    kind: str
    name: str
    days_ago: int  # launched at 9:00 that day; the results imported IMPORT_AFTER_DAYS later
    lure: str
    clicked: tuple[str, ...]
    reported: tuple[str, ...]
    submitted: tuple[str, ...] = ()
    followed_up: dict[str, int] = field(default_factory=dict)  # clicker → days after the click they did SEC-501
    gophish_id: str = ""


SIMULATIONS = (
    Simulation(
        KIND_EVENTS,
        "Shared document notification",
        160,
        "A “document shared with you” email from a look-alike file-sharing domain; the link asked for the clinic "
        "email password.",
        clicked=("E1041", "E1031", "E1013", "E1000"),
        submitted=("E1041",),
        reported=("E1002", "E1051", "E1003", "E1011", "E1025"),
        followed_up={"E1041": 8, "E1031": 10, "E1013": 9, "E1000": 11},
        gophish_id="12",
    ),
    Simulation(
        KIND_GENERIC,
        "Payroll update",
        95,
        "“Confirm your direct deposit details before Friday's payroll”, sent from an outside address.",
        clicked=("E1041", "E1033", "E1015"),
        reported=("E1002", "E1051", "E1003", "E1011", "E1025", "E1030", "E1040", "E1020", "E1001"),
        followed_up={"E1041": 5, "E1033": 7, "E1015": 6},
    ),
    Simulation(
        KIND_JSON,
        "Parcel delivery notice",
        9,
        "A missed-delivery notice asking to reschedule through a link.",
        clicked=("E1042", "E1024"),
        reported=(
            "E1002",
            "E1051",
            "E1003",
            "E1011",
            "E1025",
            "E1030",
            "E1040",
            "E1020",
            "E1001",
            "E1010",
            "E1021",
            "E1013",
        ),  # fmt: skip
        followed_up={"E1042": 5},  # Ben Carter's follow-up is still open
        gophish_id="15",
    ),
)


@dataclass(frozen=True)
class Recipient:
    email: str
    first_name: str
    last_name: str
    department: str
    position: str
    sent: datetime
    opened: datetime | None
    clicked: datetime | None
    submitted: datetime | None
    reported: datetime | None


@dataclass(frozen=True)
class ResultsFile:
    data: bytes
    file_format: str
    file_name: str
    options: dict[str, Any]


def _targets(simulation: Simulation, roster: dict[str, Person], day: date) -> list[tuple[str, Person | None]]:
    chosen: list[tuple[str, Person | None]] = []
    for employee_id, person in sorted(roster.items()):
        left = person.termination_at is not None and timezone.localdate(person.termination_at) <= day
        on_leave = employee_id == ON_LEAVE and simulation.days_ago < ON_LEAVE_SINCE_DAYS
        moved = employee_id == MOVER and simulation.days_ago > MOVED_DAYS_AGO
        if person.hire_date is None or person.hire_date > day or left or on_leave or moved:
            continue
        chosen.append((employee_id, person))
    if simulation.kind == KIND_EVENTS:
        chosen.append(("", None))
    return chosen


def recipients(simulation: Simulation, roster: dict[str, Person], today: date) -> list[Recipient]:
    """Each recipient and what they did, a few seconds to a few hours after the launch."""
    day = today - timedelta(days=simulation.days_ago)
    launched = at(day, 9)
    found = []
    for index, (employee_id, person) in enumerate(_targets(simulation, roster, day)):
        sent = launched + timedelta(seconds=15 * index)
        clicked, reported = employee_id in simulation.clicked, employee_id in simulation.reported
        opened = sent + timedelta(minutes=6 + index * 13 % 170) if clicked or reported or index % 3 else None
        click = opened + timedelta(minutes=1 + index % 9) if clicked and opened else None
        found.append(
            Recipient(
                email=person.email if person else SHARED_MAILBOX,
                first_name=person.given_name if person else "Front",
                last_name=person.family_name if person else "Desk",
                department=person.department if person else "Front Desk",
                position=person.job_role if person else "Shared mailbox",
                sent=sent,
                opened=opened,
                clicked=click,
                submitted=click + timedelta(minutes=2) if click and employee_id in simulation.submitted else None,
                reported=opened + timedelta(minutes=3 + index * 11 % 55) if reported and opened else None,
            )
        )
    return found


def _time(moment: datetime) -> str:
    """As GoPhish writes times: RFC 3339 with the offset."""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _events(recipient: Recipient) -> list[tuple[datetime, str, str, str]]:
    """A recipient's GoPhish timeline: (time, email, message, details). What was typed is never kept."""
    browser = json.dumps({"browser": {"address": "203.0.113.24", "user-agent": "Mozilla/5.0"}})
    steps = [
        (recipient.sent, "Email Sent", ""),
        (recipient.opened, "Email Opened", browser),
        (recipient.clicked, "Clicked Link", browser),
        (recipient.submitted, "Submitted Data", browser),
        (recipient.reported, "Email Reported", browser),
    ]
    return [(moment, recipient.email, message, details) for moment, message, details in steps if moment is not None]


def _timeline(found: list[Recipient]) -> list[tuple[datetime, str, str, str]]:
    return sorted(event for recipient in found for event in _events(recipient))


def _status(recipient: Recipient) -> str:
    if recipient.submitted:
        return "Submitted Data"
    if recipient.clicked:
        return "Clicked Link"
    return "Email Opened" if recipient.opened else "Email Sent"


def _events_csv(simulation: Simulation, found: list[Recipient], created: datetime) -> bytes:
    rows = [(simulation.gophish_id, "", _time(created), "Campaign Created", "")]
    for moment, email, message, details in _timeline(found):
        rows.append((simulation.gophish_id, email, _time(moment), message, details))
    return "".join(csv_lines(("campaign_id", "email", "time", "message", "details"), rows)).encode()


def _vendor_csv(found: list[Recipient]) -> bytes:
    headers = ("Email", "First Name", "Last Name", "Department", "Result", "Reported", "Delivered At", "Opened At",
               "Clicked At", "Data Entered At", "Reported At")  # fmt: skip

    def local(moment: datetime | None) -> str:
        return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S}" if moment else ""

    results = {"Submitted Data": "Data entered", "Clicked Link": "Clicked", "Email Opened": "Opened"}
    rows = [
        (r.email, r.first_name, r.last_name, r.department, results.get(_status(r), "No action"),
         "Yes" if r.reported else "No", local(r.sent), local(r.opened), local(r.clicked), local(r.submitted),
         local(r.reported))
        for r in found
    ]  # fmt: skip
    return "".join(csv_lines(headers, rows)).encode()


def _result(recipient: Recipient) -> dict[str, Any]:
    steps = (recipient.sent, recipient.opened, recipient.clicked, recipient.submitted, recipient.reported)
    return {
        "id": hashlib.sha256(recipient.email.encode()).hexdigest()[:7],
        "status": _status(recipient),
        "ip": "",
        "latitude": 0,
        "longitude": 0,
        "send_date": _time(recipient.sent),
        "reported": recipient.reported is not None,
        "modified_date": _time(max(moment for moment in steps if moment is not None)),
        "email": recipient.email,
        "first_name": recipient.first_name,
        "last_name": recipient.last_name,
        "position": recipient.position,
    }


def _campaign_json(simulation: Simulation, found: list[Recipient], created: datetime) -> bytes:
    timeline = [{"email": "", "time": _time(created), "message": "Campaign Created", "details": ""}]
    timeline += [
        {"email": email, "time": _time(moment), "message": message, "details": details}
        for moment, email, message, details in _timeline(found)
    ]
    campaign = {
        "id": int(simulation.gophish_id),
        "name": simulation.name,
        "created_date": _time(created),
        "launch_date": _time(created + timedelta(minutes=5)),
        "status": "Completed",
        "results": [_result(recipient) for recipient in found],
        "timeline": timeline,
    }
    return json.dumps(campaign, indent=2).encode()


def results_file(simulation: Simulation, roster: dict[str, Person], today: date) -> ResultsFile:
    """The file the security official imports, with the import's options."""
    day = today - timedelta(days=simulation.days_ago)
    found, created = recipients(simulation, roster, today), at(day, 8, 55)
    if simulation.kind == KIND_EVENTS:
        name = f"gophish-events-{day:%Y-%m-%d}.csv"
        return ResultsFile(_events_csv(simulation, found, created), "csv", name, {"name": simulation.name})
    if simulation.kind == KIND_GENERIC:
        options = {"name": simulation.name, "vendor": VENDOR, "time_zone": default_time_zone()}
        return ResultsFile(_vendor_csv(found), "csv", f"acme-awareness-results-{day:%Y-%m-%d}.csv", options)
    return ResultsFile(_campaign_json(simulation, found, created), JSON, f"gophish-{day:%Y-%m-%d}.json", {})
