"""Helpers the curriculum tests share: an actor, audit readers, a small starter file. No tests live here."""

from __future__ import annotations

from pathlib import Path

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, User
from safeguard.training.services.quiz_rules import ChoiceInput


def actor(user: User) -> Actor:
    return Actor(user=user)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True))


def choices(*rows: tuple[str, bool]) -> list[ChoiceInput]:
    return [ChoiceInput(text, correct) for text, correct in rows]


GOOD = choices(("Report it", True), ("Ignore it", False))

SMALL_STARTER = """
topics:
  - key: phishing
    name: Phishing
    description: Spotting and reporting phishing.
    citations: ["164.308(a)(5)(ii)(B)"]
  - key: passwords_mfa
    name: Passwords and MFA
    citations: ["164.308(a)(5)(ii)(D)"]
courses:
  - key: basics
    code: SEC-101
    title: Security basics
    kind: initial
    minutes: 20
    pass_mark: 80
    max_attempts: 3
    topics: [phishing, passwords_mfa]
    summary: The basics.
    lessons:
      - {title: Phishing, body: "Look before you click."}
      - {title: Passwords, body: "Use a password manager."}
    questions:
      - text: What do you do with a suspicious email?
        kind: single
        explanation: Reporting lets us warn everyone.
        choices:
          - {text: Report it, correct: true}
          - {text: Forward it to colleagues, correct: false}
  - key: refresher
    code: SEC-201
    title: Annual refresher
    kind: annual
    prerequisites: [basics]
    topics: [phishing]
    lessons:
      - {title: What changed, body: "New tricks this year."}
    questions:
      - text: Which keep an account safe?
        kind: multiple
        choices:
          - {text: MFA, correct: true}
          - {text: A long passphrase, correct: true}
          - {text: A shared password, correct: false}
  - key: vendor
    code: EXT-1
    title: Vendor course
    kind: role_based
    delivery: external
    external_url: https://lms.example.test/course/1
    lessons: []
    questions: []
rules:
  - key: new_hires
    name: New hires take SEC-101
    course: basics
    audience: new_hires
    cadence: once
    due_days: 30
  - key: yearly
    name: Everyone takes the refresher each January
    course: refresher
    audience: everyone
    cadence: calendar
    due_days: 30
    calendar_month: 1
    calendar_day: 31
documents:
  - key: incident_quick_ref
    title: Reporting an incident
    kind: quick_reference
    topic: phishing
    body: "Call the security official."
    due_days: 14
reminders:
  - key: phish_tip
    title: Hover before you click
    body: "Rest the mouse on a link first."
    topics: [phishing]
"""


def starter_file(tmp_path: Path, text: str = SMALL_STARTER) -> Path:
    path = tmp_path / "starter.yaml"
    path.write_text(text, encoding="utf-8")
    return path
