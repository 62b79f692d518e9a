"""Sign-offs: who signed what, meaning what, with a hash of the content as signed."""

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from safeguard.core.audit import Actor, audit_record, jsonable
from safeguard.core.models import Membership, Organization, Signature
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError


def content_hash(content: Mapping[str, Any]) -> str:
    canonical = json.dumps(jsonable(dict(content)), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def signature_create(
    *,
    organization: Organization,
    actor: Actor,
    meaning: str,
    target_type: str,
    target_id: str,
    content: Mapping[str, Any],
    statement: str = "",
    permission: Perm = Perm.SIGN_DECISIONS,
) -> Signature:
    """Record a signature. Must run inside the caller's transaction. Sign-offs for the program need SIGN_DECISIONS
    (the security official, an owner); a reviewer's attestation of their own review needs REVIEW_ACCESS."""
    if actor.user is None:
        raise ServiceError("Only a person can sign.")
    membership = Membership.objects.current().filter(organization=organization, user=actor.user).first()
    if membership is None or not membership.has(permission):
        if permission == Perm.SIGN_DECISIONS:
            raise ServiceError("Only the security official or an owner can sign this.")
        raise ServiceError(f"Your role ({membership.get_role_display() if membership else 'none'}) cannot sign this.")
    signature = Signature.objects.create(
        organization=organization,
        signer=actor.user,
        signer_role=membership.role,
        meaning=meaning,
        target_type=target_type,
        target_id=str(target_id),
        content_sha256=content_hash(content),
        statement=statement,
    )
    audit_record(
        actor=actor,
        action="signature.signed",
        organization=organization,
        target=signature,
        changes={
            "meaning": [None, meaning],
            "target": [None, f"{target_type}:{target_id}"],
            "content_sha256": [None, signature.content_sha256],
        },
    )
    return signature
