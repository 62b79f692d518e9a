"""The demo's contingency story (safeguard/contingency/demo.py): the records `demo_seed` creates, the readiness
dashboard's figures and reasons, the dashboard panels, and the verdicts the story stands for:
- 164.308(a)(7)(ii)(A) partially met: the firewall's configuration export has failed since a firmware update;
- (ii)(B) met: the disaster recovery plan (v2, revised after the tabletop) covers every tier 1–2 asset;
- (ii)(C) partially met: the emergency mode plan leaves out the front-desk server and the network;
- (ii)(D) partially met: only practice management passed a restore test within its period;
- (ii)(E) met: every asset in service has a profile and the analysis was approved as it stands.

The demo is seeded once for the module, inside a transaction rolled back at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

import safeguard.contingency.demo  # noqa: F401  (registers the story until registrations.py imports it)
from safeguard.catalog.loader import catalog_load
from safeguard.contingency.models import (
    AssetDependency,
    BackupImport,
    BackupResult,
    CorrectiveAction,
    CriticalityApproval,
    PlanVersion,
    RecoveryProfile,
    RestoreTest,
    VendorRecovery,
)
from safeguard.contingency.queries_overview import readiness
from safeguard.contingency.widgets import corrective_actions_widget, recovery_readiness_widget
from safeguard.core.demo import demo_seed
from safeguard.core.models import Organization, User
from safeguard.tracker.models import Verdict
from tests.conftest import client_for

EHR, PM, SERVER, NETWORK = "EHR (cloud)", "Practice management", "Front-desk server", "Office network and firewall"


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


def test_the_criticality_analysis_profiles_every_asset_and_is_approved(org: Organization) -> None:
    profiles = {p.asset.name: p for p in RecoveryProfile.objects.filter(organization=org).select_related("asset")}
    tiers = {name: p.tier for name, p in profiles.items() if p.in_scope and p.tier <= 2}
    assert tiers == {EHR: 1, PM: 2, SERVER: 2, NETWORK: 2}
    assert [name for name, p in profiles.items() if not p.in_scope] == ["Paper chart room"]
    assert all(p.rto_minutes <= p.mtd_minutes for p in profiles.values())
    needs = set(AssetDependency.objects.filter(organization=org).values_list("asset__name", "depends_on__name"))
    assert {(PM, SERVER), (PM, NETWORK), (SERVER, NETWORK)} <= needs
    approval = CriticalityApproval.objects.get(organization=org)
    assert len(approval.content["profiles"]) == 10


def test_backup_results_came_through_one_import_with_a_failure_and_a_stale_job(org: Organization) -> None:
    batch = BackupImport.objects.get(organization=org)
    results = BackupResult.objects.filter(organization=org)
    assert (batch.state, batch.inserted, batch.rejected) == ("done", results.count(), 0)
    assert results.count() > 30 * 4  # the practice management dump alone runs four times a day
    failed = set(results.filter(status="failed").values_list("policy__asset__name", flat=True))
    assert failed == {SERVER, NETWORK}
    assert results.filter(policy__asset__name=SERVER, status="failed").count() == 1


def test_one_restore_test_met_and_one_missed_its_rto_opening_an_action(org: Organization) -> None:
    tests = dict(RestoreTest.objects.filter(organization=org).values_list("asset__name", "outcome"))
    assert tests == {PM: "met", SERVER: "missed"}
    missed = RestoreTest.objects.get(organization=org, asset__name=SERVER)
    assert (missed.rto_met, missed.rpo_met) == (False, True)
    assert missed.finished_at - missed.started_at == timedelta(hours=18)
    assert missed.started_at - missed.restore_point_at == timedelta(hours=8)  # the nightly image of 01:00
    action = CorrectiveAction.objects.get(restore_test=missed)
    assert action.title == "Restore test of Front-desk server missed its RTO by 6 h"
    assert action.status == "open"


def test_the_plans_and_the_exercise(org: Organization) -> None:
    versions = PlanVersion.objects.filter(organization=org).select_related("plan", "caused_by_exercise")
    states = {(v.plan.title, v.number, v.status) for v in versions}
    assert states == {
        ("Disaster recovery plan", 1, "superseded"),
        ("Disaster recovery plan", 2, "approved"),
        ("Emergency mode operation plan", 1, "approved"),
    }
    revision = versions.get(plan__title="Disaster recovery plan", number=2)
    exercise = revision.caused_by_exercise
    assert exercise is not None and exercise.completed and exercise.lessons_learned
    assert (timezone.localdate() - exercise.held_on).days in range(119, 124)  # four months ago
    assert CorrectiveAction.objects.filter(exercise=exercise, status="open").count() == 1
    emergency = versions.get(plan__title="Emergency mode operation plan")
    assert sorted(emergency.covered_assets.values_list("name", flat=True)) == [EHR, PM]


def test_the_ehr_vendor_states_a_slower_rto_than_ours(org: Organization) -> None:
    record = VendorRecovery.objects.get(organization=org)
    assert (record.asset.name, record.business_associate) == (EHR, "Acme EHR Inc.")
    assert (record.stated_rto_minutes, record.asset.recovery_profile.rto_minutes) == (24 * 60, 8 * 60)
    assert record.evidence is not None


def test_readiness_shows_one_of_four_critical_assets_ready(org: Organization) -> None:
    found = readiness(org, today=timezone.localdate(), now=timezone.now())
    assert [(c.tier, c.assets, c.ready) for c in found.tiers[:2]] == [(1, 1, 0), (2, 3, 1)]
    reasons = {row.asset.name: row.reasons for row in found.rows if row.profile.tier <= 2}
    assert reasons[PM] == []
    assert reasons[EHR] == ["Never restore-tested.", "Their RTO (1 d) is longer than ours (8 h)."]
    assert reasons[SERVER][-1].startswith("The last restore test (")
    assert reasons[NETWORK][0].startswith("Latest good restore point is ")
    assert reasons[NETWORK][0].endswith("the RPO is 7 d.")


def test_the_readiness_page_and_the_dashboard_panels(org: Organization) -> None:
    official = User.objects.get(email="official@demo.safeguard.test")
    Organization.objects.filter(pk=org.pk).update(mfa_required=False)  # force_login cannot pass a TOTP step
    page = client_for(official).get(reverse("contingency:home", args=[org.slug]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Not ready" in text and "Latest good restore point is " in text
    readiness_widget = recovery_readiness_widget(org, timezone.localdate())
    actions_widget = corrective_actions_widget(org, timezone.localdate())
    assert readiness_widget is not None and actions_widget is not None
    assert (readiness_widget.context["ready"], readiness_widget.context["assets"]) == (1, 4)
    assert (actions_widget.context["open"], actions_widget.context["overdue"]) == (2, 0)


@pytest.mark.parametrize(
    ("citation", "status", "words"),
    [
        ("164.308(a)(7)(ii)(A)", "partially_met", "3 of 4 tier 1–2 assets are backed up within their RPO"),
        ("164.308(a)(7)(ii)(B)", "met", "covers every tier 1–2 asset"),
        ("164.308(a)(7)(ii)(C)", "partially_met", "Front-desk server, Office network and firewall"),
        ("164.308(a)(7)(ii)(D)", "partially_met", "1 of 4 tier 1–2 assets passed a restore test"),
        ("164.308(a)(7)(ii)(E)", "met", "every asset in service has a recovery profile"),
    ],
)
def test_the_story_gives_the_intended_verdicts(org: Organization, citation: str, status: str, words: str) -> None:
    verdict = _verdict(org, citation)
    assert verdict.status == status
    assert words in verdict.reason
