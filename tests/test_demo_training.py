"""The demo's training program: what `demo_seed` creates, the pages it feeds, and the verdicts its story stands for
(see safeguard/training/demo.py):
- 164.308(a)(5)(ii)(A) met: a reminder in each of the last 3 months, with the read rate;
- (ii)(B) met; (ii)(C) partially met (Diego Alvarez, Sara Johansson and Tom Nguyen have no course on log-in
  monitoring in 12 months); (ii)(D) partially met (isokolov is privileged without MFA);
- 164.308(a)(5)'s own check not met (the same three are overdue on the refresher), rolled up to partially met;
- 164.308(a)(1)(ii)(C) partially met: 23 of 26 active people acknowledged the sanction policy.

The demo is seeded once for the module, inside a transaction rolled back at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import F
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from safeguard.catalog.loader import catalog_load
from safeguard.core.dates import add_years
from safeguard.core.demo import demo_seed
from safeguard.core.models import AuditEvent, Organization, User
from safeguard.risk.services.sanctions import approved_policy
from safeguard.tracker.models import Status, Verdict
from safeguard.tracker.widgets import widgets_for
from safeguard.training.checks_reminders import reminder_periods
from safeguard.training.checks_workforce import workforce_trained
from safeguard.training.demo import LAST_REFRESHER, OVERDUE, RULES_START
from safeguard.training.models import (
    AckDocumentVersion,
    Acknowledgement,
    Assignment,
    AssignmentRule,
    Completion,
    Course,
    Lesson,
    PhishingCampaign,
    PhishingResult,
    QuizAttempt,
    ReminderDelivery,
    SecurityReminder,
)
from safeguard.training.queries_assignments import department_overview
from safeguard.workforce.models import Person, Workflow, WorkflowTask
from tests.conftest import client_for

CLICKED = ("clicked", "submitted")
FRONT_DESK_LATE = ["Diego Alvarez", "Sara Johansson", "Tom Nguyen"]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Organization]:  # noqa: ANN001
    media = tmp_path_factory.mktemp("evidence")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast):
        with transaction.atomic():
            catalog_load()
            organization = demo_seed().organization
            yield organization
            transaction.set_rollback(True)


@pytest.fixture
def org(demo: Organization, db) -> Organization:  # noqa: ANN001
    return demo


def _verdict(organization: Organization, citation: str) -> Verdict:
    return Verdict.objects.get(organization=organization, requirement__citation=citation)


def _names(people: Iterable[Person]) -> list[str]:
    return sorted(person.full_name for person in people)


def test_the_starter_curriculum_is_installed_filled_in_with_every_rule_on_since_a_year_ago(org: Organization) -> None:
    courses = Course.objects.filter(organization=org)
    assert courses.count() == 7 and set(courses.values_list("status", flat=True)) == {"published"}
    for model in (Lesson, SecurityReminder, AckDocumentVersion):
        assert not model.objects.filter(organization=org, body__contains="[the ").exists(), model
    assert Lesson.objects.filter(organization=org, body__contains="Sam Okafor").exists()
    start = timezone.localdate() - timedelta(days=RULES_START)
    rules = AssignmentRule.objects.filter(organization=org)
    assert {(rule.starter_key, rule.active, rule.starts_on) for rule in rules} == {
        (key, True, start)
        for key in (
            "initial_new_hires",
            "annual_everyone",
            "privileged_admins",
            "remedial_clickers",
            "front_desk_billing",
        )
    }


def test_completions_come_from_the_lms_file_from_quizzes_in_safeguard_and_by_hand(org: Organization) -> None:
    by_source = Counter(Completion.objects.filter(organization=org).values_list("source", flat=True))
    assert by_source == {"import": 48, "in_app": 5, "manual": 25}
    committed = AuditEvent.objects.filter(organization=org, action="import.committed")
    kinds = Counter(event.changes["kind"][1] for event in committed)
    assert {kind: n for kind, n in kinds.items() if kind.startswith(("training", "phishing"))} == {
        "training_completions": 1,
        "phishing_gophish_events": 1,
        "phishing_generic": 1,
        "phishing_gophish_json": 1,
    }
    lms = committed.get(changes__kind__1="training_completions")
    assert lms.changes["rows"][1] == 2 * len(LAST_REFRESHER) + 1  # and one failed attempt, skipped
    # Everyone with ePHI access was trained at hire: the old staff in the LMS, this year's hires on their first day.
    hires = Assignment.objects.filter(organization=org, course__code="SEC-101").select_related("person")
    assert {(a.person.full_name, a.status, a.assigned_on == a.completed_on == a.person.hire_date) for a in hires} == {
        (name, "completed", True)
        for name in ("Ivan Sokolov", "Kwame Mensah", "Yuki Tanaka", "Owen Clarke", "Zoe Adams")
    }


def test_the_nurse_failed_the_refresher_quiz_once_then_passed_it_on_time(org: Organization) -> None:
    nurse = Person.objects.get(organization=org, email__iexact="nurse@demo.safeguard.test")
    attempts = QuizAttempt.objects.filter(person=nurse).order_by("number")
    assert [(a.course.code, a.score, a.passed) for a in attempts] == [("SEC-201", 62, False), ("SEC-201", 87, True)]
    round_ = Assignment.objects.get(person=nurse, course__code="SEC-201")
    assert round_.status == "completed" and round_.completed_on is not None and round_.completed_on <= round_.due_on
    assert round_.completion is not None and round_.completion.attempt == attempts[1]
    Organization.objects.filter(pk=org.pk).update(mfa_required=False)  # force_login cannot pass a TOTP step
    page = client_for(User.objects.get(email="nurse@demo.safeguard.test")).get(
        reverse("training:my_training", args=[org.slug])
    )
    assert page.status_code == 200
    assert "Annual security refresher" in page.content.decode()


def test_three_front_desk_staff_are_overdue_on_this_years_refresher_and_nobody_was_late(org: Organization) -> None:
    today = timezone.localdate()
    overdue = Assignment.objects.filter(organization=org, status="open", due_on__lt=today).select_related("person")
    expected = {
        (person.full_name, add_years(today - timedelta(days=LAST_REFRESHER[person.employee_id]), 1))
        for person in Person.objects.filter(organization=org, employee_id__in=OVERDUE)
    }
    assert {(a.person.full_name, a.due_on) for a in overdue} == expected
    assert {a.course.code for a in overdue} == {"SEC-201"}
    late = Assignment.objects.filter(organization=org, status="completed", completed_on__gt=F("due_on"))
    assert not late.exists()
    rows = {row.department: row for row in department_overview(org, today)}
    assert {name: row.overdue for name, row in rows.items() if row.overdue} == {"Front Desk": 3}


def test_three_phishing_simulations_with_falling_clicks_and_follow_up_for_the_clickers(org: Organization) -> None:
    campaigns = {c.name: c for c in PhishingCampaign.objects.filter(organization=org)}
    assert {(c.name, c.source, c.vendor, c.external_id) for c in campaigns.values()} == {
        ("Shared document notification", "gophish", "", "12"),
        ("Payroll update", "other", "Acme Awareness", ""),
        ("Parcel delivery notice", "gophish", "", "15"),
    }
    today = timezone.localdate()
    launched = {
        name: (today - timezone.localdate(c.launched_at)).days for name, c in campaigns.items() if c.launched_at
    }
    assert launched == {"Shared document notification": 160, "Payroll update": 95, "Parcel delivery notice": 9}
    clicks = []
    for name in ("Shared document notification", "Payroll update", "Parcel delivery notice"):
        results = PhishingResult.objects.filter(campaign=campaigns[name])
        assert 20 <= results.count() <= 40
        clicks.append(results.filter(status__in=CLICKED).count() / results.count())
    assert clicks == sorted(clicks, reverse=True) and clicks[-1] < clicks[0]
    first = PhishingResult.objects.filter(campaign=campaigns["Shared document notification"])
    assert list(first.filter(person__isnull=True).values_list("email", flat=True)) == ["frontdesk@demo.safeguard.test"]
    assert list(first.filter(status="submitted").values_list("person__family_name", flat=True)) == ["O'Brien"]
    repeat = Counter(
        PhishingResult.objects.filter(organization=org, status__in=CLICKED, person__isnull=False).values_list(
            "person__family_name", flat=True
        )
    )
    assert [name for name, n in repeat.items() if n > 1] == ["O'Brien"]
    follow_up = Assignment.objects.filter(organization=org, course__code="SEC-501").select_related("person")
    assert Counter(a.status for a in follow_up) == {"completed": 8, "open": 1}
    still_open = follow_up.get(status="open")
    assert (still_open.person.full_name, still_open.due_on >= today) == ("Ben Carter", True)
    assert all(a.completed_on <= a.due_on for a in follow_up if a.completed_on)
    fatima = follow_up.get(person__family_name="Zahra")
    assert fatima.status == "completed"  # the latest campaign: one done, one open


def test_a_reminder_each_month_but_one_read_by_those_who_sign_in(org: Organization) -> None:
    today = timezone.localdate()
    sent = SecurityReminder.objects.filter(organization=org, status="sent")
    days = [timezone.localdate(r.sent_at) for r in sent if r.sent_at]
    periods = reminder_periods(today, 1, 6)
    covered = [any(start < day <= end for day in days) for start, end in periods]
    assert covered == [True, True, True, False, True, False]
    assert set(sent.values_list("recipients", flat=True)) == {27}
    assert not sent.filter(send_email=True).exists()
    reads = ReminderDelivery.objects.filter(organization=org, read_at__isnull=False).select_related("person")
    assert Counter(delivery.person.email.split("@")[0] for delivery in reads) == {
        "owner": 4,
        "official": 4,
        "privacy": 3,
        "nurse": 2,
    }
    assert all(d.read_at is not None and d.read_at > d.delivered_at for d in reads)
    upcoming = SecurityReminder.objects.get(organization=org, status="scheduled")
    assert upcoming.title == "Vishing calls" and upcoming.scheduled_for > timezone.now()


def test_the_policy_and_the_guide_are_published_and_mostly_acknowledged(org: Organization) -> None:
    versions = {
        v.document.title: v
        for v in AckDocumentVersion.objects.filter(organization=org, status="published").select_related("document")
    }
    policy = versions["Acceptable use policy"]
    acked = Person.objects.filter(acknowledgements__version=policy)
    assert (policy.requests.count(), acked.count()) == (27, 23)
    missing = Person.objects.filter(ack_requests__version=policy).exclude(pk__in=acked)
    assert _names(missing) == ["Aisha Rahman", "Ivan Sokolov", "Kwame Mensah", "Zoe Adams"]
    assert Counter(policy.acknowledgements.values_list("method", flat=True)) == {"in_app": 4, "paper": 19}
    assert all(a.evidence_id for a in policy.acknowledgements.filter(method="paper"))
    # The joiner has not acknowledged the security policies yet: her workflow step stays open.
    step = WorkflowTask.objects.get(
        workflow__person__employee_id="E1070", workflow__kind=Workflow.Kind.JOINER, kind=WorkflowTask.Kind.ACK_SECURITY
    )
    assert step.status == "open"
    guide = versions["Reporting a security incident"]
    assert guide.acknowledgements.count() == 11


def test_the_approved_sanction_policy_is_mirrored_and_acknowledged_by_most(org: Organization) -> None:
    policy = approved_policy(org)
    assert policy is not None
    mirror = AckDocumentVersion.objects.get(sanction_policy=policy)
    assert (mirror.status, mirror.document.kind, mirror.body) == ("published", "sanction_policy", policy.body)
    assert mirror.requests.count() == 27
    acked = Person.objects.filter(acknowledgements__version=mirror)
    active = Person.objects.filter(organization=org, status="active")
    assert (acked.filter(status="active").count(), active.count()) == (23, 26)
    assert _names(active.exclude(pk__in=acked)) == ["Ivan Sokolov", "Kwame Mensah", "Yuki Tanaka"]
    assert Acknowledgement.objects.filter(version=mirror, person__employee_id="E1034").count() == 0


def test_tracker_verdicts_tell_the_training_story(org: Organization) -> None:
    reminders = _verdict(org, "164.308(a)(5)(ii)(A)")
    assert reminders.status == "met"
    assert "each of the last 3 months" in reminders.reason and "11 of 81 deliveries read (13%)" in reminders.reason
    software = _verdict(org, "164.308(a)(5)(ii)(B)")
    assert software.status == "met" and "26 of 26 active people (100%)" in software.reason
    logins = _verdict(org, "164.308(a)(5)(ii)(C)")
    assert logins.status == "partially_met"
    assert "23 of 26 active people (88%)" in logins.reason
    assert "not completed by Diego Alvarez, Sara Johansson, Tom Nguyen" in logins.reason
    passwords = _verdict(org, "164.308(a)(5)(ii)(D)")
    assert passwords.status == "partially_met" and "26 of 26 active people (100%)" in passwords.reason
    assert "1 privileged account without MFA: Practice management account isokolov (Ivan Sokolov)" in passwords.reason
    own = workforce_trained(org, timezone.localdate())
    assert own.status == Status.NOT_MET
    assert "23 of 26 active people (88%) are trained on time (threshold 95%)" in own.reason
    assert "3 with training overdue: Diego Alvarez, Sara Johansson, Tom Nguyen" in own.reason
    assert "with ePHI access completed initial training" in own.reason
    standard = _verdict(org, "164.308(a)(5)")
    assert standard.status == "partially_met"
    assert standard.reason.startswith("2 of 5 applicable specifications met.")
    assert "3 with training overdue" in standard.reason
    sanctions = _verdict(org, "164.308(a)(1)(ii)(C)")
    assert sanctions.status == "partially_met"
    assert "23 of 26 active people (88%) acknowledged the sanction policy v1 (threshold 95%)" in sanctions.reason
    assert "Kwame Mensah, Ivan Sokolov, Yuki Tanaka" in sanctions.reason


def test_dashboard_widgets_and_training_pages_show_the_demo(org: Organization) -> None:
    widgets = {widget.title: widget.context for widget in widgets_for(org, timezone.localdate())}
    training = widgets["Training"]
    assert (training["on_time"], training["active"], training["overdue"]) == (23, 26, 3)
    phishing = widgets["Phishing"]
    assert [row["name"] for row in phishing["rows"]] == ["Parcel delivery notice", "Payroll update"]
    assert phishing["click_change"] is not None and phishing["click_change"] < 0
    Organization.objects.filter(pk=org.pk).update(mfa_required=False)  # force_login cannot pass a TOTP step
    owner = client_for(User.objects.get(email="owner@demo.safeguard.test"))
    for name in ("training:home", "training:effectiveness", "training:departments", "training:phishing_campaign_list"):
        page = owner.get(reverse(name, args=[org.slug]))
        assert page.status_code == 200, name
    effectiveness = owner.get(reverse("training:effectiveness", args=[org.slug])).content.decode()
    assert "Parcel delivery notice" in effectiveness
