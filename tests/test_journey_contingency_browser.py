"""The contingency journey in a real browser: the security official sets the RTO and RPO of the front-desk server,
imports its backup results from a CSV (upload, check the columns, see it done), records a restore test that took
longer than the RTO, finds the corrective action it opened, and sees on the readiness dashboard that the server is
not ready, and why."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from safeguard.contingency.models import BackupMethod, BackupPolicy, CorrectiveAction, RecoveryProfile, RestoreTest
from safeguard.core.models import Organization, User
from tests import risk_factories
from tests.test_journey_browser import browser, official  # noqa: F401  (fixtures)
from tests.test_journey_risk_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERVER = "Front-desk server"


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def local_input(moment: datetime) -> str:
    """As a datetime-local field takes it: the installation's zone, to the minute."""
    return f"{timezone.localtime(moment):%Y-%m-%dT%H:%M}"


def test_set_objectives_import_backups_miss_the_rto_and_see_the_action_and_readiness(
    browser: Browser,  # noqa: F811
    live_server,
    official: tuple[User, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    user, key = official
    organization = Organization.objects.get(slug="clinic")
    today = timezone.localdate()
    server = risk_factories.asset(organization, SERVER, since=today - timedelta(days=400))
    BackupPolicy.objects.create(
        organization=organization,
        asset=server,
        job_name="frontdesk-image",
        method=BackupMethod.FULL,
        schedule="daily",
        retention_days=30,
        encrypted_at_rest=True,
        immutable_copy=True,
        offline_copy=False,
    )
    now = timezone.now().replace(second=0, microsecond=0)
    older, latest = now - timedelta(hours=30), now - timedelta(hours=6)
    results = tmp_path / "backup-results.csv"
    results.write_text(
        "Host,Job Name,Start Time,End Time,Result,Bytes\n"
        f"{SERVER},frontdesk-image,{iso(older)},{iso(older + timedelta(minutes=20))},Success,1000\n"
        f"{SERVER},frontdesk-image,{iso(latest)},{iso(latest + timedelta(minutes=20))},Success,1200\n"
    )

    page: Page = browser.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, live_server.url, user, key)

    # The criticality profile: tier 2, MTD 3 days, RTO 4 hours, RPO 1 day.
    page.get_by_role("link", name="Contingency", exact=True).first.click()
    expect(page.get_by_role("heading", name=re.compile("recovery readiness"))).to_be_visible()
    page.get_by_role("link", name="Criticality analysis", exact=True).first.click()
    page.get_by_role("link", name=f"Add the recovery profile of {SERVER}").click()
    page.get_by_label("Tier").select_option("2")
    page.get_by_label("Yes").check()
    page.get_by_label("Business functions").fill("Hosts practice management: check-in, scheduling and billing.")
    page.get_by_label("Maximum tolerable downtime").fill("3")
    page.get_by_label("MTD unit").select_option(label="days")
    page.get_by_label("RTO", exact=True).fill("4")
    page.get_by_label("RTO unit").select_option(label="hours")
    page.get_by_label("RPO", exact=True).fill("1")
    page.get_by_label("RPO unit").select_option(label="days")
    page.get_by_role("button", name="Add the profile").click()
    expect(page.get_by_text("4 h").first).to_be_visible()
    profile = RecoveryProfile.objects.get(asset=server)
    assert (profile.tier, profile.mtd_minutes, profile.rto_minutes, profile.rpo_minutes) == (2, 3 * 1440, 240, 1440)

    # Import the backup results: upload, the columns are guessed from the headers, start, done.
    page.goto(f"{live_server.url}/o/clinic/contingency/backups/imports/new/")
    page.get_by_label("File").set_input_files(str(results))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", name="Which column holds what")).to_be_visible()
    expect(page.get_by_label("Asset")).to_have_value("Host")
    page.get_by_role("button", name="Start the import").click()
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Done")
    expect(facts).to_contain_text(re.compile(r"New runs stored\s*2"))

    # A restore test from the latest run that took 6 hours against the 4-hour RTO.
    page.goto(f"{live_server.url}/o/clinic/contingency/restore-tests/new/")
    page.locator("#asset-picker select").select_option(label=SERVER)
    page.get_by_role("button", name="Choose this asset").click()
    page.get_by_label("Backup run restored").select_option(index=1)
    started = latest + timedelta(minutes=30)
    page.get_by_label("Restore started").fill(local_input(started))
    page.get_by_label("Service restored and checked").fill(local_input(started + timedelta(hours=5)))
    page.get_by_label("Integrity of the restored data verified").check()
    page.get_by_label("Integrity method").fill("Opened today's schedule and compared it with the printout.")
    page.get_by_label("Issues found").fill("The spare server needed its network drivers reinstalled.")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_text("A corrective action was opened.")).to_be_visible()
    test = RestoreTest.objects.get(asset=server)
    assert (test.outcome, test.rto_met, test.rpo_met) == ("missed", False, True)

    # The corrective action it opened, with the shortfall in its title.
    title = f"Restore test of {SERVER} missed its RTO by 1 h"
    page.locator("#actions").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=re.compile(re.escape(title)))).to_be_visible()
    action = CorrectiveAction.objects.get(restore_test=test)
    assert (action.title, action.status, action.owner) == (title, "open", user)

    # The readiness dashboard: the server is not ready because its last test missed an objective.
    page.get_by_role("link", name="Contingency", exact=True).first.click()
    row = page.locator("tr", has=page.get_by_role("link", name=SERVER, exact=True))
    expect(row).to_contain_text("Not ready")
    expect(row).to_contain_text(f"The last restore test ({timezone.localdate(started):%Y-%m-%d}) missed its RTO.")
    # Tier 2: one asset, its backup fresh, no test passed in the period, the last one missed, no vendor, not ready.
    cells = page.locator("#tier-2 td")
    expect(cells).to_have_text(["1", "1", "0", "0", "0", "0 (0%)"])
