"""The sanction policy approved in the risk records is published for the workforce to acknowledge, in the approving
transaction: if the mirror cannot be made, the approval does not happen either. A sanction recorded or changed asks
for the assignment rules to be re-evaluated."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from safeguard.core.audit import Actor
from safeguard.core.models import Organization
from safeguard.risk.models import SanctionPolicy, SanctionRecord
from safeguard.risk.signals import sanction_policy_approved, sanction_recorded
from safeguard.training.services.acknowledgements import sanction_policy_publish
from safeguard.training.services.assignment_sync import request_sync

APPROVED = "risk.sanction_policy_approved"


@receiver(sanction_policy_approved, dispatch_uid="training.sanction_policy_publish")
def publish_approved_sanction_policy(
    sender: Any, *, organization: Organization, policy: SanctionPolicy, actor: Actor, **kwargs: Any
) -> None:
    # The approval asks for the tracker's evaluation: the mirror's request joins it under the approval's name.
    sanction_policy_publish(organization=organization, policy=policy, actor=actor, trigger=APPROVED)


@receiver(sanction_recorded, dispatch_uid="training.sanction_recorded")
def resync_after_sanction(sender: Any, *, organization: Organization, sanction: SanctionRecord, **kwargs: Any) -> None:
    # Rules for people named in a sanction assign their remedial course after the commit.
    request_sync(organization)
