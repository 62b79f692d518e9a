"""The security official's main journey, in a real browser (Playwright driving Debian's chromium).

Sign in with password and TOTP, open the dashboard, drill into 164.308(a)(1), record an attestation with an
evidence file, and find it in the audit trail.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, Page, expect, sync_playwright

from safeguard.catalog.loader import catalog_load
from safeguard.core.models import AuditEvent, Evidence, Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.tracker.models import Attestation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "journey-password-2026"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch, settings) -> Iterator[Browser]:
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.fail("Debian's chromium is needed for browser tests: `make test` installs it (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are still synchronous.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()
        # ORM calls made while Playwright's loop runs get their own connection; close it, or PostgreSQL
        # refuses to drop the test database at the end of the session.
        connections.close_all()


@pytest.fixture
def official() -> tuple[User, str]:
    catalog_load()
    organization = Organization.objects.create(slug="clinic", name="Riverside Clinic")  # MFA required by default
    user = User.objects.create_user(email="so@clinic.test", password=PASSWORD, first_name="Sam", last_name="Ortiz")
    Membership.objects.create(organization=organization, user=user, role=Role.SECURITY_OFFICIAL)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user, device.bin_key.hex()


def _current_code(hex_key: str) -> str:
    return f"{totp(bytes.fromhex(hex_key)):06d}"


def test_official_signs_in_with_totp_attests_with_evidence_and_finds_it_in_the_audit_trail(
    browser: Browser,
    live_server,
    official: tuple[User, str],
    tmp_path: Path,
) -> None:
    user, key = official
    page: Page = browser.new_page()
    page.set_default_timeout(15_000)

    page.goto(f"{live_server.url}/o/clinic/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_label("Code from your authenticator app").fill(_current_code(key))
    page.get_by_role("button", name="Verify").click()

    # The dashboard: the requirement tree with every verdict, and the standard to drill into.
    expect(page.get_by_role("heading", name="Riverside Clinic")).to_be_visible()
    page.get_by_role("link", name="164.308(a)(1)", exact=True).first.click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^164\.308\(a\)\(1\) Security management process"))
    page.get_by_role("link", name="164.308(a)(1)(ii)(C)", exact=True).first.click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^164\.308\(a\)\(1\)\(ii\)\(C\) Sanction policy"))

    policy = tmp_path / "sanction-policy.pdf"
    policy.write_bytes(b"%PDF-1.4\n% Sanction policy, approved by the board.\n%%EOF\n")
    form = page.locator("form#attestation-form")
    form.get_by_label("Statement").fill("Our sanction policy is approved and applied; see the signed policy.")
    form.get_by_label("Expires on").fill("2027-11-30")
    form.get_by_label("Evidence file").set_input_files(str(policy))
    form.get_by_label("Evidence title").fill("Sanction policy v3")
    form.get_by_role("button", name="Record attestation").click()

    expect(page.get_by_text("Sanction policy v3").first).to_be_visible()
    attestation = Attestation.objects.get(requirement__citation="164.308(a)(1)(ii)(C)")
    assert attestation.attested_by == user
    evidence = Evidence.objects.get(title="Sanction policy v3")
    assert evidence.versions.get().size == policy.stat().st_size

    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    row = page.locator("tr", has_text="attestation.recorded")
    expect(row).to_be_visible()
    expect(row).to_contain_text("164.308(a)(1)(ii)(C)")
    assert AuditEvent.objects.filter(action="evidence.uploaded", object_id=str(evidence.public_id)).exists()
