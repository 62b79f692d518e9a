"""Who is due which course, by when: the pure arithmetic of assignment rules.

Given one rule's terms and what is known about one person in its audience (the day they joined, their
completions of the rule's course, their excused rounds, the clicks or sanctions that concern them), the engine
says what the person must complete now, or nothing. It reads no database: rule_facts.py gathers the facts, and
services/rule_evaluation.py opens, completes or cancels assignments from the answers.

The semantics (docs/training-assignments.md says them in plain words):

- Roster audiences and privileged access: the person is in the audience. Their first round opens on the day the
  rule starts (or the day the sync runs, whichever is later) and is due `due_days` after it is opened; any
  completion ever (from 1990 on) satisfies it.
- New hires: people hired (else added to the roster) on or after the rule's start. Due `due_days` after the hire
  date; it opens on the hire date.
- Phishing clickers and people named in a sanction: each click or sanction is its own round (cadence "once"),
  satisfied by a completion on or after its day, but due `due_days` after the day it is opened, as for roster
  audiences: results are often imported, and sanctions recorded, weeks after the day itself, and nobody should be
  overdue the moment they are assigned. Several owed at once: the earliest event first.
- Annual: after a completion on day C the next round is due on C + 1 year, opens `notice_days` before, and is
  satisfied by a completion from C + 1 day on. A round that fell due before the rule started is due `due_days`
  after it is opened instead: nobody is overdue on a rule that did not exist yet.
- Calendar: rounds fall due each year on a fixed month and day; the round due on D opens `notice_days` before D
  and is satisfied by a completion from the previous round's due day + 1. Rounds start with the first due day on
  or after the rule's start.
- An excused round is never asked again; for a yearly course the next round counts from the excused round's due
  date, as if it had been completed then.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from safeguard.core.dates import EARLIEST, add_years
from safeguard.training.audiences import describe_audience
from safeguard.training.models import AudienceKind, Cadence

if TYPE_CHECKING:
    from safeguard.training.models import AssignmentRule

# The audiences whose rounds are events that happen to a person (one round per event) rather than membership.
EVENT_AUDIENCES = (AudienceKind.PHISHING_CLICKERS, AudienceKind.SANCTIONED)
# The first round of a membership audience: "join" for roster kinds and privileged access, "hire" for new hires.
# An excused first round is excused whichever rule asked for it.
FIRST_ROUND_KEYS = ("join", "hire")
REASON_MAX = 300


@dataclass(frozen=True)
class Terms:
    """The parts of an assignment rule the engine reads."""

    name: str
    audience: str
    cadence: str
    due_days: int
    notice_days: int
    starts_on: date
    calendar_month: int | None = None
    calendar_day: int | None = None
    audience_text: str = ""

    @classmethod
    def of(cls, rule: AssignmentRule) -> Terms:
        return cls(
            name=rule.name,
            audience=rule.audience,
            cadence=rule.cadence,
            due_days=rule.due_days,
            notice_days=rule.notice_days,
            starts_on=rule.starts_on,
            calendar_month=rule.calendar_month,
            calendar_day=rule.calendar_day,
            audience_text=describe_audience(rule.audience, list(rule.audience_values)),
        )


@dataclass(frozen=True)
class Event:
    """A click in a phishing simulation or a sanction: its own round of a once-only rule.

    `day` starts the round (the click's local date, the sanction's decision date); `counted_from` is the day
    compared with the rule's start (the campaign's launch for a click, the decision for a sanction)."""

    key: str
    day: date
    counted_from: date
    reason: str


@dataclass(frozen=True)
class Facts:
    """What is known about one person in one rule's audience."""

    joined_on: date  # the hire date, else the day they were added to the roster
    completions: Sequence[date] = ()  # local days of their completions of the rule's course
    excused: Sequence[tuple[str, date]] = ()  # (trigger key, due day) of their excused rounds of the course
    events: Sequence[Event] = ()


@dataclass(frozen=True)
class Requirement:
    trigger_key: str
    reason: str
    window_start: date  # a completion on or after this day satisfies it
    due_on: date
    opens_on: date  # the first day it may be assigned
    confidential: bool = False


@dataclass(frozen=True)
class _Round:
    key: str
    reason: str
    window_start: date
    opens_on: date
    due_from: date | None  # due_days count from this day; None: from the day it is opened
    due_on: date | None = None  # a fixed due day (yearly rounds)
    confidential: bool = False


# ---- calendar helpers ---------------------------------------------------------------------------------------------


def calendar_date_error(month: object, day: object) -> tuple[str, str] | None:
    """Why (month, day) is not a yearly due date, as (field, message), or None."""
    if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
        return "calendar_month", "Pick a month from 1 to 12."
    if not isinstance(day, int) or isinstance(day, bool) or day < 1:
        return "calendar_day", "Pick a day of the month."
    if month == 2 and day == 29:
        return "calendar_day", "29 February is not a date every year: pick 28 February or 1 March."
    days = calendar.monthrange(2001, month)[1]
    if day > days:
        return "calendar_day", f"{calendar.month_name[month]} has {days} days."
    return None


def yearly_due(terms: Terms, year: int) -> date:
    if terms.calendar_month is None or terms.calendar_day is None:
        raise ValueError("a calendar rule needs its month and day")
    return date(year, terms.calendar_month, terms.calendar_day)


# ---- the rounds a rule asks for -----------------------------------------------------------------------------------


def _first_round(terms: Terms, facts: Facts) -> _Round | None:
    """The first round of a membership audience, or None when the person is not in it (a hire before the start)."""
    if terms.audience == AudienceKind.NEW_HIRES:
        if facts.joined_on < terms.starts_on:
            return None
        return _Round(
            key="hire",
            reason=f"Hired {facts.joined_on.isoformat()} (rule “{terms.name}”)",
            window_start=EARLIEST,
            opens_on=facts.joined_on,
            due_from=facts.joined_on,
        )
    return _Round(
        key="join",
        reason=f"{terms.audience_text or terms.audience} (rule “{terms.name}”)",
        window_start=EARLIEST,
        # Someone on the roster ahead of their start date is assigned from that date, not before.
        opens_on=max(terms.starts_on, facts.joined_on),
        due_from=None,
    )


def _event_rounds(terms: Terms, facts: Facts) -> list[_Round]:
    confidential = terms.audience == AudienceKind.SANCTIONED
    return [
        _Round(
            key=event.key,
            reason=event.reason,
            window_start=event.day,
            opens_on=event.day,
            due_from=None,  # from the day it is opened: never due before it is known
            confidential=confidential,
        )
        for event in facts.events
        if event.counted_from >= terms.starts_on
    ]


def _excused_keys(facts: Facts) -> set[str]:
    keys = {key for key, _ in facts.excused}
    if keys & set(FIRST_ROUND_KEYS):
        keys |= set(FIRST_ROUND_KEYS)
    return keys


def _satisfied(completions: Iterable[date], window_start: date) -> bool:
    return any(day >= window_start for day in completions)


def _annual_round(terms: Terms, facts: Facts) -> _Round | None:
    first = _first_round(terms, facts)
    if first is None:
        return None
    done = [day for day in facts.completions if day >= first.window_start]
    skipped = [due for key, due in facts.excused if key in FIRST_ROUND_KEYS or key.startswith("cycle:")]
    anchors = done + skipped
    if not anchors:
        return first
    last = max(anchors)
    due = add_years(last, 1)
    return _Round(
        key=f"cycle:{due.isoformat()}",
        reason=f"Yearly round due {due.isoformat()}, last {'completed' if last in done else 'excused'} "
        f"{last.isoformat()} (rule “{terms.name}”)",
        window_start=last + timedelta(days=1),
        opens_on=due - timedelta(days=terms.notice_days),
        due_from=None,
        due_on=due,
    )


def _calendar_round(terms: Terms, facts: Facts, today: date) -> _Round | None:
    """The latest round already open by today (due day − notice ≤ today), from the first due day on or after
    the rule's start. A rule missing its month or day (never saved so by the services) asks nothing."""
    if _first_round(terms, facts) is None or calendar_date_error(terms.calendar_month, terms.calendar_day):
        return None
    year = today.year + 1  # notice is at most 180 days: no round due later than next year can be open
    while True:
        due = yearly_due(terms, year)
        if due - timedelta(days=terms.notice_days) <= today:
            break
        year -= 1
    if due < terms.starts_on:
        return None
    previous = yearly_due(terms, year - 1)
    return _Round(
        key=f"cycle:{due.isoformat()}",
        reason=f"Yearly round due {due.isoformat()} (rule “{terms.name}”)",
        window_start=previous + timedelta(days=1),
        opens_on=due - timedelta(days=terms.notice_days),
        due_from=None,
        due_on=due,
    )


def _rounds(terms: Terms, facts: Facts, today: date) -> list[_Round]:
    if terms.audience in EVENT_AUDIENCES:
        return _event_rounds(terms, facts)
    if terms.cadence == Cadence.ANNUAL:
        found = _annual_round(terms, facts)
    elif terms.cadence == Cadence.CALENDAR:
        found = _calendar_round(terms, facts, today)
    else:
        found = _first_round(terms, facts)
    return [found] if found is not None else []


def _due(terms: Terms, found: _Round, opened_on: date) -> date:
    if found.due_on is not None:
        if found.due_on < terms.starts_on:  # the round fell due before the rule existed
            return opened_on + timedelta(days=terms.due_days)
        return found.due_on
    start = found.due_from if found.due_from is not None else opened_on
    return start + timedelta(days=terms.due_days)


def evaluate(terms: Terms, facts: Facts, today: date) -> list[Requirement]:
    """Every round the rule asks of the person that is open by today and not yet satisfied or excused, earliest
    due first (then the earliest window: the first click or sanction). A round not yet assigned is due as if
    assigned today."""
    excused = _excused_keys(facts)
    rounds = []
    for found in _rounds(terms, facts, today):
        opens_on = max(found.opens_on, terms.starts_on)
        if opens_on > today or found.key in excused or _satisfied(facts.completions, found.window_start):
            continue
        rounds.append(
            Requirement(
                trigger_key=found.key,
                reason=found.reason[:REASON_MAX],
                window_start=found.window_start,
                due_on=_due(terms, found, today),
                opens_on=opens_on,
                confidential=found.confidential,
            )
        )
    rounds.sort(key=lambda r: (r.due_on, r.window_start, r.trigger_key))
    return rounds


def requirement_now(terms: Terms, facts: Facts, today: date) -> Requirement | None:
    """What the rule asks the person to complete now: the earliest-due round still to do, or None."""
    rounds = evaluate(terms, facts, today)
    return rounds[0] if rounds else None
