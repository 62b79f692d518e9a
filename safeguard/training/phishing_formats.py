"""Reading phishing simulation results: GoPhish's results CSV, its raw-events CSV and its JSON API answer (made
rows by phishing_json.py), and any other vendor's CSV, each row folded into one `Recipient` per email.

What a row says is merged, never overwritten: each step (sent, opened, clicked, submitted data, reported) keeps
the EARLIEST time seen, the status is the furthest step reached (submitted data > clicked > opened > sent; a
sending error only when nothing shows the email arrived), a report counts once reported anywhere, and clicks are
the "Clicked Link" events counted. Merging a file into what an earlier import recorded follows the same rules, so
importing the same file twice changes nothing.

GoPhish vocabulary (its models: statuses and timeline messages) is matched ignoring case; anything else is an error
naming the value, so a renamed status in a future version is noticed rather than silently counted as nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from safeguard.core.imports import LocalTimeError, aware, parse_naive_datetime, parse_yes_no
from safeguard.training.models import PhishingOutcome

Outcome = PhishingOutcome
RANK = {
    Outcome.NOT_SENT: 0,
    Outcome.ERROR: 1,
    Outcome.SENT: 2,
    Outcome.OPENED: 3,
    Outcome.CLICKED: 4,
    Outcome.SUBMITTED: 5,
}
DELIVERED = (Outcome.SENT, Outcome.OPENED, Outcome.CLICKED, Outcome.SUBMITTED)
# The status a step in time implies, at least.
STEP_STATUS = {
    "sent": Outcome.SENT,
    "opened": Outcome.OPENED,
    "clicked": Outcome.CLICKED,
    "submitted": Outcome.SUBMITTED,
    "reported": Outcome.SENT,  # nobody reports an email that never reached them
}
STEPS = ("sent", "opened", "clicked", "submitted", "reported")

# GoPhish's result statuses ("Success" is what versions before 0.5 called submitted data). "Email Reported" is
# not a status GoPhish writes (a report sets `reported`), but a hand-edited file may use it: it means reported.
GOPHISH_STATUSES: dict[str, Outcome] = {
    "email sent": Outcome.SENT,
    "email opened": Outcome.OPENED,
    "clicked link": Outcome.CLICKED,
    "submitted data": Outcome.SUBMITTED,
    "success": Outcome.SUBMITTED,
    "email reported": Outcome.SENT,
    "error": Outcome.ERROR,
    "error sending email": Outcome.ERROR,
    "sending": Outcome.NOT_SENT,
    "scheduled": Outcome.NOT_SENT,
    "queued": Outcome.NOT_SENT,
    "retrying": Outcome.NOT_SENT,
    "unknown": Outcome.NOT_SENT,
}
GOPHISH_STATUS_NAMES = (
    "Email Sent, Email Opened, Clicked Link, Submitted Data, Success, Error, Error Sending Email, Sending, "
    "Scheduled, Queued, Retrying, Unknown"
)
# GoPhish's timeline messages: a step of one recipient, a campaign-level event, or one that says nothing about
# how far a recipient went (a request through its proxy).
EVENT_STEPS = {
    "email sent": "sent",
    "email opened": "opened",
    "clicked link": "clicked",
    "submitted data": "submitted",
    "email reported": "reported",
    "error sending email": "error",
}
CAMPAIGN_EVENTS = ("campaign created",)
IGNORED_EVENTS = ("proxied request",)
EVENT_NAMES = (
    "Campaign Created, Email Sent, Email Opened, Clicked Link, Submitted Data, Email Reported, "
    "Error Sending Email, Proxied request"
)

# Another vendor's words for how far a recipient went.
VENDOR_STATUSES: dict[str, Outcome] = {
    **{word: Outcome.NOT_SENT for word in ("not sent", "not_sent", "scheduled", "queued", "pending", "unknown")},
    **{word: Outcome.ERROR for word in ("error", "failed", "bounced", "undelivered", "error sending email")},
    **{word: Outcome.SENT for word in ("sent", "delivered", "email sent", "no action", "no_action", "reported")},
    **{word: Outcome.OPENED for word in ("opened", "open", "email opened", "viewed")},
    **{word: Outcome.CLICKED for word in ("clicked", "click", "clicked link", "link clicked")},
    **{
        word: Outcome.SUBMITTED
        for word in (
            "submitted",
            "submitted data",
            "data entered",
            "data submitted",
            "credentials entered",
            "entered credentials",
            "compromised",
        )
    },
}
VENDOR_STATUS_NAMES = "sent, opened, clicked, submitted, error or not sent"

# The stored lengths of what a file names a recipient by.
FIELD_LIMITS = {"first_name": 100, "last_name": 100, "position": 200, "rid": 100, "department": 100}
# GoPhish writes "0001-01-01T00:00:00Z" for a time it does not have.
NO_TIME_YEAR = 1
# A clock a little ahead of ours is not an error; a time days ahead is (often day and month swapped).
FUTURE_SLACK = timedelta(hours=1)


def furthest(first: str, second: str) -> str:
    return first if RANK[Outcome(first)] >= RANK[Outcome(second)] else second


# ---- one recipient ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Recipient:
    """Everything the rows say about one email of one campaign."""

    email: str
    first_row: int = 0
    first_name: str = ""
    last_name: str = ""
    position: str = ""
    rid: str = ""
    department: str = ""
    status: str = Outcome.NOT_SENT
    sent_at: datetime | None = None
    opened_at: datetime | None = None
    clicked_at: datetime | None = None
    submitted_at: datetime | None = None
    reported: bool = False
    reported_at: datetime | None = None
    clicks: int = 0

    def reach(self, status: str) -> None:
        self.status = furthest(self.status, status)

    def step(self, step: str, moment: datetime | None) -> None:
        """One event: the step's first time is the earliest seen, and the status goes at least that far."""
        if step == "error":
            self.reach(Outcome.ERROR)
            return
        if step == "clicked":
            self.clicks += 1
        if step == "reported":
            self.reported = True
        self.reach(STEP_STATUS[step])
        if moment is not None:
            name = f"{step}_at"
            current = getattr(self, name)
            if current is None or moment < current:
                setattr(self, name, moment)

    def fill(self, **names: str) -> None:
        """Names and ids: the first non-empty value given is kept."""
        for name, value in names.items():
            if value and not getattr(self, name):
                setattr(self, name, value.strip()[: FIELD_LIMITS[name]])

    def absorb(self, other: Recipient) -> None:
        """Merge what another reading of the same email says (an earlier import, another file)."""
        self.fill(
            first_name=other.first_name,
            last_name=other.last_name,
            position=other.position,
            rid=other.rid,
            department=other.department,
        )
        self.reach(other.status)
        for step in STEPS:
            name = f"{step}_at"
            theirs, ours = getattr(other, name), getattr(self, name)
            if theirs is not None and (ours is None or theirs < ours):
                setattr(self, name, theirs)
        self.reported = self.reported or other.reported
        self.clicks = max(self.clicks, other.clicks)

    def copy(self) -> Recipient:
        return Recipient(**{item.name: getattr(self, item.name) for item in fields(self)})

    def values(self) -> tuple[Any, ...]:
        """What is stored, to tell whether a merge changed anything."""
        return (
            self.first_name,
            self.last_name,
            self.position,
            self.rid,
            self.status,
            self.sent_at,
            self.opened_at,
            self.clicked_at,
            self.submitted_at,
            self.reported,
            self.reported_at,
            self.clicks,
        )


@dataclass
class Collected:
    """What a file holds, recipient by recipient, and the counts people see in the summary."""

    recipients: dict[str, Recipient] = field(default_factory=dict)
    events: int = 0
    campaign_events: int = 0
    ignored_events: int = 0
    campaign_id: str = ""
    campaign_id_row: int = 0
    campaign_name: str = ""
    has_times: bool = False

    def recipient(self, email: str, row: int) -> Recipient:
        found = self.recipients.get(email)
        if found is None:
            found = self.recipients[email] = Recipient(email=email, first_row=row)
        return found

    def note_campaign(self, campaign_id: str, row: int) -> str:
        """Remember the file's GoPhish campaign id; a second, different id is an error (one campaign per file)."""
        if not campaign_id:
            return ""
        if not self.campaign_id:
            self.campaign_id, self.campaign_id_row = campaign_id, row
            return ""
        if campaign_id != self.campaign_id:
            return (
                f"This row is of GoPhish campaign {campaign_id}, but row {self.campaign_id_row} is of campaign "
                f"{self.campaign_id}: import one campaign per file."
            )
        return ""


# ---- cells -----------------------------------------------------------------------------------------------------


def clean_email(text: str) -> str:
    return text.strip().lower()


def email_problem(email: str) -> str:
    if not email:
        return "The email is missing: every recipient needs one."
    if "@" not in email or len(email) > 254 or any(char.isspace() for char in email):
        return f"{email!r} is not an email address."
    return ""


def gophish_time(text: str, now: datetime) -> datetime | None:
    """A GoPhish time (RFC 3339 with its offset), in UTC; None when empty or GoPhish's zero time. ValueError says
    what is wrong."""
    text = text.strip()
    if not text:
        return None
    moment = parse_naive_datetime(text)
    if moment is None:
        raise ValueError(f"{text!r} is not a time: GoPhish writes e.g. 2026-03-05T14:02:11-05:00.")
    if moment.year == NO_TIME_YEAR:
        return None
    if moment.tzinfo is None:
        raise ValueError(
            f"{text!r} has no UTC offset: import the file as GoPhish exported it (e.g. 2026-03-05T14:02:11-05:00), "
            "not as re-saved by a spreadsheet."
        )
    return _not_future(moment.astimezone(ZoneInfo("UTC")), text, now)


def vendor_time(text: str, zone: ZoneInfo, now: datetime) -> datetime | None:
    """A time in another vendor's file: with an offset, or a wall-clock time read in `zone`."""
    text = text.strip()
    if not text:
        return None
    moment = parse_naive_datetime(text)
    if moment is None:
        raise ValueError(f"{text!r} is not a date and time: write it as 2026-03-05 14:02 or 2026-03-05T14:02:11Z.")
    try:
        return _not_future(aware(moment, zone), text, now)
    except LocalTimeError as error:
        raise ValueError(str(error)) from None


def _not_future(moment: datetime, text: str, now: datetime) -> datetime:
    if moment > now + FUTURE_SLACK:
        raise ValueError(f"{text!r} is in the future: check the date (day and month swapped?).")
    return moment


def gophish_status(text: str) -> Outcome | None:
    return GOPHISH_STATUSES.get(text.strip().lower())


def status_error(text: str, names: str) -> str:
    return f"{text!r} is not a status this import knows: use one of {names}."


# ---- GoPhish results CSV ---------------------------------------------------------------------------------------


def read_result(collected: Collected, row: int, cells: dict[str, str], now: datetime) -> dict[str, str]:
    """One row of GoPhish's results export (one recipient; statuses, no event times but the send date)."""
    problems: dict[str, str] = {}
    email = clean_email(cells.get("email", ""))
    if problem := email_problem(email):
        problems["email"] = problem
    status_text = cells.get("status", "").strip()
    status = gophish_status(status_text)
    if status is None:
        problems["status"] = (
            "The status is missing." if not status_text else status_error(status_text, GOPHISH_STATUS_NAMES)
        )
    reported = parse_yes_no(cells.get("reported", "")) if cells.get("reported") else False
    if reported is None:
        problems["reported"] = f"{cells['reported']!r} is not true or false."
    sent_at = None
    if status in DELIVERED:
        # The send date of an email not sent yet is when it is scheduled to go: not a step taken, not read.
        try:
            sent_at = gophish_time(cells.get("send_date", ""), now)
        except ValueError as error:
            problems["send_date"] = str(error)
    if problems or status is None:
        return problems
    found = collected.recipient(email, row)
    found.fill(
        first_name=cells.get("first_name", ""),
        last_name=cells.get("last_name", ""),
        position=cells.get("position", ""),
        rid=cells.get("rid", ""),
    )
    found.reach(status)
    if reported or status_text.lower() == "email reported":
        found.reported = True
        found.reach(Outcome.SENT)
    if sent_at is not None:
        found.step("sent", sent_at)
    return problems


# ---- GoPhish events (the raw-events CSV, and the JSON timeline) ------------------------------------------------


def read_event(collected: Collected, row: int, cells: dict[str, str], now: datetime) -> dict[str, str]:
    """One timeline event: campaign_id, email, time, message (details are not read: they may hold what a
    recipient typed into the landing page)."""
    problems: dict[str, str] = {}
    message_text = cells.get("message", "").strip()
    message = message_text.lower()
    if problem := collected.note_campaign(cells.get("campaign_id", "").strip(), row):
        problems["campaign_id"] = problem
    if message in CAMPAIGN_EVENTS:
        collected.campaign_events += 1
        return problems
    if message in IGNORED_EVENTS:
        collected.ignored_events += 1
        return problems
    step = EVENT_STEPS.get(message)
    if step is None:
        problems["message"] = (
            "The message is missing."
            if not message_text
            else f"{message_text!r} is not a GoPhish timeline message: use one of {EVENT_NAMES}."
        )
    email = clean_email(cells.get("email", ""))
    if problem := email_problem(email):
        problems["email"] = (
            problem if email else f"The email is missing: every “{message_text}” event names its recipient."
        )
    moment = None
    try:
        moment = gophish_time(cells.get("time", ""), now)
    except ValueError as error:
        problems["time"] = str(error)
    if problems or step is None:
        return problems
    collected.events += 1
    collected.has_times = collected.has_times or moment is not None
    collected.recipient(email, row).step(step, moment)
    return problems


# ---- another vendor's CSV --------------------------------------------------------------------------------------

VENDOR_TIMES = ("sent_at", "opened_at", "clicked_at", "submitted_at", "reported_at")


def read_vendor_row(
    collected: Collected, row: int, cells: dict[str, str], zone: ZoneInfo, now: datetime
) -> dict[str, str]:
    """One recipient of another vendor's file: a status and reported yes/no, or the time of each step, or both."""
    problems: dict[str, str] = {}
    email = clean_email(cells.get("email", ""))
    if problem := email_problem(email):
        problems["email"] = problem
    status_text = cells.get("status", "").strip()
    status = VENDOR_STATUSES.get(status_text.lower()) if status_text else None
    if status_text and status is None:
        problems["status"] = status_error(status_text, VENDOR_STATUS_NAMES)
    reported = parse_yes_no(cells["reported"]) if cells.get("reported") else None
    if cells.get("reported") and reported is None:
        problems["reported"] = f"{cells['reported']!r} is not yes or no."
    moments: dict[str, datetime | None] = {}
    for name in VENDOR_TIMES:
        try:
            moments[name] = vendor_time(cells.get(name, ""), zone, now)
        except ValueError as error:
            problems[name] = str(error)
    if not problems and status is None and not any(moments.values()):
        problems["status" if "status" in cells else "sent_at"] = (
            f"Say how far this recipient went: a status ({VENDOR_STATUS_NAMES}) or the time of a step."
        )
    if problems:
        return problems
    found = collected.recipient(email, row)
    found.fill(
        first_name=cells.get("first_name", ""),
        last_name=cells.get("last_name", ""),
        department=cells.get("department", ""),
    )
    if status is not None:
        found.reach(status)
    if reported or status_text.lower() == "reported":
        found.reported = True
        found.reach(Outcome.SENT)
    for name, moment in moments.items():
        if moment is not None:
            collected.has_times = True
            found.step(name.removesuffix("_at"), moment)
    return problems
