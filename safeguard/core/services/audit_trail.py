"""Reading the audit trail out of Safeguard is itself recorded: who exported what, when."""

from typing import Any

from django.db import transaction

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization


def audit_export_record(
    *, organization: Organization, actor: Actor, filters: dict[str, Any], events: int, through_sequence: int
) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="audit.exported",
            organization=organization,
            object_type="core.auditevent",
            object_id=organization.slug,
            object_repr=f"{events} events exported as CSV",
            changes={
                "filters": [None, {k: v for k, v in filters.items() if v not in (None, "")}],
                "events": [None, events],
                "through_sequence": [None, through_sequence],
            },
        )
