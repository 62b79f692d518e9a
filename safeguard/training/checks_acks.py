"""The acknowledgement part of 164.308(a)(1)(ii)(C), the sanction policy (the risk app checks the policy itself).

The approved sanction policy is mirrored as a published version of the organization's sanction-policy document.
Met needs at least the acknowledgement threshold (95% unless changed) of the active workforce to have
acknowledged that version.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse

from safeguard.core.models import Organization
from safeguard.risk.services.sanctions import approved_policy
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check
from safeguard.training.checks_common import (
    DOCUMENT_VERSION_TYPE,
    NAMED,
    NO_ACTIVE,
    PERSON_ORDER,
    listed,
    meets,
    people_refs,
    percent,
    plural,
)
from safeguard.training.models import AckDocumentVersion, Acknowledgement
from safeguard.training.queries import active_people, training_settings
from safeguard.workforce.models import Person


def _version_ref(organization: Organization, version: AckDocumentVersion) -> RecordRef:
    url = reverse("training:ack_version_detail", args=[organization.slug, version.public_id])
    label = f"{version.document.title} v{version.number}"
    return RecordRef(DOCUMENT_VERSION_TYPE, str(version.public_id), label, url)


@check("164.308(a)(1)(ii)(C)", name="training.sanction_policy_acknowledged")
def sanction_policy_acknowledged(organization: Organization, today: date) -> CheckResult:
    policy = approved_policy(organization)
    if policy is None:
        return CheckResult(
            Status.UNKNOWN,
            "No sanction policy is approved, so there is nothing for the workforce to acknowledge yet.",
            next_action="Approve the sanction policy (Sanction policy); it is then published for acknowledgement.",
        )
    mirror = (
        AckDocumentVersion.objects.filter(
            organization=organization, sanction_policy=policy, status=AckDocumentVersion.Status.PUBLISHED
        )
        .select_related("document")
        .first()
    )
    if mirror is None:
        return CheckResult(
            Status.NOT_MET,
            f"The approved sanction policy v{policy.version} is not published for acknowledgement.",
            next_action="Publish the approved sanction policy for acknowledgement (Training → Documents).",
        )
    if not Person.objects.filter(organization=organization).exists():
        return CheckResult(
            Status.UNKNOWN,
            "No workforce roster is recorded, so who acknowledged the sanction policy cannot be judged.",
            next_action="Import the HR roster (Workforce), or connect the identity provider over SCIM.",
        )
    acknowledged = Exists(Acknowledgement.objects.filter(version=mirror, person=OuterRef("pk")))
    people = active_people(organization)
    counts = people.aggregate(active=Count("pk"), acknowledged=Count("pk", filter=Q(acknowledged)))
    if not counts["active"]:
        return NO_ACTIVE
    active, done = counts["active"], counts["acknowledged"]
    threshold = training_settings(organization).ack_threshold
    record = _version_ref(organization, mirror)
    judged = (
        f"{done} of {plural(active, 'active person', 'active people')} ({percent(done, active)}) acknowledged the "
        f"sanction policy v{policy.version} (threshold {threshold}%)"
    )
    if meets(done, active, threshold):
        return CheckResult(
            Status.MET,
            judged + ".",
            (record,),
            next_action="Have each new hire acknowledge the sanction policy in their first days.",
        )
    missing = list(people.exclude(acknowledged).order_by(*PERSON_ORDER)[:NAMED])
    return CheckResult(
        Status.NOT_MET,
        f"{judged}; not yet acknowledged by {listed((p.full_name for p in missing), active - done)}.",
        (record, *people_refs(organization, missing)),
        next_action="Remind the people who have not acknowledged the sanction policy (Training → Documents), or "
        "record their signed paper acknowledgement.",
    )
