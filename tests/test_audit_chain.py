"""The audit trail is append-only and written in the same transaction as the change."""

import uuid

import pytest
from django.db import DatabaseError, connection, transaction

from safeguard.core.audit import Actor, audit_record, audit_verify_chain
from safeguard.core.models import AuditEvent, Organization
from safeguard.core.models.audit import AppendOnlyError
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.organizations import org_update_settings
from tests.audit_tampering import tampering_allowed
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


def test_values_the_database_normalizes_still_verify_after_a_round_trip(cast: Cast) -> None:
    """IPv6 addresses are compressed, jsonb rewrites large floats, PostgreSQL text refuses NUL: hash what is stored."""
    with transaction.atomic():
        audit_record(
            actor=Actor(user=cast.owner, ip="2001:0db8:0000:0000:0000:0000:0000:0001"),
            action="test.normalized",
            organization=cast.org,
            object_repr="name with \x00 nul",
            changes={"big": [1e20, 0.1], "text": [None, "a\x00b"], "nested": {"k": [1.5]}},
        )
    event = AuditEvent.objects.get(organization=cast.org, action="test.normalized")
    assert event.ip_address == "2001:db8::1"
    assert event.changes["big"] == ["1e+20", "0.1"]
    assert "\x00" not in event.changes["text"][1] and "\x00" not in event.object_repr
    assert audit_verify_chain(cast.org).ok


def test_an_unparseable_address_is_not_stored(cast: Cast) -> None:
    with transaction.atomic():
        event = audit_record(actor=Actor(user=cast.owner, ip="not-an-ip"), action="x", organization=cast.org)
    assert event.ip_address is None


def test_deleting_the_newest_events_is_detected(cast: Cast) -> None:
    for _ in range(4):
        _record(cast.org)
    with tampering_allowed(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {AuditEvent._meta.db_table} WHERE organization_id = %s AND sequence >= 3", [cast.org.pk]
        )
    result = audit_verify_chain(cast.org)
    assert not result.ok
    assert result.broken_sequence == 3
    assert "the newest events were deleted" in result.problem


def test_a_row_appended_behind_the_audit_trails_back_is_detected(cast: Cast) -> None:
    first = _record(cast.org)
    with tampering_allowed(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AuditEvent._meta.db_table} (public_id, organization_id, sequence, occurred_at, "
            "actor_label, action, object_type, object_id, object_repr, changes, prev_hash, hash) "
            "VALUES (%s, %s, 2, %s, 'x', 'forged', '', '', '', '{}', %s, %s)",
            [uuid.uuid4().hex, cast.org.pk, first.occurred_at, first.hash, "f" * 64],
        )
    result = audit_verify_chain(cast.org)
    assert not result.ok and result.broken_sequence == 2


def test_account_events_share_one_numbered_chain(cast: Cast) -> None:
    with transaction.atomic():
        first = audit_record(actor=Actor.system("test"), action="auth.a", organization=None)
        second = audit_record(actor=Actor.system("test"), action="auth.b", organization=None)
    assert (first.sequence, second.sequence) == (1, 2)
    assert audit_verify_chain(None).ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE core_auditevent SET action = 'forged' WHERE organization_id = %s",
        pytest.param(
            "DELETE FROM core_auditevent WHERE organization_id = %s",
            marks=pytest.mark.skipif(
                "connection.vendor != 'postgresql'", reason="SQLite keeps DELETE for test flushes"
            ),
        ),
    ],
)
def test_the_database_itself_refuses_to_change_audit_events(cast: Cast, statement: str) -> None:
    _record(cast.org)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [cast.org.pk])
    assert AuditEvent.objects.get(organization=cast.org).action == "test.event"
    assert audit_verify_chain(cast.org).ok


def test_deleting_the_newest_event_and_the_chain_head_is_still_detected(cast: Cast) -> None:
    for _ in range(3):
        _record(cast.org)
    with tampering_allowed(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE organization_id = %s AND sequence = 3", [cast.org.pk])
        cursor.execute("DELETE FROM core_chainhead WHERE organization_id = %s", [cast.org.pk])
    result = audit_verify_chain(cast.org)
    assert not result.ok
    assert "head record is missing" in result.problem


def test_a_lost_head_is_rebuilt_in_the_open(cast: Cast) -> None:
    _record(cast.org)
    _record(cast.org)
    with tampering_allowed(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_chainhead WHERE organization_id = %s", [cast.org.pk])
    after = _record(cast.org, "test.after")
    rebuilt = AuditEvent.objects.get(organization=cast.org, action="audit.chain_head_rebuilt")
    assert (rebuilt.sequence, after.sequence) == (3, 4)
    assert rebuilt.changes == {"rebuilt_at_sequence": [None, 2]}
    assert audit_verify_chain(cast.org).ok, "the chain goes on; the rebuild itself is on the record"


def test_the_database_refuses_to_rewind_a_chain_head(cast: Cast) -> None:
    _record(cast.org)
    _record(cast.org)
    with pytest.raises(DatabaseError, match="only move forward"), transaction.atomic(), connection.cursor() as c:
        c.execute("UPDATE core_chainhead SET sequence = 1 WHERE organization_id = %s", [cast.org.pk])
    assert audit_verify_chain(cast.org).ok
