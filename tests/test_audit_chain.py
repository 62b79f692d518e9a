"""The audit trail is append-only and written in the same transaction as the change."""

import pytest
from django.db import transaction

from safeguard.core.audit import Actor, audit_record, audit_verify_chain
from safeguard.core.models import AuditEvent, Organization
from safeguard.core.models.audit import AppendOnlyError
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.organizations import org_update_settings
from tests.conftest import Cast


def _record(org: Organization, action: str = "test.event") -> AuditEvent:
    with transaction.atomic():
        return audit_record(actor=Actor.system("test"), action=action, organization=org, changes={"x": [1, 2]})


def test_events_chain_by_sequence_and_hash(cast: Cast) -> None:
    first, second = _record(cast.org), _record(cast.org)
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.prev_hash == first.hash
    assert len(first.hash) == 64 and first.hash != second.hash
    assert audit_verify_chain(cast.org).ok


def test_each_organization_has_its_own_chain(cast: Cast) -> None:
    _record(cast.org)
    other = _record(cast.other_org)
    assert other.sequence == 1


def test_saved_event_cannot_be_saved_again_or_deleted(cast: Cast) -> None:
    event = _record(cast.org)
    event.action = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


@pytest.mark.django_db(transaction=True)
def test_recording_outside_a_transaction_is_refused() -> None:
    org = Organization.objects.create(slug="solo", name="Solo")
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(actor=Actor.system("test"), action="x", organization=org)
    assert not AuditEvent.objects.exists()


def test_a_failed_change_leaves_no_event_and_no_write(cast: Cast) -> None:
    with pytest.raises(ServiceError):
        org_update_settings(organization=cast.org, actor=Actor(user=cast.owner), kind="spaceship")
    assert not AuditEvent.objects.filter(organization=cast.org).exists()

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        org_update_settings(organization=cast.org, actor=Actor(user=cast.owner), name="Renamed")
        raise Boom
    cast.org.refresh_from_db()
    assert cast.org.name == "Riverside Clinic"
    assert not AuditEvent.objects.filter(organization=cast.org).exists()


def test_settings_change_records_field_level_before_and_after(cast: Cast) -> None:
    org_update_settings(organization=cast.org, actor=Actor(user=cast.owner, ip="10.0.0.5"), mfa_required=True)
    event = AuditEvent.objects.get(organization=cast.org, action="organization.settings_changed")
    assert event.changes == {"mfa_required": [False, True]}
    assert event.actor == cast.owner and event.ip_address == "10.0.0.5"
