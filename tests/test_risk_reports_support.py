"""Records the report tests share, made through the ORM: an analysis with its scope, flows, rated risks, actions
and an acceptance, and an approval that keeps the signed copy as the approval service does.

No tests live here.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from safeguard.core.models import Organization, Signature, User
from safeguard.core.services.signatures import content_hash
from safeguard.risk.content import build_content
from safeguard.risk.methods import METHODOLOGY, PROFILE_5X5
from safeguard.risk.models import (
    AnalysisScopeItem,
    Asset,
    AssetKind,
    DataFlow,
    MitigationAction,
    Risk,
    RiskAcceptance,
    RiskAnalysis,
    Threat,
    ThreatSource,
    Transport,
    Treatment,
    Vulnerability,
    VulnerabilityArea,
)
from safeguard.risk.scoring import rate

TODAY = timezone.localdate()


def make_analysis(
    organization: Organization, user: User, *, risks: int = 3, title: str = "2026 analysis"
) -> RiskAnalysis:
    method = dict(PROFILE_5X5, reanalysis_months=12)
    analysis = RiskAnalysis.objects.create(
        organization=organization, title=title, method=method, methodology=METHODOLOGY, started_by=user
    )
    ehr = Asset.objects.create(organization=organization, name="EHR", kind=AssetKind.APPLICATION, owner=user)
    lab = Asset.objects.create(organization=organization, name="Lab interface", kind=AssetKind.SERVER)
    fax = Asset.objects.create(organization=organization, name="Fax server", kind=AssetKind.SERVER)
    for asset in (ehr, lab, fax):
        AnalysisScopeItem.objects.create(
            analysis=analysis, asset=asset, name=asset.name, kind=asset.kind, status=asset.status
        )
    DataFlow.objects.create(
        organization=organization,
        source=ehr,
        destination=lab,
        ephi="Lab orders",
        transport=Transport.HL7,
        encrypted_in_transit=True,
    )
    DataFlow.objects.create(
        organization=organization,
        source=ehr,
        destination=fax,
        ephi="Referral letters",
        transport=Transport.FAX,
        encrypted_in_transit=False,
    )
    threat = Threat.objects.create(organization=organization, name="Ransomware", source_type=ThreatSource.ADVERSARIAL)
    weakness = Vulnerability.objects.create(
        organization=organization, name="Unpatched servers", area=VulnerabilityArea.TECHNICAL
    )
    add_risks(organization, user, analysis, risks, threat=threat, vulnerability=weakness, asset=ehr)
    return analysis


def add_risks(
    organization: Organization,
    user: User,
    analysis: RiskAnalysis | None,
    count: int,
    *,
    threat: Threat | None = None,
    vulnerability: Vulnerability | None = None,
    asset: Asset | None = None,
    start: int | None = None,
) -> list[Risk]:
    """`count` rated risks, each with one mitigation action; the first one is accepted."""
    method = PROFILE_5X5
    first = start if start is not None else Risk.objects.filter(organization=organization).count() + 1
    made = []
    for offset in range(count):
        number = first + offset
        likelihood, impact = 1 + number % 5, 1 + (number * 2) % 5
        inherent = rate(method, likelihood, impact)
        residual = rate(method, max(likelihood - 1, 1), impact)
        risk = Risk.objects.create(
            organization=organization,
            number=number,
            title=f"Ransomware encrypts records {number}",
            analysis=analysis,
            threat=threat,
            vulnerability=vulnerability,
            description="Attackers encrypt the EHR database and demand payment.",
            existing_controls="Nightly backups\nEndpoint protection",
            likelihood=likelihood,
            impact=impact,
            inherent_score=inherent.score,
            inherent_level=inherent.level,
            inherent_rank=inherent.rank,
            planned_controls="Monthly patching",
            residual_likelihood=max(likelihood - 1, 1),
            residual_impact=impact,
            residual_score=residual.score,
            residual_level=residual.level,
            residual_rank=residual.rank,
            treatment=Treatment.MITIGATE,
            owner=user,
        )
        if asset is not None:
            risk.assets.add(asset)
        MitigationAction.objects.create(
            organization=organization,
            risk=risk,
            title=f"Patch servers monthly ({number})",
            owner=user,
            due_on=TODAY + timedelta(days=30 + offset % 40),
            acceptance_criteria="Scan shows no critical patch missing.",
        )
        made.append(risk)
    if made:
        accept(organization, user, made[0], rationale="Replacement planned next year")
    return made


def accept(organization: Organization, user: User, risk: Risk, *, rationale: str) -> RiskAcceptance:
    signature = Signature.objects.create(
        organization=organization,
        signer=user,
        signer_role="security_official",
        meaning=Signature.Meaning.ACCEPTED_RISK,
        target_type="risk.risk",
        target_id=str(risk.public_id),
        content_sha256="0" * 64,
    )
    return RiskAcceptance.objects.create(
        organization=organization,
        risk=risk,
        rationale=rationale,
        expires_on=TODAY + timedelta(days=180),
        signature=signature,
    )


def approve(analysis: RiskAnalysis, signer: User, statement: str = "I approve this risk analysis.") -> Signature:
    """Approve as the analysis service does: keep the document and sign its hash."""
    content = build_content(analysis)
    signature = Signature.objects.create(
        organization=analysis.organization,
        signer=signer,
        signer_role="security_official",
        meaning=Signature.Meaning.APPROVED,
        target_type="risk.riskanalysis",
        target_id=str(analysis.public_id),
        content_sha256=content_hash(content),
        statement=statement,
    )
    analysis.approved_content = content
    analysis.approval = signature
    analysis.status = RiskAnalysis.Status.APPROVED
    analysis.approved_at = signature.signed_at
    analysis.save()
    return signature
