"""The starter curriculum installer: what it creates and in which state, idempotency (an edited record is never
overwritten; a missing one is added back), clashes with the organization's own records, a broken file named
item by item with nothing written, the audit trail, the shipped file, and the management command."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from safeguard.core.models import AuditEvent
from safeguard.training.models import (
    AckDocument,
    AckDocumentVersion,
    AssignmentRule,
    Course,
    Lesson,
    Question,
    SecurityReminder,
    Topic,
)
from safeguard.training.services import curriculum
from safeguard.training.services import starter as services
from safeguard.training.services.ack_documents import document_create, version_create
from safeguard.training.services.assignment_rules import rule_create
from safeguard.training.services.reminders import reminder_create
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_curriculum_support import SMALL_STARTER, actor, events, starter_file

NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)


def install(cast: Cast, path: Path) -> services.StarterSummary:
    return services.starter_install(organization=cast.org, actor=actor(cast.official), path=path, now=NOW)


def counts() -> dict[str, int]:
    return {
        "topics": Topic.objects.count(),
        "courses": Course.objects.count(),
        "lessons": Lesson.objects.count(),
        "questions": Question.objects.count(),
        "rules": AssignmentRule.objects.count(),
        "documents": AckDocument.objects.count(),
        "versions": AckDocumentVersion.objects.count(),
        "reminders": SecurityReminder.objects.count(),
    }


def test_install_creates_each_record_in_its_starting_state(cast: Cast, tmp_path: Path) -> None:
    summary = install(cast, starter_file(tmp_path))

    assert summary.created == {"topics": 2, "courses": 3, "rules": 2, "documents": 1, "reminders": 1}
    basics = Course.objects.get(starter_key="basics")
    assert (basics.code, basics.status, basics.published_at, basics.created_by) == (
        "SEC-101",
        Course.Status.PUBLISHED,
        NOW,
        cast.official,
    )
    assert sorted(basics.topics.values_list("key", flat=True)) == ["passwords_mfa", "phishing"]
    assert [lesson.title for lesson in basics.lessons.order_by("position")] == ["Phishing", "Passwords"]
    question = basics.questions.get()
    assert [(c.text, c.correct) for c in question.choices.order_by("position")] == [
        ("Report it", True),
        ("Forward it to colleagues", False),
    ]
    assert curriculum.publish_problems(basics) == []
    refresher = Course.objects.get(starter_key="refresher")
    assert list(refresher.prerequisites.values_list("code", flat=True)) == ["SEC-101"]
    assert refresher.randomize is True
    vendor = Course.objects.get(code="EXT-1")
    assert (vendor.delivery, vendor.external_url) == ("external", "https://lms.example.test/course/1")
    rules = {rule.starter_key: rule for rule in AssignmentRule.objects.all()}
    assert {rule.active for rule in rules.values()} == {False}
    assert {rule.starts_on for rule in rules.values()} == {NOW.date()}
    assert (rules["yearly"].cadence, rules["yearly"].calendar_month, rules["yearly"].calendar_day) == (
        "calendar",
        1,
        31,
    )
    assert rules["new_hires"].calendar_month is None
    document = AckDocument.objects.get()
    assert (document.kind, document.topic.key if document.topic else None, document.due_days) == (
        "quick_reference",
        "phishing",
        14,
    )
    assert list(document.versions.values_list("number", "status")) == [(1, "draft")]
    reminder = SecurityReminder.objects.get()
    assert (reminder.status, reminder.scheduled_for, reminder.audience) == ("draft", NOW, "everyone")
    assert list(reminder.topics.values_list("key", flat=True)) == ["phishing"]


def test_install_twice_adds_nothing_the_second_time(cast: Cast, tmp_path: Path) -> None:
    path = starter_file(tmp_path)
    install(cast, path)
    first = counts()

    again = install(cast, path)

    assert counts() == first
    assert again.total_created == 0
    assert again.present == {"topics": 2, "courses": 3, "rules": 2, "documents": 1, "reminders": 1}


def test_an_edited_record_is_left_as_it_is_and_a_deleted_one_comes_back(cast: Cast, tmp_path: Path) -> None:
    path = starter_file(tmp_path)
    install(cast, path)
    basics = Course.objects.get(starter_key="basics")
    Course.objects.filter(pk=basics.pk).update(title="Our own basics", code="OWN-1", version=4)
    Lesson.objects.filter(course=basics).delete()
    Topic.objects.filter(key="phishing").update(name="Phishing (ours)")
    SecurityReminder.objects.all().delete()

    summary = install(cast, path)

    basics.refresh_from_db()
    assert (basics.title, basics.code, basics.version, basics.lessons.count()) == ("Our own basics", "OWN-1", 4, 0)
    assert Topic.objects.get(key="phishing").name == "Phishing (ours)"
    assert summary.created == {"topics": 0, "courses": 0, "rules": 0, "documents": 0, "reminders": 1}
    assert SecurityReminder.objects.get().title == "Hover before you click"


def test_the_organizations_own_records_are_not_touched(cast: Cast, tmp_path: Path) -> None:
    own = make.course(cast.org, "sec-101", title="Ours")

    summary = install(cast, starter_file(tmp_path))

    assert summary.notes == [
        "Course SEC-101 left out: another course already has that code.",
        "Rule “New hires take SEC-101” left out: its course was left out.",
        "SEC-201 does not require “basics”, which was left out.",
    ]
    own.refresh_from_db()
    assert (own.title, own.starter_key) == ("Ours", "")
    assert not Course.objects.filter(starter_key="basics").exists()
    assert list(AssignmentRule.objects.values_list("starter_key", flat=True)) == ["yearly"]


def test_another_organizations_install_does_not_count(cast: Cast, tmp_path: Path) -> None:
    path = starter_file(tmp_path)
    services.starter_install(organization=cast.other_org, actor=actor(cast.outsider), path=path)

    summary = install(cast, path)

    assert summary.total_created == 9
    assert Course.objects.filter(organization=cast.org).count() == 3


def test_each_record_created_is_audited_and_the_install_summarized(cast: Cast, tmp_path: Path) -> None:
    install(cast, starter_file(tmp_path))

    assert len(events("training.topic.created")) == 2
    assert len(events("training.course.created")) == 3
    assert len(events("training.rule.created")) == 2
    assert len(events("training.ack_document.created")) == 1
    assert len(events("training.ack_version.created")) == 1
    assert len(events("training.reminder.created")) == 1
    assert len(events("training.course.prerequisites_set")) == 1
    created = {event.changes["code"][1]: event.changes for event in events("training.course.created")}
    assert (created["SEC-101"]["lessons"], created["SEC-101"]["questions"]) == ([None, 2], [None, 1])
    summary = events("training.starter.installed")[0]
    assert summary.actor == cast.official
    assert summary.changes["created"] == [None, {"topics": 2, "courses": 3, "rules": 2, "documents": 1, "reminders": 1}]


def test_the_starter_writes_the_audit_actions_the_services_write(cast: Cast, tmp_path: Path) -> None:
    """A search of the audit trail for e.g. training.ack_document.created finds the starter's records too."""
    by = actor(cast.owner)
    topic = curriculum.topic_create(organization=cast.org, actor=by, key="own", name="Own")
    course = curriculum.course_create(organization=cast.org, actor=by, code="OWN-1", title="Own", kind="annual")
    other = make.course(cast.org, "OWN-2")
    curriculum.course_prerequisites_set(organization=cast.org, actor=by, course=course, prerequisites=[other])
    rule_create(organization=cast.org, actor=by, name="Own rule", course=other, audience="everyone", active=False)
    document = document_create(organization=cast.org, actor=by, title="Own policy", kind=AckDocument.Kind.POLICY)
    version_create(organization=cast.org, actor=by, document=document, body="Text.")
    reminder_create(organization=cast.org, actor=by, title="Own reminder", body="Text.", topics=[topic])
    by_services = set(AuditEvent.objects.values_list("action", flat=True))
    last = AuditEvent.objects.filter(organization=cast.org).order_by("-sequence").values_list("sequence", flat=True)[0]

    install(cast, starter_file(tmp_path))

    written = AuditEvent.objects.filter(organization=cast.org, sequence__gt=last)
    by_starter = set(written.values_list("action", flat=True))
    assert by_starter - {"training.starter.installed"} <= by_services, by_starter - by_services
    version = written.get(action="training.ack_version.created")
    assert version.object_repr == "Reporting an incident v1"
    assert version.changes["number"] == [None, 1]


BROKEN = [
    (
        SMALL_STARTER.replace("- {text: Report it, correct: true}", "- {text: Report it, correct: false}"),
        "courses[1] “basics”: questions[1]: No choice is marked correct.",
    ),
    (
        SMALL_STARTER.replace("topics: [phishing, passwords_mfa]", "topics: [phishing, ransomware]"),
        "courses[1] “basics”: topics names “ransomware”, which is not in the file",
    ),
    (
        SMALL_STARTER.replace(
            "    lessons:\n      - {title: Phishing",
            "    prerequisites: [refresher]\n    lessons:\n      - {title: Phishing",
        ),
        "prerequisites make a cycle: basics → refresher → basics",
    ),
    (
        SMALL_STARTER.replace('citations: ["164.308(a)(5)(ii)(D)"]', 'citations: ["164.308(z)"]'),
        "topics[2] “passwords_mfa”: “164.308(z)” is not a citation of the catalog",
    ),
    (
        SMALL_STARTER.replace("    lessons: []\n", "    lessons: [{title: A, body: B}]\n"),
        "courses[3] “vendor”: an external course has no lessons or questions",
    ),
    (
        SMALL_STARTER.replace("course: refresher", "course: missing"),
        "rules[2] “yearly”: course names “missing”, which is not in the file",
    ),
    (
        SMALL_STARTER.replace("    calendar_month: 1\n", ""),
        "rules[2] “yearly”: calendar_month must be a whole number from 1 to 12",
    ),
    (
        SMALL_STARTER.replace("audience: new_hires", "audience: new_hires\n    values: [Nursing]"),
        "rules[1] “new_hires”: The audience “New hires” takes no list of values.",
    ),
    (
        SMALL_STARTER.replace("    kind: quick_reference", "    kind: memo"),
        "documents[1] “incident_quick_ref”: kind must be one of policy, quick_reference",
    ),
    (
        SMALL_STARTER.replace("    minutes: 20", "    minutes: 20\n    duration: 5"),
        "courses[1] “basics”: unknown field duration",
    ),
    (
        SMALL_STARTER.replace("    pass_mark: 80", "    pass_mark: 180"),
        "courses[1] “basics”: The pass mark is a percent from 1 to 100.",
    ),
    (SMALL_STARTER.replace("code: SEC-201", "code: sec-101"), "another item has the same code “sec-101”"),
    ("topics: [", "starter.yaml cannot be read"),
]


@pytest.mark.parametrize(("text", "problem"), BROKEN)
def test_a_broken_file_names_the_item_and_writes_nothing(cast: Cast, tmp_path: Path, text: str, problem: str) -> None:
    before = AuditEvent.objects.count()

    with pytest.raises(services.StarterFileError) as refused:
        install(cast, starter_file(tmp_path, text))

    assert any(problem in line for line in refused.value.problems), refused.value.problems
    assert problem in refused.value.message or len(refused.value.problems) > services.SHOWN_PROBLEMS
    assert counts() == dict.fromkeys(counts(), 0)
    assert AuditEvent.objects.count() == before


def test_the_shipped_starter_file_installs_cleanly(cast: Cast) -> None:
    summary = services.starter_install(organization=cast.org, actor=actor(cast.official))

    assert summary.notes == []
    assert summary.created["topics"] >= 1
    for course in Course.objects.filter(organization=cast.org):
        assert curriculum.publish_problems(course) == [], course.code
    assert not AssignmentRule.objects.filter(active=True).exists()


# ---- the command --------------------------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("training_starter", *args, stdout=out)
    return out.getvalue()


def test_the_command_installs_as_a_member(cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "STARTER_FILE", starter_file(tmp_path))

    output = run("--org", "clinic", "--as", "SO@clinic.test")

    assert "courses: 3 added, 0 already there" in output
    assert "Committed: 9 records added to clinic." in output
    assert events("training.starter.installed")[0].actor == cast.official
    assert "Nothing to add" in run("--org", "clinic")


def test_the_command_dry_run_writes_nothing(cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "STARTER_FILE", starter_file(tmp_path))

    output = run("--org", "clinic", "--dry-run")

    assert "topics: 2 would be added, 0 already there" in output
    assert "Dry run: nothing committed." in output
    assert counts() == dict.fromkeys(counts(), 0)


def test_the_command_refuses_a_broken_file(cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "STARTER_FILE", starter_file(tmp_path, SMALL_STARTER.replace("kind: initial", "")))
    out = StringIO()

    with pytest.raises(CommandError, match="Nothing committed"):
        call_command("training_starter", "--org", "clinic", stdout=out)

    assert "courses[1] “basics”: missing kind" in out.getvalue()
    assert not Topic.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nowhere"], "No organization with slug 'nowhere'."),
        (["--org", "clinic", "--as", "nurse@clinic.test"], "is not a current member of clinic who may manage"),
        (["--org", "clinic", "--as", "owner@other.test"], "is not a current member of clinic who may manage"),
    ],
)
def test_the_command_refuses_unknown_orgs_and_members(cast: Cast, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not Topic.objects.exists()
