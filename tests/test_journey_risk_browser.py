"""The risk journey in a real browser: import the inventory from a CSV, run an analysis with two risks, approve
it as the security official, and see 164.308(a)(1)(ii)(A) turn to met on the dashboard."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from safeguard.core.models import AuditEvent, Signature, User
from safeguard.risk.models import Asset, RiskAnalysis
from tests.test_journey_browser import PASSWORD, _current_code, browser, official  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INVENTORY = """\
Name,Kind,Status,Owner,Hosting,Volume band,Business associate,Description
EHR,Cloud service,In service,so@clinic.test,Vendor cloud,10k_to_100k,Acme EHR Inc.,Charts and orders
Front-desk server,server,in_service,so@clinic.test,Server closet,500_to_10k,,Practice management
Backup NAS,storage,in_service,,Server closet,10k_to_100k,,Nightly backups
"""


def sign_in(page: Page, base_url: str, user: User, key: str) -> None:
    page.goto(f"{base_url}/o/clinic/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code from your authenticator app").fill(_current_code(key))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Riverside Clinic")).to_be_visible()


def record_risk(page: Page, title: str, asset: str, likelihood: str, impact: str) -> None:
    page.get_by_role("link", name="Record a risk").click()
    expect(page.get_by_role("heading", name="Record a risk")).to_be_visible()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Assets").select_option(label=asset)
    page.get_by_label("Existing controls").fill("Antivirus and nightly backups.")
    page.get_by_label(re.compile(r"^Likelihood")).select_option(likelihood)
    page.get_by_label(re.compile(r"^Impact")).select_option(impact)
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("rowheader", name=re.compile(re.escape(title)))).to_be_visible()


def test_import_assets_analyse_two_risks_approve_and_see_the_requirement_met(
    browser: Browser,  # noqa: F811
    live_server,
    official: tuple[User, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    user, key = official
    page: Page = browser.new_page()
    page.set_default_timeout(20_000)
    sign_in(page, live_server.url, user, key)

    # Before any analysis the requirement is not met (or not yet evaluated).
    page.get_by_role("link", name="164.308(a)(1)(ii)(A)", exact=True).first.click()
    expect(page.locator(".status").first).to_have_text(re.compile("^(Not met|Unknown)$"))

    # Import the inventory: upload, accept the guessed columns, check, commit.
    page.get_by_role("link", name="Assets", exact=True).click()
    page.get_by_role("link", name="Import assets or flows").click()
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(INVENTORY)
    page.get_by_label("What the file lists").select_option("assets")
    page.get_by_label("CSV or XLSX file").set_input_files(str(inventory))
    page.get_by_role("button", name="Upload and read the columns").click()
    page.get_by_role("button", name="Check every row").click()
    page.get_by_role("button", name="Commit all 3 rows").click()
    expect(page.get_by_text("Committed").first).to_be_visible()
    assert sorted(Asset.objects.values_list("name", flat=True)) == ["Backup NAS", "EHR", "Front-desk server"]

    # Start the analysis: its scope is the three assets now in service.
    page.get_by_role("link", name="Risk analysis", exact=True).click()
    page.get_by_role("link", name="Start an analysis").click()
    page.get_by_label("Title").fill(f"Security risk analysis {timezone.localdate().year}")
    page.get_by_role("button", name="Start").click()
    expect(page.get_by_role("heading", name=re.compile("Security risk analysis"))).to_be_visible()
    record_risk(page, "Ransomware encrypts the server and its backups", "Front-desk server", "4", "5")
    record_risk(page, "Lost laptop exposes charts", "EHR", "2", "3")

    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("heading", name=re.compile("In review"))).to_be_visible()
    page.get_by_role("link", name="Review and approve").click()
    page.get_by_label("I approve this risk analysis").check()
    page.get_by_role("button", name="Sign and approve").click()
    expect(page.get_by_role("heading", name=re.compile("Approved"))).to_be_visible()

    analysis = RiskAnalysis.objects.get()
    assert analysis.status == RiskAnalysis.Status.APPROVED
    assert analysis.approval is not None and analysis.approval.signer == user
    assert analysis.approval.meaning == Signature.Meaning.APPROVED
    assert [item.name for item in analysis.scope_items.all()] == ["Backup NAS", "EHR", "Front-desk server"]
    assert AuditEvent.objects.filter(action="risk.analysis.approved", object_id=str(analysis.public_id)).exists()

    # The evaluation ran on approval: the dashboard shows the risk analysis requirement met.
    page.get_by_role("link", name="Dashboard").first.click()
    row = page.locator("tr", has=page.get_by_role("link", name="164.308(a)(1)(ii)(A)", exact=True))
    expect(row.locator(".status")).to_have_text("Met")
    expect(row).to_contain_text("covers every asset in service")
