"""`manage.py demo_seed`: the demo organization shows every verdict kind, and a second run changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.catalog.loader import catalog_load
from safeguard.core.audit import audit_verify_chain
from safeguard.core.demo import DEMO_PASSWORD
from safeguard.core.models import Evidence, Membership, Obligation, Organization, User
from safeguard.core.roles import Role
from safeguard.tracker.models import DailySnapshot, EvaluationRun, Verdict

EMAILS = [f"{name}@demo.safeguard.test" for name in ("owner", "official", "privacy", "nurse", "auditor")]


def _seed() -> str:
    out = StringIO()
    call_command("demo_seed", stdout=out)
    return out.getvalue()


@dataclass(frozen=True)
class Seeded:
    output: str
    media: Path
    store: Path
    day: date


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Seeded]:  # noqa: ANN001
    """The command run once for the module (it takes seconds, most on PostgreSQL), in a transaction rolled back
    at the end; each test runs inside it and rolls back its own changes. A module's fixture does not get the
    autouse fixtures' settings: the ones the seed needs are set here."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    inline = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    media, store = tmp_path_factory.mktemp("evidence"), tmp_path_factory.mktemp("activity")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, ACTIVITY_STORE_DIR=store, PASSWORD_HASHERS=fast, TASKS=inline),
        transaction.atomic(),
    ):
        catalog_load()
        day = timezone.localdate()  # the seed's today: tests run later, perhaps after midnight
        yield Seeded(_seed(), media, store, day)
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once: Seeded, db, settings) -> str:  # noqa: ANN001
    """The seed's output, with its folders in place of each test's own (the evidence files it wrote are there)."""
    settings.MEDIA_ROOT, settings.ACTIVITY_STORE_DIR = seeded_once.media, seeded_once.store
    return seeded_once.output


@pytest.fixture
def seeded_on(seeded_once: Seeded) -> date:
    return seeded_once.day


def test_prints_the_sign_in_details_with_working_codes(seeded: str) -> None:
    # First in the module: the codes were printed when the module seeded, and a code is good for 30 to 60 s.
    assert seeded.startswith("Created the demo organization 'demo'")
    assert "Tracker:" in seeded
    assert f"Password (all of them): {DEMO_PASSWORD}" in seeded
    assert "http://127.0.0.1:8000/" in seeded
    for email in EMAILS:
        assert email in seeded
        device = TOTPDevice.objects.get(user__email=email)
        block = seeded.split(email, 1)[1]
        code = block.split("current code: ", 1)[1][:6]
        assert "otpauth://totp/" in block.split("current code", 1)[0]
        assert device.verify_token(code)


def test_creates_the_demo_organization_with_its_people(seeded: str, seeded_on: date) -> None:
    organization = Organization.objects.get(slug="demo")
    assert (organization.name, organization.kind, organization.mfa_required) == (
        "Demo Family Clinic",
        "covered_entity",
        True,
    )
    roles = dict(Membership.objects.filter(organization=organization).values_list("user__email", "role"))
    assert roles == dict(
        zip(
            EMAILS,
            [Role.OWNER, Role.SECURITY_OFFICIAL, Role.PRIVACY_OFFICER, Role.WORKFORCE, Role.AUDITOR],
            strict=True,
        )
    )
    auditor = Membership.objects.get(organization=organization, role=Role.AUDITOR)
    assert auditor.access_ends_on == seeded_on + timedelta(days=90)
    for user in User.objects.filter(email__in=EMAILS):
        assert user.check_password(DEMO_PASSWORD)
        assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1


def test_dashboard_shows_every_verdict_kind(seeded: str) -> None:
    verdicts = Verdict.objects.filter(organization__slug="demo").select_related("requirement")
    by_citation = {v.requirement.citation: (v.status, v.basis) for v in verdicts}
    assert {status for status, _ in by_citation.values()} == {
        "met",
        "partially_met",
        "not_met",
        "not_applicable",
        "unknown",
    }
    assert by_citation["164.308(a)(2)"] == ("met", "records")  # the security official
    assert by_citation["164.312(a)(2)(i)"] == ("met", "attestation")
    assert by_citation["164.308(a)(6)(ii)"] == ("not_met", "attestation")  # expired
    assert by_citation["164.312(a)(2)(iii)"] == ("met", "decision")  # signed, with an alternative
    assert by_citation["164.310(a)(2)(iv)"] == ("not_met", "decision")  # not signed
    assert by_citation["164.308(a)(4)(ii)(A)"][0] == "not_applicable"  # not a clearinghouse
    assert by_citation["164.314(b)(2)(i)"][0] == "not_applicable"  # not a group health plan
    assert by_citation["164.308(a)(1)"][0] == "partially_met"
    assert not EvaluationRun.objects.filter(organization__slug="demo", state="queued").exists()


def test_records_behind_the_demo(seeded: str, seeded_on: date) -> None:
    organization = Organization.objects.get(slug="demo")
    today = seeded_on
    assert Evidence.objects.filter(organization=organization).count() >= 5
    pdf = Evidence.objects.get(organization=organization, title="Risk analysis report").versions.get()
    assert pdf.content_type == "application/pdf"
    with pdf.file.open("rb") as stored:
        assert stored.read().startswith(b"%PDF-1.4")
    due = dict(Obligation.objects.filter(organization=organization).values_list("title", "due_on"))
    assert due["Annual risk analysis"] == today + timedelta(days=20)
    assert due["Quarterly access review"] == today - timedelta(days=5)
    assert "Annual policy review" in due and due["Quarterly restore test"] > today
    snapshots = list(DailySnapshot.objects.filter(organization=organization).order_by("day"))
    assert len(snapshots) == 61
    assert snapshots[0].day == today - timedelta(days=60) and snapshots[-1].day == today
    assert snapshots[0].overall_percent < snapshots[30].overall_percent < snapshots[-1].overall_percent
    assert audit_verify_chain(organization).ok


def test_a_second_run_changes_nothing_and_says_so(seeded: str) -> None:
    before = _row_counts()
    output = _seed()
    assert output.startswith("The demo organization 'demo' already exists: nothing changed.")
    assert "TOTP secret" in output and DEMO_PASSWORD in output
    assert _row_counts() == before
