"""The audit trail: recording events in the caller's transaction, and verifying the hash chain."""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.db import connection, models
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from safeguard.core.models import AuditEvent, ChainHead, Organization

if TYPE_CHECKING:
    from django.http import HttpRequest

    from safeguard.core.models import User

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who did it and from where; passed to every service so it can write the audit event."""

    user: User | None
    ip: str | None = None
    label: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> Actor:
        user = request.user if request.user.is_authenticated else None
        return cls(user=user, ip=request.META.get("REMOTE_ADDR"))

    @classmethod
    def system(cls, process: str) -> Actor:
        return cls(user=None, label=f"system:{process}")

    @property
    def display(self) -> str:
        if self.user is not None:
            return self.user.email
        return self.label or "system"


def _text(value: str) -> str:
    # PostgreSQL text cannot hold NUL; store (and hash) what the database will give back.
    return value.replace("\x00", "\ufffd")


def jsonable(value: Any) -> Any:
    """A value as it will be stored in `changes` and hashed: JSON-native, and unchanged by a database round trip.

    Floats become strings: PostgreSQL's jsonb turns 1e20 into an integer, which would break the hash.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return _text(str(getattr(value, "public_id", value.pk)))
    if isinstance(value, Mapping):
        return {_text(str(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [jsonable(v) for v in value]
    return _text(str(value))


def normalize_ip(value: str | None) -> str | None:
    """The address as the database stores it (IPv6 compressed), or None when it is not an address."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        return clean_ipv6_address(str(address))
    return str(address)


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Field name → [before, after] for each field whose value differs."""
    changed = {}
    for name in sorted(set(before) | set(after)):
        old, new = jsonable(before.get(name)), jsonable(after.get(name))
        if old != new:
            changed[name] = [old, new]
    return changed


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in fields}


def canonical_bytes(event: AuditEvent) -> bytes:
    payload = {
        "id": str(event.public_id),
        "organization": str(event.organization.public_id) if event.organization is not None else None,
        "sequence": event.sequence,
        "occurred_at": jsonable(event.occurred_at),
        "actor": str(event.actor.public_id) if event.actor is not None else None,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "changes": event.changes,
        "ip_address": event.ip_address,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical_bytes(event)).hexdigest()


ACCOUNTS_CHAIN = "accounts"


def chain_key(organization: Organization | None) -> str:
    return str(organization.public_id) if organization is not None else ACCOUNTS_CHAIN


def _locked_head(organization: Organization | None) -> tuple[ChainHead, bool]:
    """The chain's head row, locked for this transaction, and whether it had to be rebuilt.

    A chain with no events gets its head here. A chain that has events but no head lost it (head rows are
    created with the first event, by the migration for older chains, and by org_import): the head is rebuilt
    from the newest event so that work can go on, and the caller records the rebuild in the chain itself.
    """
    key = chain_key(organization)
    head = ChainHead.objects.select_for_update().filter(chain=key).first()
    if head is not None:
        return head, False
    last = AuditEvent.objects.filter(organization=organization).order_by("-sequence").first()
    ChainHead.objects.get_or_create(
        chain=key,
        defaults={
            "organization": organization,
            "sequence": last.sequence if last else 0,
            "hash": last.hash if last else GENESIS_HASH,
        },
    )
    return ChainHead.objects.select_for_update().get(chain=key), last is not None


def chain_head_adopt(organization: Organization) -> None:
    """Give an imported chain its head at its newest event (org_import inserts events as they were)."""
    last = AuditEvent.objects.filter(organization=organization).order_by("-sequence").first()
    if last is not None:
        ChainHead.objects.create(
            chain=chain_key(organization), organization=organization, sequence=last.sequence, hash=last.hash
        )


def _append(head: ChainHead, event: AuditEvent) -> AuditEvent:
    event.sequence = head.sequence + 1
    event.prev_hash = head.hash
    event.hash = chain_hash(event.prev_hash, event)
    event.save()
    ChainHead.objects.filter(pk=head.pk).update(sequence=event.sequence, hash=event.hash)
    head.sequence, head.hash = event.sequence, event.hash
    return event


def audit_record(
    *,
    actor: Actor,
    action: str,
    organization: Organization | None,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the organization's chain. Must run inside the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must be called inside the transaction that makes the change")
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(getattr(target, "public_id", target.pk))
        object_repr = object_repr or str(target)[:300]
    head, rebuilt = _locked_head(organization)
    if rebuilt:
        _append(
            head,
            AuditEvent(
                organization=organization,
                occurred_at=timezone.now(),
                actor_label="system:audit",
                action="audit.chain_head_rebuilt",
                object_type="core.chainhead",
                object_id=chain_key(organization),
                object_repr="The chain's head record was missing and was rebuilt from the newest event",
                changes={"rebuilt_at_sequence": [None, head.sequence]},
            ),
        )
    event = AuditEvent(
        organization=organization,
        occurred_at=timezone.now(),
        actor=actor.user,
        actor_label=_text(actor.display)[:254],
        action=action,
        object_type=_text(object_type)[:80],
        object_id=_text(object_id)[:80],
        object_repr=_text(object_repr)[:300],
        changes=jsonable(dict(changes or {})),
        ip_address=normalize_ip(actor.ip),
    )
    _append(head, event)
    return event


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    checked: int
    broken_sequence: int | None = None
    problem: str = ""


def audit_verify_chain(organization: Organization | None) -> ChainVerification:
    """Walk the chain in order; report the first event whose link or content does not hold."""
    expected_prev = GENESIS_HASH
    expected_sequence = 1
    checked = 0
    events = (
        AuditEvent.objects.filter(organization=organization)
        .select_related("organization", "actor")
        .order_by("sequence")
    )
    for event in events.iterator(chunk_size=2000):
        if event.sequence != expected_sequence:
            return ChainVerification(
                False,
                checked,
                expected_sequence,
                f"event #{expected_sequence} is missing (next present is #{event.sequence}): a row was deleted",
            )
        if event.prev_hash != expected_prev:
            return ChainVerification(
                False,
                checked,
                event.sequence,
                f"event #{event.sequence} does not link to the event before it: a row was inserted or replaced",
            )
        if chain_hash(event.prev_hash, event) != event.hash:
            return ChainVerification(
                False,
                checked,
                event.sequence,
                f"event #{event.sequence} does not match its hash: its content was edited",
            )
        expected_prev = event.hash
        expected_sequence += 1
        checked += 1
    head = ChainHead.objects.filter(chain=chain_key(organization)).first()
    last_sequence = expected_sequence - 1
    if head is None and last_sequence > 0:
        return ChainVerification(
            False,
            checked,
            last_sequence + 1,
            "the chain's head record is missing: events may have been deleted from the end",
        )
    if head is not None and head.sequence > last_sequence:
        return ChainVerification(
            False,
            checked,
            last_sequence + 1,
            f"the chain ends at #{last_sequence} but its head records #{head.sequence}: the newest events were deleted",
        )
    if head is not None and (head.sequence < last_sequence or head.hash != expected_prev):
        return ChainVerification(
            False,
            checked,
            head.sequence + 1,
            f"event #{head.sequence + 1} onwards were not written through the audit trail: "
            "rows were appended or the last event was replaced",
        )
    return ChainVerification(True, checked)
