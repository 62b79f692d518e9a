"""`manage.py audit_verify`: exit 0 for an intact chain; exit 1 naming the first edited, deleted or inserted row."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, chain_hash
from safeguard.core.models import AuditEvent, Organization
from tests.audit_tampering import tampering_allowed
from tests.conftest import Cast


def _chain(org: Organization, length: int = 4) -> list[AuditEvent]:
    events = []
    for number in range(length):
        with transaction.atomic():
            events.append(
                audit_record(
                    actor=Actor.system("test"), action=f"test.e{number}", organization=org, changes={"n": [0, number]}
                )
            )
    return events


def _verify(*args: str) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def _insert_raw(org: Organization, *, sequence: int, prev_hash: str, hash_: str | None) -> None:
    """Write a row the way someone with database access would: straight SQL, past the model's refusal.

    Without `hash_`, the row's hash is computed correctly over its content and `prev_hash`.
    """
    forged = AuditEvent(
        organization=org,
        sequence=sequence,
        occurred_at=timezone.now(),
        actor_label="system:test",
        action="test.forged",
        changes={"n": [0, 99]},
        prev_hash=prev_hash,
        hash=hash_ or "",
    )
    if hash_ is None:
        forged.hash = chain_hash(prev_hash, forged)
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    values = [f.get_db_prep_save(getattr(forged, f.attname), connection) for f in fields]
    with tampering_allowed(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO core_auditevent ({columns}) VALUES ({', '.join(['%s'] * len(fields))})",  # noqa: S608
            values,
        )


def test_an_intact_chain_verifies(cast: Cast) -> None:
    _chain(cast.org)
    assert _verify("--org", "clinic") == "Audit chain of 'clinic' verified: 4 events\n"


def test_an_empty_chain_verifies(cast: Cast) -> None:
    assert "verified: 0 events" in _verify("--org", "clinic")


def test_an_edited_row_is_named(cast: Cast) -> None:
    _chain(cast.org)
    with tampering_allowed(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET object_repr = %s WHERE organization_id = %s AND sequence = 3",
            ["tampered", cast.org.pk],
        )
    with pytest.raises(CommandError) as refusal:
        _verify("--org", "clinic")
    assert refusal.value.returncode == 1
    assert str(refusal.value) == (
        "Audit chain of 'clinic' is BROKEN at #3: event #3 does not match its hash: its content was edited "
        "(2 events verified before it)"
    )


def test_a_deleted_row_is_named(cast: Cast) -> None:
    _chain(cast.org)
    with tampering_allowed(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE organization_id = %s AND sequence = 2", [cast.org.pk])
    with pytest.raises(CommandError, match=r"BROKEN at #2: event #2 is missing \(next present is #3\)"):
        _verify("--org", "clinic")


def test_an_inserted_row_with_a_plausible_but_wrong_link_is_named(cast: Cast) -> None:
    events = _chain(cast.org)
    # Linked to event #3 instead of #4, as if branched off the chain; its own hash is computed correctly.
    _insert_raw(cast.org, sequence=5, prev_hash=events[2].hash, hash_=None)
    with pytest.raises(CommandError, match="BROKEN at #5: event #5 does not link to the event before it"):
        _verify("--org", "clinic")


def test_an_inserted_row_with_a_plausible_but_wrong_hash_is_named(cast: Cast) -> None:
    events = _chain(cast.org)
    # Linked correctly, but its hash copied from a genuine event instead of computed over its content.
    _insert_raw(cast.org, sequence=5, prev_hash=events[3].hash, hash_=events[3].hash)
    with pytest.raises(CommandError, match="BROKEN at #5: event #5 does not match its hash"):
        _verify("--org", "clinic")


def test_all_checks_every_chain_and_fails_if_one_is_broken(cast: Cast) -> None:
    _chain(cast.org, 2)
    _chain(cast.other_org, 3)
    output = _verify("--all")
    assert "Audit chain of 'clinic' verified: 2 events" in output
    assert "Audit chain of 'other' verified: 3 events" in output
    assert "sign-in and account events verified: 0 events" in output
    with tampering_allowed(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE organization_id = %s AND sequence = 1", [cast.other_org.pk])
    with pytest.raises(CommandError, match="Audit chain of 'other' is BROKEN at #1"):
        _verify("--all")


def test_an_unknown_organization_is_refused(db: None) -> None:
    with pytest.raises(CommandError, match="No organization with the slug 'nope'."):
        _verify("--org", "nope")


def test_org_or_all_is_required(db: None) -> None:
    with pytest.raises(CommandError, match="one of the arguments --org --all is required"):
        _verify()


def test_from_the_shell_a_broken_chain_exits_1(cast: Cast, capsys: pytest.CaptureFixture[str]) -> None:
    _chain(cast.org, 2)
    with tampering_allowed(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET public_id = %s WHERE organization_id = %s AND sequence = 1",
            [AuditEvent._meta.get_field("public_id").get_db_prep_save(uuid.uuid4(), connection), cast.org.pk],
        )
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "audit_verify", "--org", "clinic"]).execute()
    assert exit_info.value.code == 1
    assert "BROKEN at #1" in capsys.readouterr().err
