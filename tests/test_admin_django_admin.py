"""The Django admin is read-mostly: records are shown, never edited; audit events cannot be changed by anyone."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import AuditEvent, Membership, Organization, User
from tests.conftest import PASSWORD, Cast


@pytest.fixture
def operator(db: None) -> Client:
    """A superuser signed in with a verified one-time code, as the admin site requires."""
    user = User.objects.create_superuser(email="ops@safeguard.test", password=PASSWORD)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def event(cast: Cast) -> AuditEvent:
    with transaction.atomic():
        return audit_record(
            actor=Actor.system("test"), action="test.event", organization=cast.org, changes={"x": [1, 2]}
        )


def _snapshot(event: AuditEvent) -> tuple[object, ...]:
    return tuple(AuditEvent.objects.filter(pk=event.pk).values_list("action", "changes", "hash").first() or ())


def test_operator_sees_audit_events_read_only(operator: Client, event: AuditEvent) -> None:
    changelist = operator.get(reverse("admin:core_auditevent_changelist"))
    assert changelist.status_code == 200
    assert "test.event" in changelist.content.decode()
    assert "delete_selected" not in changelist.content.decode()
    detail = operator.get(reverse("admin:core_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_audit_event_change_is_refused_even_to_a_superuser(operator: Client, event: AuditEvent) -> None:
    before = _snapshot(event)
    response = operator.post(
        reverse("admin:core_auditevent_change", args=[event.pk]), {"action": "forged", "changes": "{}"}
    )
    assert response.status_code == 403
    assert _snapshot(event) == before


def test_audit_event_delete_is_refused_even_to_a_superuser(operator: Client, event: AuditEvent) -> None:
    before = _snapshot(event)
    url = reverse("admin:core_auditevent_delete", args=[event.pk])
    assert operator.get(url).status_code == 403
    assert operator.post(url, {"post": "yes"}).status_code == 403
    assert _snapshot(event) == before


def test_bulk_delete_of_audit_events_is_refused(operator: Client, event: AuditEvent) -> None:
    response = operator.post(
        reverse("admin:core_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    # The audit event list offers no actions at all, so the POST is not taken as one: the list is shown again.
    assert response.status_code == 200
    assert response.context["action_form"] is None
    assert [str(m) for m in response.context["messages"]] == []
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_events_cannot_be_added_in_the_admin(operator: Client, cast: Cast) -> None:
    assert operator.get(reverse("admin:core_auditevent_add")).status_code == 403
    assert not AuditEvent.objects.exists()


def test_organizations_cannot_be_edited_in_the_admin(operator: Client, cast: Cast) -> None:
    url = reverse("admin:core_organization_change", args=[cast.org.pk])
    assert operator.get(url).status_code == 200
    assert operator.post(url, {"name": "Hijacked", "slug": "clinic", "kind": "hybrid"}).status_code == 403
    cast.org.refresh_from_db()
    assert cast.org.name == "Riverside Clinic"


@pytest.mark.parametrize(
    "name",
    [
        "core_user",
        "core_membership",
        "core_evidence",
        "core_obligation",
        "core_signature",
        "catalog_requirement",
        "tracker_verdict",
        "tracker_attestation",
        "otp_totp_totpdevice",
        "otp_static_staticdevice",
    ],
)
def test_every_admin_list_opens_and_offers_no_add(operator: Client, cast: Cast, name: str) -> None:
    response = operator.get(reverse(f"admin:{name}_changelist"))
    assert response.status_code == 200
    assert operator.get(reverse(f"admin:{name}_add")).status_code == 403


def test_user_admin_shows_no_password_hash_or_secrets(operator: Client, cast: Cast) -> None:
    device = TOTPDevice.objects.create(user=cast.owner, name="app", confirmed=True)
    page = operator.get(reverse("admin:core_user_change", args=[cast.owner.pk])).content.decode()
    assert "owner@clinic.test" in page
    assert "argon2" not in page
    device_page = operator.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk])).content.decode()
    assert device.key not in device_page


def test_deactivate_action_goes_through_the_service(operator: Client, cast: Cast) -> None:
    nurse = Membership.objects.get(organization=cast.org, user=cast.workforce)
    owner = Membership.objects.get(organization=cast.org, user=cast.owner)
    response = operator.post(
        reverse("admin:core_membership_changelist"),
        {"action": "deactivate", "_selected_action": [nurse.pk, owner.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "An organization must keep at least one owner." in page
    nurse.refresh_from_db()
    owner.refresh_from_db()
    assert (nurse.is_active, owner.is_active) == (False, True)
    event = AuditEvent.objects.get(organization=cast.org, action="membership.deactivated")
    assert event.actor is not None and event.actor.email == "ops@safeguard.test"


def test_verify_chain_action_reports_each_organization(operator: Client, event: AuditEvent) -> None:
    org = Organization.objects.get(slug="clinic")
    response = operator.post(
        reverse("admin:core_organization_changelist"),
        {"action": "verify_audit_chain", "_selected_action": [org.pk]},
        follow=True,
    )
    assert "Audit chain of &#x27;clinic&#x27; verified: 1 events." in response.content.decode()


def test_admin_requires_a_verified_one_time_code(cast: Cast) -> None:
    user = User.objects.create_superuser(email="ops2@safeguard.test", password=PASSWORD)
    client = Client()
    client.force_login(user)
    response = client.get(reverse("admin:core_auditevent_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_sign_in_asks_for_a_one_time_code(db: None) -> None:
    page = Client().get(reverse("admin:login"))
    assert page.status_code == 200
    assert 'name="otp_token"' in page.content.decode()
