"""The demo's workforce and access records: what `demo_seed` creates, the dashboard panels they feed, and the
verdicts the demo's story stands for (see safeguard/access/demo.py):
- 164.308(a)(3)(ii)(C) not met: Julia Santos's EHR account was disabled 30 h 55 min after she left;
- 164.308(a)(4)(ii)(B) and (C) not met: both systems were reviewed last quarter, but Luis Romero (moved to billing)
  and Dana Reyes (exception expired) hold access beyond their profiles; 164.308(a)(4)(ii)(A) not applicable;
- 164.312(a)(2)(ii) met: one break-glass use reviewed the same day, one awaiting review within its 48 hours.

The demo is seeded once for the module, inside a transaction rolled back at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from safeguard.access.models import (
    AccessException,
    Account,
    AccountDesignation,
    AccountSnapshot,
    BreakGlassAccount,
    BreakGlassActivation,
    Finding,
    ProfileGrant,
    ReviewCampaign,
    ReviewerAttestation,
    ReviewItem,
    RoleProfile,
    System,
)
from safeguard.catalog.loader import catalog_load
from safeguard.core.demo import demo_seed
from safeguard.core.models import AuditEvent, Organization, User
from safeguard.tracker.models import Verdict
from safeguard.tracker.widgets import widgets_for
from safeguard.workforce.models import Authorization, Clearance, IssuedItem, Person, Workflow, WorkflowTask
from tests.conftest import client_for

EHR, PM = "EHR (cloud)", "Practice management"


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


def test_the_roster_was_loaded_from_the_hr_export_with_the_demo_users_as_managers(org: Organization) -> None:
    people = Person.objects.filter(organization=org)
    assert people.count() == 30
    assert Counter(people.values_list("status", flat=True)) == {"active": 26, "leave": 1, "terminated": 3}
    # The joiner, the mover and the two leavers were entered by hand since.
    assert people.filter(source=Person.Source.ROSTER).count() == 26
    managers = dict(
        people.filter(employee_id__in=["E1010", "E1031", "E1050"]).values_list("employee_id", "manager__email")
    )
    assert managers == {
        "E1010": "owner@demo.safeguard.test",
        "E1031": "maya.patel@demo.safeguard.test",
        "E1050": "official@demo.safeguard.test",
    }
    committed = AuditEvent.objects.filter(organization=org, action="import.committed")
    kinds = Counter(event.changes["kind"][1] for event in committed)
    # The training story imports its own files (tests/test_demo_training.py holds them).
    ours = {kind: count for kind, count in kinds.items() if kind.startswith(("workforce.", "access."))}
    assert ours == {"workforce.roster": 1, "access.accounts": 4}


def test_the_roster_changes_opened_their_workflows(org: Organization) -> None:
    workflows = {w.person.employee_id: w for w in Workflow.objects.filter(organization=org).select_related("person")}
    assert {(k, w.kind, w.status) for k, w in workflows.items()} == {
        ("E1012", "mover", "open"),  # the EHR change is still to do
        ("E1014", "leaver", "done"),
        ("E1023", "leaver", "open"),  # the laptop is still out
        ("E1070", "joiner", "open"),
    }
    joiner = Counter(workflows["E1070"].tasks.values_list("status", flat=True))
    assert joiner == {"done": 5, "open": 2}  # acknowledgement of the security policies and PM provisioning open
    elapsed = {
        (
            task.workflow.person.employee_id,
            task.title.split(" account")[0].removeprefix("Disable "),
        ): task.elapsed_seconds
        for task in WorkflowTask.objects.filter(organization=org, kind="deprovision").select_related("workflow__person")
    }
    assert elapsed == {
        ("E1014", EHR): 3 * 3600 + 5 * 60,
        ("E1014", PM): 4 * 3600 + 15 * 60,
        ("E1023", EHR): 30 * 3600 + 55 * 60,
        ("E1023", PM): 3600 + 40 * 60,
    }
    items = IssuedItem.objects.filter(organization=org)
    assert items.count() == 9
    assert sorted(items.filter(recovered_at__isnull=False).values_list("label", flat=True)) == ["B-1014", "B-1023"]
    assert items.get(person__employee_id="E1023", kind="device").recovered_at is None


def test_clearances_and_authorizations_cover_everyone_with_access(org: Organization) -> None:
    assert Clearance.objects.filter(organization=org, result="passed").count() == 17
    by_basis = Counter(Authorization.objects.filter(organization=org).values_list("basis", flat=True))
    assert by_basis["recorded"] == 26 and by_basis["joiner"] == 2  # the joiner's and the mover's approvals
    assert by_basis["review"] > 0  # last quarter's keep decisions by the managers


def test_systems_lists_and_matching(org: Organization) -> None:
    systems = {s.asset.name: s for s in System.objects.filter(organization=org).select_related("asset")}
    assert sorted(systems) == [EHR, PM]
    today = timezone.localdate()
    for system in systems.values():
        taken = list(
            AccountSnapshot.objects.filter(system=system).order_by("taken_at").values_list("taken_at", flat=True)
        )
        assert [timezone.localdate(moment) for moment in taken] == [
            today - timedelta(days=96),
            today - timedelta(days=10),
        ]

    def latest(name: str) -> dict[str, int]:
        snapshot = AccountSnapshot.objects.filter(system=systems[name]).order_by("-taken_at").first()
        rows = Account.objects.filter(snapshot=snapshot).values("classification").annotate(n=Count("pk"))
        return {row["classification"]: row["n"] for row in rows}

    assert latest(EHR) == {"person": 26, "shared": 1, "service": 1}
    assert latest(PM) == {"person": 22, "pending": 1, "service": 1, "orphan": 1}
    frontdesk = Account.objects.filter(system=systems[EHR], username="frontdesk").order_by("-snapshot__taken_at")[0]
    assert frontdesk.owner is not None and (frontdesk.classification, frontdesk.owner.full_name) == (
        "shared",
        "Maya Patel",
    )
    assert AccountDesignation.objects.filter(organization=org).count() == 1
    pending = Account.objects.filter(system=systems[PM], classification="pending").select_related("person").first()
    assert pending is not None and pending.person is not None
    assert (pending.username, pending.person.full_name) == ("fatima.z", "Fatima Zahra")
    unprotected = Account.objects.filter(system=systems[PM], privileged=True, mfa_enabled=False).values_list(
        "username", flat=True
    )
    assert set(unprotected) == {"isokolov"}


def test_profiles_and_exceptions(org: Organization) -> None:
    assert RoleProfile.objects.filter(organization=org).count() == 7
    assert ProfileGrant.objects.filter(profile__organization=org).count() == 15
    today = timezone.localdate()
    exceptions = {
        e.person.full_name: e for e in AccessException.objects.filter(organization=org).select_related("person")
    }
    assert {name: e.status for name, e in exceptions.items()} == {"Kevin O'Brien": "approved", "Dana Reyes": "approved"}
    assert exceptions["Kevin O'Brien"].expires_on > today > exceptions["Dana Reyes"].expires_on


def test_last_quarter_review_is_closed_with_its_package_and_this_one_is_under_way(org: Organization) -> None:
    closed, current = (ReviewCampaign.objects.get(organization=org, status=status) for status in ("closed", "open"))
    assert closed.decided_count == closed.item_count > 0
    assert closed.package_evidence is not None and closed.failure == ""
    assert ReviewerAttestation.objects.filter(campaign=closed).count() == 2
    revoked = ReviewItem.objects.get(campaign=closed, decision="revoke")
    assert (revoked.username, revoked.revoked_at is not None) == ("mlopez", True)
    assert Counter(Finding.objects.filter(campaign=closed).values_list("kind", flat=True)) == {
        "terminated_active": 1,
        "inactive": 1,
        "shared_no_owner": 1,
        "privileged_no_mfa": 1,
        "unconfirmed_match": 1,
    }
    assert 0 < current.decided_count < current.item_count
    assert current.roster_as_of == timezone.localdate() - timedelta(days=5)
    assert not ReviewerAttestation.objects.filter(campaign=current).exists()
    assert Counter(Finding.objects.filter(campaign=current).values_list("kind", flat=True)) == {
        "beyond_profile": 2,
        "expired_exception": 1,
        "inactive": 2,
        "orphan": 1,
        "privileged_no_mfa": 1,
        "unconfirmed_match": 1,
    }
    assert ReviewItem.objects.get(campaign=current, username="kwilson").decision == "revoke"


def test_break_glass_register(org: Organization) -> None:
    accounts = BreakGlassAccount.objects.filter(organization=org).prefetch_related("custodians")
    assert {a.username: a.custodians.count() for a in accounts} == {"ehr-breakglass": 2, "pm-emergency": 2}
    uses = {
        a.account.username: a for a in BreakGlassActivation.objects.filter(organization=org).select_related("account")
    }
    reviewed = uses["ehr-breakglass"]
    assert reviewed.justified is True
    assert reviewed.reviewed_at is not None and reviewed.reviewed_at <= reviewed.review_due_at
    assert uses["pm-emergency"].reviewed_at is None and uses["pm-emergency"].review_due_at > timezone.now()


def test_tracker_verdicts_tell_the_demo_story(org: Organization) -> None:
    termination = _verdict(org, "164.308(a)(3)(ii)(C)")
    assert termination.status == "not_met"
    assert "1 of the 4 accounts of 2 leavers missed the target" in termination.reason
    assert "Julia Santos" in termination.reason and "30 h 55 min" in termination.reason
    for citation in ("164.308(a)(4)(ii)(B)", "164.308(a)(4)(ii)(C)"):
        verdict = _verdict(org, citation)
        assert verdict.status == "not_met"
        assert verdict.reason.startswith("2 current accounts with access beyond profile and no valid exception")
        assert "dreyes of Dana Reyes (chart review)" in verdict.reason
        assert "lromero of Luis Romero (nurse)" in verdict.reason
        assert "had no access review" not in verdict.reason and "overdue" not in verdict.reason
    assert _verdict(org, "164.308(a)(4)(ii)(A)").status == "not_applicable"
    break_glass = _verdict(org, "164.312(a)(2)(ii)")
    assert (break_glass.status, break_glass.basis) == ("met", "records")
    assert "1 use in the last 90 days awaits review" in break_glass.reason
    assert _verdict(org, "164.308(a)(3)(ii)(A)").status == "met"
    assert _verdict(org, "164.308(a)(3)(ii)(B)").status == "met"


def test_dashboard_widgets_show_the_demo(org: Organization) -> None:
    widgets = {widget.title: widget.context for widget in widgets_for(org, timezone.localdate())}
    leavers = widgets["Leaver access removal, last 90 days"]
    assert (leavers["leavers"], leavers["accounts"], leavers["breaches"]) == (2, 4, 1)
    assert (leavers["median"], leavers["worst"], leavers["worst_person"]) == (
        "3 h 40 min",
        "30 h 55 min",
        "Julia Santos",
    )
    mfa = {
        row["name"]: (row["percent"], row["privileged_no_mfa"]) for row in widgets["MFA coverage per system"]["rows"]
    }
    assert mfa == {EHR: (92, 0), PM: (43, 1)}
    assert [row["title"] for row in widgets["Access reviews"]["rows"]] == [
        ReviewCampaign.objects.get(organization=org, status="open").title
    ]
    assert widgets["Open findings"]["total"] == 8

    Organization.objects.filter(pk=org.pk).update(mfa_required=False)  # force_login cannot pass a TOTP step
    owner = User.objects.get(email="owner@demo.safeguard.test")
    page = client_for(owner).get(reverse("tracker:dashboard", args=[org.slug]))
    assert page.status_code == 200
    text = page.content.decode()
    for shown in ("Leaver access removal", "30 h 55 min", "MFA coverage per system", "Access reviews", "Open findings"):
        assert shown in text
