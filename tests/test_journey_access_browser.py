"""The access review journey in a real browser: the security official imports the HR roster and two systems'
account lists, starts a review; the nurses' manager decides every account assigned to them and attests; the
official closes the review and sees 164.308(a)(4) turn to met (its clearinghouse specification not applicable)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect

from safeguard.access.models import ProfileGrant, ReviewCampaign, RoleProfile
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from tests.access_factories import system
from tests.test_journey_browser import PASSWORD, browser, official  # noqa: F401  (fixtures)
from tests.test_journey_risk_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROSTER = """\
Employee ID,First Name,Last Name,Work Email,Department,Job Title,Manager,Hire Date
M001,Morgan,Lee,manager@clinic.test,Nursing,Nurse Manager,,2019-03-01
N001,Nia,Brooks,nia.brooks@clinic.test,Nursing,Registered Nurse,manager@clinic.test,2021-05-10
N002,Omar,Haddad,omar.haddad@clinic.test,Nursing,Registered Nurse,manager@clinic.test,2022-01-17
F001,Ruth,Kowalski,ruth.kowalski@clinic.test,Front Desk,Receptionist,M001,2020-08-03
"""


def ehr_list(recent: str, long_ago: str) -> str:
    """Matched by employee id; Ruth has not signed in for 200 days (an inactive account)."""
    return (
        "User ID,Employee Number,Full Name,Roles,Status,Last Login,MFA\n"
        f"nbrooks,N001,Nia Brooks,Nurse,Active,{recent},Yes\n"
        f"ohaddad,N002,Omar Haddad,Nurse,Active,{recent},Yes\n"
        f"rkowalski,F001,Ruth Kowalski,Front Desk,Active,{long_ago},Yes\n"
    )


def pm_list(recent: str) -> str:
    """Matched by email, and one account by name only (waiting for confirmation)."""
    return (
        "Login,Name,E-mail,Groups,Enabled,Last Logon\n"
        f"nia,Nia Brooks,nia.brooks@clinic.test,Clinical,true,{recent}\n"
        f"ruth,Ruth Kowalski,ruth.kowalski@clinic.test,Scheduling,true,{recent}\n"
        f"ohaddad2,Omar Haddad,,Clinical,true,{recent}\n"
    )


@pytest.fixture
def manager(official: tuple[User, str]) -> tuple[User, str]:  # noqa: F811
    """The nurses' manager, a member with the Manager role; and what the test sets up without a page: the two
    systems (ePHI assets owned by the official) and the role profiles covering the roster's jobs."""
    organization = Organization.objects.get(slug="clinic")
    user = User.objects.create_user(email="manager@clinic.test", password=PASSWORD, first_name="Morgan")
    Membership.objects.create(organization=organization, user=user, role=Role.MANAGER)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    ehr = system(organization, "EHR", owner=official[0])
    pm = system(organization, "Practice management", owner=official[0])
    for name, department, grants in (
        ("Nursing", "Nursing", ((ehr, "Nurse"), (pm, "Clinical"))),
        ("Front desk", "Front Desk", ((ehr, "Front Desk"), (pm, "Scheduling"))),
    ):
        profile = RoleProfile.objects.create(organization=organization, name=name, department=department)
        for target, role in grants:
            ProfileGrant.objects.create(profile=profile, system=target, role=role)
    return user, device.bin_key.hex()


def import_accounts(page: Page, system_name: str, csv: Path, matched: str) -> None:
    page.get_by_role("link", name="Systems & accounts").click()
    page.get_by_role("link", name="Import an account list").click()
    page.get_by_label("System").select_option(label=system_name)
    page.get_by_label("CSV or XLSX file").set_input_files(str(csv))
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("button", name="Check every row").click()
    preview = page.locator("#import-preview")
    expect(preview).to_contain_text(matched)
    expect(page.locator("#import-summary")).to_contain_text("Accounts: 3")
    page.get_by_role("button", name="Commit all 3 rows").click()
    expect(page.locator("#import-state")).to_contain_text("Committed")


def decide_with_comment(page: Page, username: str, comment: str) -> None:
    row = page.locator("#my-items tr", has_text=username)
    row.get_by_label("Keep").check()
    row.get_by_label("Comment").fill(comment)
    row.get_by_role("button", name="Decide").click()
    expect(page.locator("#my-items tr", has_text=username)).to_contain_text("Keep", timeout=10_000)


def test_import_roster_and_accounts_review_as_the_manager_close_and_see_access_management_met(
    browser: Browser,  # noqa: F811
    live_server,
    official: tuple[User, str],  # noqa: F811
    manager: tuple[User, str],
    tmp_path: Path,
) -> None:
    today = timezone.localdate()
    recent, long_ago = f"{today - timedelta(days=2):%Y-%m-%d} 09:15", f"{today - timedelta(days=200):%Y-%m-%d} 16:40"
    (tmp_path / "hr-export.csv").write_text(ROSTER)
    (tmp_path / "ehr-users.csv").write_text(ehr_list(recent, long_ago))
    (tmp_path / "pm-users.csv").write_text(pm_list(recent))

    so: Page = browser.new_context().new_page()
    so.set_default_timeout(20_000)
    sign_in(so, live_server.url, *official)

    # The roster: upload the HR export as the initial load, check what it changes, commit.
    so.get_by_role("link", name="Workforce", exact=True).click()
    so.get_by_role("link", name="Import the HR roster").click()
    so.get_by_label("CSV or XLSX file").set_input_files(str(tmp_path / "hr-export.csv"))
    so.get_by_label("New source's name").fill("Payroll export")
    expect(so.get_by_label("Initial load")).to_be_checked()
    so.get_by_role("button", name="Upload and check the columns").click()
    so.get_by_role("button", name="Check every row").click()
    expect(so.locator("#import-summary li[data-key=joiners]")).to_have_text("Joiners: 4")
    expect(so.locator("#import-preview")).to_contain_text("Ruth Kowalski")
    so.get_by_role("button", name="Commit all 4 rows").click()
    expect(so.locator("#import-state")).to_contain_text("Committed")
    so.get_by_role("link", name="Workforce", exact=True).click()
    expect(so.get_by_role("link", name="Omar Haddad")).to_be_visible()

    # Two account lists: the EHR's matched by employee id, the practice management system's by email and name.
    import_accounts(so, "EHR", tmp_path / "ehr-users.csv", "Employee id")
    import_accounts(so, "Practice management", tmp_path / "pm-users.csv", "Matched by name: waiting for confirmation")

    # Start the review of every system; it is prepared at once (background tasks run inline in tests).
    so.get_by_role("link", name="Access reviews").click()
    so.get_by_label("Title").fill("Access review, first quarter")
    so.get_by_role("button", name="Start the review").click()
    expect(so.get_by_role("heading", name="Access review, first quarter")).to_be_visible()
    expect(so.locator("dl")).to_contain_text("Open for decisions")
    expect(so.locator("#by-reviewer")).to_contain_text("manager@clinic.test")

    # The manager decides the six accounts of their reports: four without findings at once, two with a reason.
    lead: Page = browser.new_context().new_page()
    lead.set_default_timeout(20_000)
    sign_in(lead, live_server.url, *manager)
    lead.get_by_role("link", name="Access reviews").click()
    lead.get_by_role("link", name="6, 6 to decide").click()
    expect(lead.get_by_role("heading", name="My items in Access review, first quarter")).to_be_visible()
    expect(lead.locator("#my-items tr", has_text="rkowalski")).to_contain_text("Inactive beyond the limit")
    expect(lead.locator("#my-items tr", has_text="ohaddad2")).to_contain_text("Matched by name only")
    lead.get_by_role("button", name="Keep all 4 undecided items without findings").click()
    expect(lead.get_by_text("Kept: 4 items.")).to_be_visible()
    decide_with_comment(lead, "rkowalski", "Ruth is back from leave next week and needs the EHR.")
    decide_with_comment(lead, "ohaddad2", "Omar's practice management login; please confirm the match.")
    lead.get_by_label("I reviewed each account assigned to me and my decisions are final.").check()
    lead.get_by_role("button", name="Attest my decisions").click()
    expect(lead.locator("#attested")).to_contain_text("your decisions are final")

    # Before closing, no access review is closed: access management is not met.
    so.get_by_role("link", name="Dashboard").first.click()
    so.get_by_role("link", name="164.308(a)(4)", exact=True).first.click()
    verdict = so.locator(".verdict .status")
    expect(verdict).to_have_text("Not met")

    # The official closes the review; the evidence package is built; the requirement turns to met.
    so.get_by_role("link", name="Access reviews").click()
    so.get_by_role("link", name="Access review, first quarter").click()
    expect(so.locator("#by-reviewer")).to_contain_text("6 of 6 (100%)")
    so.get_by_role("button", name="Close the review").click()
    expect(so.get_by_text("The evidence package is being built.")).to_be_visible()
    expect(so.locator("dl")).to_contain_text("Closed")
    expect(so.locator("#package")).to_contain_text(".pdf")
    assert ReviewCampaign.objects.get().status == ReviewCampaign.Status.CLOSED

    so.get_by_role("link", name="Dashboard").first.click()
    so.get_by_role("link", name="164.308(a)(4)", exact=True).first.click()
    expect(so.locator("h1")).to_have_text(re.compile(r"^164\.308\(a\)\(4\) Information access management"))
    expect(verdict).to_have_text("Met")
    children = so.locator("section[aria-labelledby=specs-heading] tbody tr")
    expect(children.filter(has_text="164.308(a)(4)(ii)(A)").locator(".status")).to_have_text("Not applicable")
    for citation in ("164.308(a)(4)(ii)(B)", "164.308(a)(4)(ii)(C)"):
        expect(children.filter(has_text=citation).locator(".status")).to_have_text("Met")
