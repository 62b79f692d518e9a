"""The activity review journey in a real browser: the security official imports the HR roster (a receptionist left
yesterday at 17:00), adds the EHR's access log as a source (CSV with its column mapping, reviewed weekly), uploads
an export in which the leaver opened two charts this morning, sees the batch's counts, finds the after-termination
alert with its evidence, triages it (assigned, with a comment), escalates it into an incident, and signs the EHR's
review of a past week. The rule pack is installed in the set-up; ingestion and evaluation run inline."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, expect

from safeguard.activity.chores_reviews import reviews_create_due
from safeguard.activity.models import ActivityReview, Alert, AlertStatus, IngestBatch, LogSource
from safeguard.activity.services.rule_pack import rule_pack_install
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Organization, User
from safeguard.incidents.models import Incident
from tests.test_journey_browser import browser, official  # noqa: F401  (fixtures)
from tests.test_journey_risk_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROSTER_HEADER = "Employee ID,First Name,Last Name,Work Email,User Name,Department,Job Title,Hire Date,Termination Date,"
ROSTER_HEADER += "Termination Time,Status\n"
EHR_HEADER = "ACCESS_TIME,USER_ID,PAT_ID,METRIC_NAME,WORKSTATION,IP\n"


def roster_csv(yesterday: str) -> str:
    return ROSTER_HEADER + (
        "S001,Sam,Ortiz,so@clinic.test,sortiz,IT,Security Officer,2019-03-01,,,Active\n"
        "N001,Nia,Brooks,nia.brooks@clinic.test,nbrooks,Nursing,Registered Nurse,2021-05-10,,,Active\n"
        f"F001,Ruth,Kowalski,ruth.kowalski@clinic.test,rkowalski,Front Desk,Receptionist,2020-08-03,{yesterday},"
        "17:00,Terminated\n"
    )


def ehr_csv(earlier: str, later: str) -> str:
    return EHR_HEADER + (
        f"{earlier},nbrooks,MRN100001,Chart Accessed,NURSE-01,10.20.1.10\n"
        f"{earlier},rkowalski,MRN100007,Chart Accessed,FRONT-01,10.20.3.10\n"
        f"{later},rkowalski,MRN100009,Results Viewed,FRONT-01,10.20.3.10\n"
    )


def field(page: Page, label: str) -> Locator:
    """A form field by its label as Django writes it (with or without the colon)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}:?$"))


def create_ehr_source(page: Page, zone: str, reviewer: User) -> None:
    page.get_by_role("link", name="Log sources").click()
    page.get_by_role("link", name="Add a source").click()
    expect(page.get_by_role("heading", name="New log source")).to_be_visible()
    field(page, "Name").fill("EHR")
    field(page, "Kind").select_option("ehr")
    field(page, "Format").select_option("ehr_csv")
    field(page, "Time zone").fill(zone)
    field(page, "Review every days").fill("7")
    field(page, "Review grace days").fill("7")  # each week signed during the next: the last one is always due
    field(page, "Reviewer").select_option(str(reviewer.pk))
    for name, header in (("time", "ACCESS_TIME"), ("user_name", "USER_ID"), ("patient_id", "PAT_ID")):
        field(page, f"Column for {name}").fill(header)
    for name, header in (("action", "METRIC_NAME"), ("src_host", "WORKSTATION"), ("src_ip", "IP")):
        field(page, f"Column for {name}").fill(header)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="EHR")).to_be_visible()


def test_upload_a_roster_and_an_ehr_log_triage_and_escalate_the_leaver_alert_and_sign_the_review(
    browser: Browser,  # noqa: F811
    live_server,
    official: tuple[User, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    organization = Organization.objects.get(slug="clinic")
    user = official[0]
    rule_pack_install(organization=organization, actor=Actor(user=user))
    now = timezone.localtime()
    yesterday = f"{now.date() - timedelta(days=1):%Y-%m-%d}"
    # Both in one minute, so in one suppression bucket whatever the hour: one alert, also just after midnight.
    opened = (now - timedelta(minutes=20)).replace(second=0, microsecond=0)
    earlier, later = (f"{opened + timedelta(seconds=seconds):%Y-%m-%d %H:%M:%S}" for seconds in (0, 30))
    (tmp_path / "hr-export.csv").write_text(roster_csv(yesterday))
    (tmp_path / "ehr-access.csv").write_text(ehr_csv(earlier, later))

    so: Page = browser.new_context().new_page()
    so.set_default_timeout(20_000)
    sign_in(so, live_server.url, *official)

    # The roster, with the receptionist who left yesterday.
    so.get_by_role("link", name="Workforce", exact=True).click()
    so.get_by_role("link", name="Import the HR roster").click()
    so.get_by_label("CSV or XLSX file").set_input_files(str(tmp_path / "hr-export.csv"))
    so.get_by_label("New source's name").fill("Payroll export")
    so.get_by_role("button", name="Upload and check the columns").click()
    so.get_by_role("button", name="Check every row").click()
    so.get_by_role("button", name=re.compile(r"^Commit all 3 rows")).click()
    expect(so.locator("#import-state")).to_contain_text("Committed")

    # The EHR's access log as a source, then this morning's export uploaded to it.
    so.get_by_role("link", name="Activity review").first.click()
    create_ehr_source(so, str(timezone.get_current_timezone()), user)
    field(so, "File").set_input_files(str(tmp_path / "ehr-access.csv"))
    so.get_by_role("button", name="Upload and read").click()
    expect(so.get_by_role("heading", name="Ingestion: Done")).to_be_visible()
    expect(so.locator("#lines-read")).to_have_text("3")
    expect(so.locator("#accepted")).to_have_text("3")
    expect(so.locator("#rejected")).to_have_text("0")

    # The after-termination alert, its evidence, and the triage.
    so.get_by_role("link", name="Alerts", exact=True).first.click()
    so.get_by_role("link", name="Record access after termination").click()
    expect(so.get_by_role("heading", name="Record access after termination")).to_be_visible()
    expect(so.locator("#alert-status")).to_have_text("New")
    evidence = so.locator("#evidence tbody tr")
    expect(evidence).to_have_count(2)
    expect(so.locator("#evidence")).to_contain_text("MRN100009")
    field(so, "Status").select_option("triaged")
    field(so, "Assignee").select_option(label="Sam Ortiz <so@clinic.test>")
    field(so, "Comment").fill("Ruth left yesterday at 17:00: the EHR account was not disabled.")
    so.get_by_role("button", name="Save").click()
    expect(so.locator("#alert-status")).to_have_text("Triaged")
    expect(so.locator("ol.history")).to_contain_text("Ruth left yesterday at 17:00")

    # Escalated into a new incident, whose page lists the alert.
    so.get_by_role("link", name="Escalate to an incident").click()
    field(so, "Comment").fill("A leaver opened two charts: privacy incident.")
    field(so, "Title").fill("Leaver opened charts after termination")
    field(so, "Owner").select_option(label="Sam Ortiz <so@clinic.test>")
    so.get_by_role("button", name="Escalate").click()
    expect(so.get_by_role("heading", name=re.compile(r"Leaver opened charts after termination$"))).to_be_visible()
    expect(so.get_by_role("link", name="Record access after termination")).to_be_visible()
    expect(so.locator("main")).to_contain_text("user_name=rkowalski")

    # The weekly review of a past week: the source dates from two weeks ago, and the scheduler's chore ran.
    source = LogSource.objects.get(organization=organization, name="EHR")
    LogSource.objects.filter(pk=source.pk).update(created_at=source.created_at - timedelta(days=14))
    assert reviews_create_due(timezone.localdate())
    so.goto(f"{live_server.url}/o/clinic/activity/reviews/")
    rows = so.locator("tbody tr", has=so.get_by_role("link", name="EHR"))
    expect(rows.first).to_contain_text("Due")
    rows.first.get_by_role("link", name="EHR").click()
    expect(so.get_by_role("heading", name=re.compile(r"^Review of EHR"))).to_be_visible()
    so.get_by_label("Nothing inappropriate found").check()
    so.get_by_label("I sign the statement above.").check()
    so.get_by_role("button", name="Sign", exact=True).click()
    so.goto(f"{live_server.url}/o/clinic/activity/reviews/")
    expect(so.locator("tbody tr").first).to_contain_text("Signed on time")

    # What the pages did, in the database.
    batch = IngestBatch.objects.get(organization=organization)
    assert (batch.state, batch.lines_read, batch.accepted, batch.rejected) == ("done", 3, 3, 0)
    alert = Alert.objects.get(organization=organization, rule__name="ehr_after_termination")
    assert (alert.status, alert.group_text, alert.assignee) == (AlertStatus.ESCALATED, "user_name=rkowalski", user)
    assert alert.person is not None and alert.person.employee_id == "F001"
    incident = Incident.objects.get(organization=organization)
    assert incident.title == "Leaver opened charts after termination" and alert.incident == incident
    signed = ActivityReview.objects.get(organization=organization, signed_at__isnull=False)
    assert signed.signature is not None and signed.signed_by == user and signed.conclusion == "no_issues"
    actions = set(AuditEvent.objects.filter(organization=organization).values_list("action", flat=True))
    assert {
        "activity.source_created",
        "activity.upload_received",
        "activity.events_ingested",
        "activity.alert_assigned",
        "activity.alert_status_changed",
        "activity.alert_escalated",
        "activity.review_signed",
    } <= actions
