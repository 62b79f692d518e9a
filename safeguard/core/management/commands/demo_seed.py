"""Create the demo organization with its people and records (idempotent), and print how to sign in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from safeguard.core.demo import DEMO_PASSWORD, DEMO_SLUG, DemoResult, demo_seed


class Command(BaseCommand):
    help = (
        "Create the 'demo' organization (Demo Family Clinic) with five people, evidence, attestations, addressable "
        "decisions, obligations, verdicts and 60 days of dashboard history, then print the sign-in details. Running "
        "it again changes nothing and prints the details again. For development and trials only: the demo "
        "accounts share a published password."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = demo_seed()
        if result.created:
            self.stdout.write(
                self.style.SUCCESS(f"Created the demo organization '{DEMO_SLUG}' ({result.organization}).")
            )
        else:
            self.stdout.write(f"The demo organization '{DEMO_SLUG}' already exists: nothing changed.")
        self._summary(result)

    def _summary(self, result: DemoResult) -> None:
        counts = result.counts
        self.stdout.write(
            f"Tracker: {result.overall_percent:.0f}% — met {counts['met']}, partially met {counts['partially_met']}, "
            f"not met {counts['not_met']}, not applicable {counts['not_applicable']}, unknown {counts['unknown']}."
        )
        self.stdout.write("")
        self.stdout.write(f"Open {settings.SITE_URL.rstrip('/')}/ and sign in as any of these people.")
        self.stdout.write(f"Password (all of them): {DEMO_PASSWORD}")
        self.stdout.write("Add the TOTP secret to an authenticator app (or open the otpauth:// link on a phone).")
        for login in result.logins:
            self.stdout.write("")
            self.stdout.write(f"  {login.email}  ({login.role})")
            self.stdout.write(f"    TOTP secret:  {login.secret}")
            self.stdout.write(f"    otpauth URL:  {login.otpauth_url}")
            self.stdout.write(f"    current code: {login.current_code}  (changes every 30 seconds)")
