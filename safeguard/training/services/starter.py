"""The starter curriculum: topics, published courses, inactive assignment rules, draft documents to acknowledge and
draft security reminders, read from data/starter.yaml (its schema is in docs/training-curriculum.md; reading and
checking it is services/starter_file.py).

Installing is idempotent. Each item has a key: topics are matched by key, courses, rules and documents by their
starter_key, and reminders (which keep no starter key) by title. What is already there is left exactly as it is,
edited or not; what is missing is added. Everything is checked before anything is written, and everything is
written in one transaction: one audit event per record created, named as the service that writes such a record
names it (training.topic.created, training.ack_document.created…), then one "training.starter.installed" summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, snapshot
from safeguard.core.models import Organization
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.training.models import (
    AckDocument,
    AckDocumentVersion,
    AssignmentRule,
    Cadence,
    Choice,
    Course,
    Lesson,
    Question,
    SecurityReminder,
    Topic,
)
from safeguard.training.services.ack_documents import DOCUMENT_FIELDS, version_changes, version_name
from safeguard.training.services.starter_file import (
    COURSE_DEFAULTS,
    SECTIONS,
    SHOWN_PROBLEMS,
    STARTER_FILE,
    Item,
    StarterFileError,
    starter_read,
)

__all__ = [
    "SECTIONS",
    "SHOWN_PROBLEMS",
    "STARTER_FILE",
    "StarterFileError",
    "StarterSummary",
    "starter_install",
    "starter_preview",
    "starter_read",
]


@dataclass
class StarterSummary:
    """Per section, how many records were (or would be) added and how many were already there; and why anything
    in the file was left out."""

    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    present: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    notes: list[str] = field(default_factory=list)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    def lines(self) -> list[str]:
        return [f"{name}: {self.created[name]} added, {self.present[name]} already there" for name in SECTIONS]


# ---- what is already there ----------------------------------------------------------------------------------------


@dataclass
class _Plan:
    summary: StarterSummary
    new: dict[str, list[Item]]


def _plan(organization: Organization, data: dict[str, list[Item]]) -> _Plan:
    summary = StarterSummary()
    new: dict[str, list[Item]] = {name: [] for name in SECTIONS}

    def sort(section: str, items: list[Item], present: set[str], match: Callable[[Item], str]) -> None:
        for item in items:
            if match(item) in present:
                summary.present[section] += 1
            else:
                new[section].append(item)

    topic_keys = set(Topic.objects.filter(organization=organization).values_list("key", flat=True))
    sort("topics", data["topics"], topic_keys, lambda item: item["key"])
    org_courses = list(Course.objects.filter(organization=organization).values_list("starter_key", "code"))
    course_keys = {key for key, _ in org_courses if key}
    codes = {code.lower() for _, code in org_courses}
    for item in data["courses"]:
        if item["key"] in course_keys:
            summary.present["courses"] += 1
        elif item["code"].strip().lower() in codes:
            summary.notes.append(f"Course {item['code']} left out: another course already has that code.")
        else:
            new["courses"].append(item)
    offered = course_keys | {item["key"] for item in new["courses"]}
    rules = list(AssignmentRule.objects.filter(organization=organization).values_list("starter_key", "name"))
    rule_keys, rule_names = {key for key, _ in rules if key}, {name.lower() for _, name in rules}
    for item in data["rules"]:
        if item["key"] in rule_keys:
            summary.present["rules"] += 1
        elif item["name"].strip().lower() in rule_names:
            summary.notes.append(f"Rule “{item['name']}” left out: another rule already has that name.")
        elif item["course"] not in offered:
            summary.notes.append(f"Rule “{item['name']}” left out: its course was left out.")
        else:
            new["rules"].append(item)
    documents = list(AckDocument.objects.filter(organization=organization).values_list("starter_key", "title"))
    document_keys, titles = {key for key, _ in documents if key}, {title.lower() for _, title in documents}
    for item in data["documents"]:
        if item["key"] in document_keys:
            summary.present["documents"] += 1
        elif item["title"].strip().lower() in titles:
            summary.notes.append(f"Document “{item['title']}” left out: another document already has that title.")
        else:
            new["documents"].append(item)
    reminder_titles = {
        title.lower()
        for title in SecurityReminder.objects.filter(organization=organization).values_list("title", flat=True)
    }
    sort("reminders", data["reminders"], reminder_titles, lambda item: item["title"].strip().lower())
    for name in SECTIONS:
        summary.created[name] = len(new[name])
    return _Plan(summary, new)


def starter_preview(organization: Organization, path: Path | None = None) -> StarterSummary:
    """What installing would add now, and what is already there; writes nothing."""
    return _plan(organization, starter_read(path or STARTER_FILE)).summary


# ---- installing ---------------------------------------------------------------------------------------------------


@dataclass
class _Installer:
    organization: Organization
    actor: Actor
    now: datetime
    today: date
    summary: StarterSummary
    topics: dict[str, Topic] = field(default_factory=dict)
    courses: dict[str, Course] = field(default_factory=dict)

    def created(self, action: str, target: Any, changes: dict[str, Any]) -> None:
        audit_record(
            actor=self.actor,
            action=action,
            organization=self.organization,
            target=target,
            changes={name: [None, value] for name, value in changes.items()},
        )

    def topic(self, item: Item) -> None:
        topic = Topic.objects.create(
            organization=self.organization,
            key=item["key"],
            name=item["name"].strip(),
            description=item.get("description", "").strip(),
            citations=list(dict.fromkeys(item.get("citations", []))),
        )
        self.created(
            "training.topic.created",
            topic,
            {"key": topic.key, "name": topic.name, "citations": topic.citations, "starter": True},
        )

    def course(self, item: Item) -> None:
        values = {name: item.get(name, default) for name, default in COURSE_DEFAULTS.items()}
        values = {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}
        course = Course.objects.create(
            organization=self.organization,
            status=Course.Status.PUBLISHED,
            published_at=self.now,
            starter_key=item["key"],
            created_by=self.actor.user,
            **values,
        )
        topics = [self.topics[key] for key in item.get("topics", [])]
        course.topics.set(topics)
        Lesson.objects.bulk_create(
            Lesson(
                organization=self.organization,
                course=course,
                position=n,
                title=lesson["title"].strip(),
                body=lesson["body"],
            )
            for n, lesson in enumerate(item["lessons"])
        )
        for n, written in enumerate(item["questions"]):
            question = Question.objects.create(
                organization=self.organization,
                course=course,
                position=n,
                text=written["text"].strip(),
                kind=written["kind"],
                explanation=str(written.get("explanation", "")).strip(),
            )
            Choice.objects.bulk_create(
                Choice(question=question, position=m, text=choice["text"].strip(), correct=choice["correct"])
                for m, choice in enumerate(written["choices"])
            )
        self.courses[item["key"]] = course
        self.created(
            "training.course.created",
            course,
            {
                **values,
                "status": course.status,
                "topics": sorted(t.key for t in topics),
                "lessons": len(item["lessons"]),
                "questions": len(item["questions"]),
                "starter": True,
            },
        )

    def prerequisites(self, item: Item) -> None:
        course = self.courses[item["key"]]
        for key in item.get("prerequisites", []):
            if key not in self.courses:
                self.summary.notes.append(f"{course.code} does not require “{key}”, which was left out.")
        wanted = [self.courses[key] for key in item.get("prerequisites", []) if key in self.courses]
        for prerequisite in wanted:
            if prerequisite.status != Course.Status.PUBLISHED:
                self.summary.notes.append(
                    f"{course.code} does not require {prerequisite.code}, which is not published."
                )
        wanted = [prerequisite for prerequisite in wanted if prerequisite.status == Course.Status.PUBLISHED]
        if wanted:
            course.prerequisites.set(wanted)
            self.created("training.course.prerequisites_set", course, {"prerequisites": sorted(p.code for p in wanted)})

    def rule(self, item: Item) -> None:
        calendar = item["cadence"] == Cadence.CALENDAR
        rule = AssignmentRule.objects.create(
            organization=self.organization,
            name=item["name"].strip(),
            course=self.courses[item["course"]],
            audience=item["audience"],
            audience_values=item.get("values", []),
            cadence=item["cadence"],
            due_days=item["due_days"],
            calendar_month=item.get("calendar_month") if calendar else None,
            calendar_day=item.get("calendar_day") if calendar else None,
            notice_days=item.get("notice_days", 30),
            starts_on=self.today,
            active=False,
            starter_key=item["key"],
            created_by=self.actor.user,
        )
        self.created(
            "training.rule.created",
            rule,
            {
                "name": rule.name,
                "course": rule.course.code,
                "audience": rule.audience,
                "audience_values": rule.audience_values,
                "cadence": rule.cadence,
                "due_days": rule.due_days,
                "starts_on": rule.starts_on,
                "active": False,
                "starter": True,
            },
        )

    def document(self, item: Item) -> None:
        document = AckDocument.objects.create(
            organization=self.organization,
            title=item["title"].strip(),
            kind=item["kind"],
            topic=self.topics.get(item["topic"]) if "topic" in item else None,
            due_days=item.get("due_days", 30),
            starter_key=item["key"],
            created_by=self.actor.user,
        )
        self.created(
            "training.ack_document.created", document, {**snapshot(document, DOCUMENT_FIELDS), "starter": True}
        )
        version = AckDocumentVersion.objects.create(
            organization=self.organization,
            document=document,
            number=1,
            body=item["body"],
            summary="From the starter curriculum: review it, then publish.",
            status=AckDocumentVersion.Status.DRAFT,
        )
        audit_record(
            actor=self.actor,
            action="training.ack_version.created",
            organization=self.organization,
            target=version,
            object_repr=version_name(version),
            changes={**version_changes(version), "starter": [None, True]},
        )

    def reminder(self, item: Item) -> None:
        reminder = SecurityReminder.objects.create(
            organization=self.organization,
            title=item["title"].strip(),
            body=item["body"],
            scheduled_for=self.now,
            status=SecurityReminder.Status.DRAFT,
            created_by=self.actor.user,
        )
        reminder.topics.set([self.topics[key] for key in item.get("topics", [])])
        self.created(
            "training.reminder.created", reminder, {"title": reminder.title, "status": reminder.status, "starter": True}
        )


def starter_install(
    *, organization: Organization, actor: Actor, path: Path | None = None, now: datetime | None = None
) -> StarterSummary:
    """Add what the starter file has and the organization lacks: courses published, rules inactive (starting
    today), documents with one draft version, reminders as drafts. Re-running adds only what is missing."""
    data = starter_read(path or STARTER_FILE)
    now = now or timezone.now()
    with transaction.atomic():
        # One install at a time per organization: two at once would both see a topic missing.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        plan = _plan(organization, data)
        install = _Installer(organization, actor, now, timezone.localdate(now), plan.summary)
        for item in plan.new["topics"]:
            install.topic(item)
        install.topics = {topic.key: topic for topic in Topic.objects.filter(organization=organization)}
        install.courses = {
            course.starter_key: course
            for course in Course.objects.filter(organization=organization).exclude(starter_key="")
        }
        for item in plan.new["courses"]:
            install.course(item)
        for item in plan.new["courses"]:
            install.prerequisites(item)
        for item in plan.new["rules"]:
            install.rule(item)
        for item in plan.new["documents"]:
            install.document(item)
        for item in plan.new["reminders"]:
            install.reminder(item)
        audit_record(
            actor=actor,
            action="training.starter.installed",
            organization=organization,
            target=organization,
            changes={"created": [None, plan.summary.created], "already_there": [None, plan.summary.present]},
        )
        if plan.summary.total_created:
            request_evaluation_on_commit(organization, "training.starter")
    return plan.summary
