"""Helpers the phishing tests share: GoPhish's three exports and another vendor's file built from rows, running an
import the way the pipeline does, and the hand-computed "Spring lure" campaign. No tests live here.

The Spring lure (10 recipients; 8 on the roster, 5 in Nursing and 3 in Billing; 2 matched to nobody), launched
2026-03-02 09:00 New York time (14:00 UTC):

    email              dept     events after the send (minutes)                    status     reported (delay)
    a@clinic.test      Nursing  opened 10, clicked 12 and 30, submitted 13         submitted  no
    b@clinic.test      Nursing  opened 20, clicked 21, reported 25                 clicked    yes (25 min)
    c@clinic.test      Nursing  opened 5, reported 15                              opened     yes (15 min)
    d@clinic.test      Nursing  reported 60                                        sent       yes (60 min)
    e@clinic.test      Nursing  opened 30                                          opened     no
    f@clinic.test      Billing  -                                                  sent       no
    g@clinic.test      Billing  the email could not be sent                        error      no
    h@clinic.test      Billing  clicked 120 (never "opened")                       clicked    no
    x@elsewhere.test   -        reported 5                                         sent       yes (5 min)
    y@elsewhere.test   -        opened 1, clicked 2, submitted 3                   submitted  no

By hand: 9 delivered (all but g); opened or further 6 (a b c e h y) = 66.7 %; clicked or submitted 4 (a b h y) =
44.4 %; submitted 2 (a y) = 22.2 %; reported 4 (b c d x) = 44.4 %; delays 5, 15, 25, 60 min → median 20 min;
2 not on the roster. Nursing: 5 delivered, 2 clicked (40 %), 3 reported (60 %). Billing: 2 delivered (f h), 1 clicked
(50 %), none reported. No department: 2 delivered, 1 clicked, 1 reported.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from safeguard.core import tabular
from safeguard.core.audit import Actor
from safeguard.core.imports import CheckedFile, Outcome, importer_for
from safeguard.core.models import Organization, User
from safeguard.core.services.file_imports import check_table, import_apply
from safeguard.training.phishing_import import KIND_EVENTS, KIND_JSON
from tests import access_factories as make

NEW_YORK = ZoneInfo("America/New_York")
LAUNCH = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
JSON_NOW = datetime(2026, 6, 1, tzinfo=UTC)  # "now" for reading rows: after the Spring lure
RESULTS_HEADER = [
    "id",
    "status",
    "ip",
    "latitude",
    "longitude",
    "send_date",
    "reported",
    "modified_date",
    "email",
    "first_name",
    "last_name",
    "position",
]
EVENTS_HEADER = ["campaign_id", "email", "time", "message", "details"]
SPRING: dict[str, list[tuple[str, int]]] = {
    "a@clinic.test": [("Email Opened", 10), ("Clicked Link", 12), ("Submitted Data", 13), ("Clicked Link", 30)],
    "b@clinic.test": [("Email Opened", 20), ("Clicked Link", 21), ("Email Reported", 25)],
    "c@clinic.test": [("Email Opened", 5), ("Email Reported", 15)],
    "d@clinic.test": [("Email Reported", 60)],
    "e@clinic.test": [("Email Opened", 30)],
    "f@clinic.test": [],
    "g@clinic.test": None,  # type: ignore[dict-item]  # the sending failed
    "h@clinic.test": [("Clicked Link", 120)],
    "x@elsewhere.test": [("Email Reported", 5)],
    "y@elsewhere.test": [("Email Opened", 1), ("Clicked Link", 2), ("Submitted Data", 3)],
}
SPRING_STATUS = {
    "a@clinic.test": "Submitted Data",
    "b@clinic.test": "Clicked Link",
    "c@clinic.test": "Email Opened",
    "d@clinic.test": "Email Sent",
    "e@clinic.test": "Email Opened",
    "f@clinic.test": "Email Sent",
    "g@clinic.test": "Error",
    "h@clinic.test": "Clicked Link",
    "x@elsewhere.test": "Email Sent",
    "y@elsewhere.test": "Submitted Data",
}


def at(minutes: float, start: datetime = LAUNCH) -> str:
    """A GoPhish time: RFC 3339 with New York's offset, fractional seconds as GoPhish writes them."""
    return (start + timedelta(minutes=minutes)).astimezone(NEW_YORK).isoformat(timespec="microseconds")


def roster(org: Organization) -> None:
    """The eight people of the Spring lure on the roster (emails in another case, to show matching ignores it)."""
    for letter in "abcde":
        make.person(org, f"N{letter}", email=f"{letter.upper()}@Clinic.test", department="Nursing")
    for letter in "fgh":
        make.person(org, f"B{letter}", email=f"{letter}@clinic.test", department="Billing")


def spring_events(start: datetime = LAUNCH, campaign_id: str = "7") -> list[list[str]]:
    rows = [[campaign_id, "", at(-5, start), "Campaign Created", ""]]
    for email, steps in SPRING.items():
        if steps is None:
            rows.append([campaign_id, email, at(0, start), "Error Sending Email", '{"error": "550"}'])
            continue
        rows.append([campaign_id, email, at(0, start), "Email Sent", ""])
        for message, minutes in steps:
            rows.append([campaign_id, email, at(minutes, start), message, '{"browser": {"address": "10.0.0.1"}}'])
    rows.append([campaign_id, "a@clinic.test", at(31, start), "Proxied request", ""])
    return rows


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def events_csv(rows: list[list[str]] | None = None) -> bytes:
    return csv_bytes(EVENTS_HEADER, spring_events() if rows is None else rows)


def result_row(email: str, status: str, *, reported: bool = False, sent: str = "", rid: str = "") -> list[str]:
    first = email.split("@")[0].title()
    values = {
        "id": rid or f"rid-{first}",
        "status": status,
        "ip": "",
        "latitude": "0",
        "longitude": "0",
        "send_date": sent or at(0),
        "reported": "true" if reported else "false",
        "modified_date": at(200),
        "email": email,
        "first_name": first,
        "last_name": "Tester",
        "position": "Staff",
    }
    return [values[name] for name in RESULTS_HEADER]


def spring_results_csv() -> bytes:
    reporters = {"b@clinic.test", "c@clinic.test", "d@clinic.test", "x@elsewhere.test"}
    return csv_bytes(
        RESULTS_HEADER,
        [result_row(email, status, reported=email in reporters) for email, status in SPRING_STATUS.items()],
    )


def campaign_json(
    results: list[Any] | None = None,
    timeline: list[Any] | None = None,
    *,
    campaign_id: int = 7,
    name: str = "Spring lure",
) -> bytes:
    if results is None:
        reporters = {"b@clinic.test", "c@clinic.test", "d@clinic.test", "x@elsewhere.test"}
        results = [
            {
                "id": f"rid-{email[0]}",
                "email": email,
                "first_name": email[0].upper(),
                "last_name": "Tester",
                "position": "Staff",
                "status": status,
                "reported": email in reporters,
                "send_date": at(0),
                "ip": "",
                "latitude": 0,
                "longitude": 0,
                "modified_date": at(200),
            }
            for email, status in SPRING_STATUS.items()
        ]
    if timeline is None:
        timeline = [
            {"campaign_id": campaign_id, "email": email, "time": time, "message": message, "details": details}
            for _, email, time, message, details in spring_events()
        ]
    return json.dumps(
        {"id": campaign_id, "name": name, "status": "Completed", "results": results, "timeline": timeline}
    ).encode()


def table_of(kind: str, data: bytes, file_name: str) -> tabular.Table:
    importer = importer_for(kind)
    file_format = tabular.sniff_format(data, file_name, formats=importer.formats, max_bytes=importer.byte_limit)
    return importer.read_table(data, file_format)


def check(org: Organization, kind: str, data: bytes, options: dict[str, Any], file_name: str = "") -> CheckedFile:
    """Check a file as the pipeline does (options cleaned, mapping guessed), writing nothing."""
    importer = importer_for(kind)
    file_name = file_name or ("spring.json" if kind == KIND_JSON else "spring.csv")
    table = table_of(kind, data, file_name)
    cleaned = importer.clean_options(org, options)
    return check_table(importer, org, table, importer.guess_mapping(table.headers), cleaned)


def run(
    org: Organization,
    user: User | None,
    kind: str,
    data: bytes,
    options: dict[str, Any],
    file_name: str = "",
) -> tuple[CheckedFile, Outcome]:
    """Check and commit a file in one transaction, as a commit (or the command) does."""
    importer = importer_for(kind)
    file_name = file_name or ("spring.json" if kind == KIND_JSON else "spring.csv")
    table = table_of(kind, data, file_name)
    return import_apply(
        organization=org,
        actor=Actor(user=user) if user else Actor.system("test"),
        importer=importer,
        table=table,
        mapping=importer.guess_mapping(table.headers),
        options=importer.clean_options(org, options),
        file_name=file_name,
    )


def spring(org: Organization, user: User | None, **options: Any) -> tuple[CheckedFile, Outcome]:
    """The Spring lure imported from its events CSV (roster first)."""
    roster(org)
    return run(org, user, KIND_EVENTS, events_csv(), {"name": "Spring lure", **options})


def summary(checked: CheckedFile) -> dict[str, int]:
    return {line["key"]: line["count"] for line in checked.summary}
