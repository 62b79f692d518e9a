"""Tracker checks the core records can answer: who is the security official, what applies, retention."""

from datetime import date

from django.db.models import Max
from django.utils import timezone

from safeguard.core.models import Evidence, Membership, Organization
from safeguard.core.roles import Role
from safeguard.core.services.evidence import retention_floor
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check

GROUP_HEALTH_PLAN_SPECS = ("164.314(b)(2)(i)", "164.314(b)(2)(ii)", "164.314(b)(2)(iii)", "164.314(b)(2)(iv)")


@check("164.308(a)(2)", name="core.one_security_official")
def one_security_official(organization: Organization, today: date) -> CheckResult:
    officials = list(
        Membership.objects.current(today)
        .filter(organization=organization, role=Role.SECURITY_OFFICIAL)
        .select_related("user")
    )
    records = tuple(RecordRef("core.membership", str(m.public_id), f"Security official: {m.user}") for m in officials)
    if not officials:
        return CheckResult(
            Status.NOT_MET,
            "No member holds the security official role.",
            next_action="Designate one security official: give one member the Security official role.",
        )
    if len(officials) > 1:
        names = ", ".join(str(m.user) for m in officials)
        return CheckResult(
            Status.PARTIALLY_MET,
            f"{len(officials)} members hold the security official role ({names}); "
            "the rule asks for one person to be responsible.",
            records,
            next_action="Keep one security official; give the others another role.",
        )
    official = officials[0]
    return CheckResult(
        Status.MET,
        f"{official.user} is the designated security official.",
        records,
        lapses_on=official.access_ends_on,
    )


@check("164.308(a)(4)(ii)(A)", name="core.clearinghouse_applicability")
def clearinghouse_applicability(organization: Organization, today: date) -> CheckResult:
    if not organization.is_clearinghouse:
        return CheckResult(
            Status.NOT_APPLICABLE,
            "The organization's profile says it is not, and does not contain, a health care clearinghouse.",
        )
    return CheckResult(
        Status.UNKNOWN,
        "The organization contains a clearinghouse; its isolation is not yet verified by records.",
        next_action="Attest how the clearinghouse's ePHI is isolated from the rest of the organization.",
    )


def _group_health_plan(organization: Organization, today: date) -> CheckResult:
    if not organization.is_group_health_plan:
        return CheckResult(
            Status.NOT_APPLICABLE,
            "The organization's profile says it is not a group health plan.",
        )
    return CheckResult(
        Status.UNKNOWN,
        "The organization is a group health plan; plan documents are not yet recorded.",
        next_action="Attest that the plan documents require the sponsor's safeguards; attach the plan document.",
    )


for _citation in GROUP_HEALTH_PLAN_SPECS:
    check(_citation, name="core.group_health_plan_applicability")(_group_health_plan)


@check("164.316(b)(2)(i)", name="core.evidence_retention")
def evidence_retention(organization: Organization, today: date) -> CheckResult:
    kept = Evidence.objects.filter(organization=organization, is_deleted=False)
    total = kept.count()
    if total == 0:
        return CheckResult(
            Status.UNKNOWN,
            "No documentation is stored in Safeguard yet.",
            next_action="Upload the program's policies and records as evidence.",
        )
    rows = kept.only("public_id", "title", "effective_date", "retain_until", "created_at").annotate(
        last_upload=Max("versions__uploaded_at")
    )
    short = [
        e
        for e in rows.iterator()
        if e.retain_until < retention_floor(e.effective_date, timezone.localdate(e.last_upload or e.created_at))
    ]
    if short:
        records = tuple(RecordRef("core.evidence", str(e.public_id), e.title) for e in short[:20])
        return CheckResult(
            Status.NOT_MET,
            f"{len(short)} evidence items are set to be kept less than six years.",
            records,
            next_action="Extend their retention dates to six years after the later of their effective date and "
            "their latest upload.",
        )
    return CheckResult(
        Status.MET,
        f"All {total} evidence items are kept at least six years after they were last in effect or uploaded, "
        "and early deletion is refused.",
    )
