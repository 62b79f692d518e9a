"""One risk record of each kind, made straight through the ORM, for tests that need a record to point at
(the MFA sweep, authorization matrices). Services have their own tests; these rows only have to exist."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from safeguard.core.models import Organization, Signature, User
from safeguard.risk.methods import METHODOLOGY, PROFILE_5X5
from safeguard.risk.models import (
    Asset,
    AssetKind,
    DataFlow,
    ImportJob,
    MitigationAction,
    ReanalysisTrigger,
    ReportJob,
    Risk,
    RiskAcceptance,
    RiskAnalysis,
    SanctionLevel,
    SanctionPolicy,
    SanctionRecord,
    Threat,
    ThreatSource,
    Transport,
    Vulnerability,
    VulnerabilityArea,
)


def risk_records(organization: Organization, user: User) -> dict[str, str]:
    """Route parameter name → public id of a record of that kind in `organization`."""
    ehr = Asset.objects.create(organization=organization, name="EHR", kind=AssetKind.APPLICATION, owner=user)
    lab = Asset.objects.create(organization=organization, name="Lab interface", kind=AssetKind.SERVER)
    flow = DataFlow.objects.create(
        organization=organization,
        source=ehr,
        destination=lab,
        ephi="Lab orders",
        transport=Transport.HL7,
        encrypted_in_transit=True,
    )
    threat = Threat.objects.create(organization=organization, name="Ransomware", source_type=ThreatSource.ADVERSARIAL)
    vulnerability = Vulnerability.objects.create(
        organization=organization, name="Unpatched servers", area=VulnerabilityArea.TECHNICAL
    )
    analysis = RiskAnalysis.objects.create(
        organization=organization,
        title="2026 analysis",
        method=dict(PROFILE_5X5),
        methodology=METHODOLOGY,
        started_by=user,
    )
    risk = Risk.objects.create(organization=organization, number=1, title="Ransomware on the EHR", analysis=analysis)
    risk.assets.add(ehr)
    action = MitigationAction.objects.create(
        organization=organization,
        risk=risk,
        title="Patch monthly",
        owner=user,
        due_on=timezone.localdate() + timedelta(days=30),
        acceptance_criteria="Scan shows no critical patches missing.",
    )
    signature = Signature.objects.create(
        organization=organization,
        signer=user,
        signer_role="owner",
        meaning=Signature.Meaning.ACCEPTED_RISK,
        target_type="risk.risk",
        target_id=str(risk.public_id),
        content_sha256="0" * 64,
    )
    acceptance = RiskAcceptance.objects.create(
        organization=organization,
        risk=risk,
        rationale="Cost",
        expires_on=timezone.localdate() + timedelta(days=90),
        signature=signature,
    )
    trigger = ReanalysisTrigger.objects.create(
        organization=organization, kind=ReanalysisTrigger.Kind.SIGNIFICANT_CHANGE, reason="New EHR"
    )
    policy = SanctionPolicy.objects.create(organization=organization, version=1, body="Policy", created_by=user)
    today = timezone.localdate()
    sanction = SanctionRecord.objects.create(
        organization=organization,
        person_name="A. Person",
        occurred_on=today,
        decided_on=today,
        violation="Shared a password",
        policy_breached="Password policy",
        level=SanctionLevel.COACHING,
        decided_by=user,
        created_by=user,
    )
    stored = default_storage.save("imports/sweep.csv", ContentFile(b"name,kind\nEHR,application\n"))
    job = ImportJob.objects.create(
        organization=organization,
        kind=ImportJob.Kind.ASSETS,
        file_name="assets.csv",
        file_format="csv",
        stored_name=stored,
        headers=["name", "kind"],
        created_by=user,
    )
    workbook = default_storage.save("risk-reports/sweep.xlsx", ContentFile(b"PK\x03\x04 sweep"))
    report = ReportJob.objects.create(
        organization=organization,
        kind=ReportJob.Kind.REGISTER_XLSX,
        requested_by=user,
        state=ReportJob.State.DONE,
        progress=100,
        stored_name=workbook,
        file_name="risk-register.xlsx",
        size=12,
    )
    return {
        "asset_id": str(ehr.public_id),
        "flow_id": str(flow.public_id),
        "threat_id": str(threat.public_id),
        "vulnerability_id": str(vulnerability.public_id),
        "analysis_id": str(analysis.public_id),
        "risk_id": str(risk.public_id),
        "action_id": str(action.public_id),
        "acceptance_id": str(acceptance.public_id),
        "trigger_id": str(trigger.public_id),
        "policy_id": str(policy.public_id),
        "sanction_id": str(sanction.public_id),
        "import_id": str(job.public_id),
        "report_id": str(report.public_id),
    }
