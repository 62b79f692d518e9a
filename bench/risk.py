"""Risk module benchmarks at the issue's scale: 2,000 assets, 6,000 data flows, 10,000 risks.

Run: .venv/bin/python bench/risk.py [--assets 2000] [--flows 6000] [--risks 10000] [--report-risks 500]
Uses a throwaway SQLite database (or DATABASE_URL if set to a scratch PostgreSQL database). Prints figures and
query counts (a small organization beside the large one shows the count does not grow); asserts nothing about time.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.foundation import _setup, _timed  # noqa: E402


def build(slug: str, *, assets: int, flows: int, risks: int, report_risks: int) -> dict[str, Any]:
    """An organization with the given numbers of records, written with bulk_create (services are measured by
    their own tests; this is about reading at scale)."""
    from django.utils import timezone

    from safeguard.catalog.models import Requirement
    from safeguard.core.models import Membership, Organization, Signature, User
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

    rng = random.Random(slug)
    now = timezone.now()
    today = timezone.localdate()
    org = Organization.objects.create(slug=slug, name=f"Bench {slug}", mfa_required=False)
    user = User.objects.create_user(email=f"{slug}@bench.test", password="bench-password-123")
    Membership.objects.create(organization=org, user=user, role="security_official")
    kinds = list(AssetKind.values)
    asset_rows = Asset.objects.bulk_create(
        Asset(
            organization=org,
            name=f"Asset {i:05d}",
            kind=kinds[i % len(kinds)],
            owner=user,
            hosting=f"Site {i % 7}",
            in_service_since=now - timedelta(days=400),
            created_at=now - timedelta(days=400),
        )
        for i in range(assets)
    )
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < min(flows, assets * (assets - 1)):
        a, b = rng.randrange(assets), rng.randrange(assets)
        if a != b:
            pairs.add((a, b))
    transports = list(Transport.values)
    DataFlow.objects.bulk_create(
        DataFlow(
            organization=org,
            source=asset_rows[a],
            destination=asset_rows[b],
            ephi="Clinical records",
            transport=transports[(a + b) % len(transports)],
            encrypted_in_transit=(a + b) % 5 != 0,
        )
        for a, b in sorted(pairs)
    )
    threats = Threat.objects.bulk_create(
        Threat(organization=org, name=f"Threat {i}", source_type=ThreatSource.ADVERSARIAL) for i in range(25)
    )
    vulnerabilities = Vulnerability.objects.bulk_create(
        Vulnerability(organization=org, name=f"Weakness {i}", area=VulnerabilityArea.TECHNICAL) for i in range(25)
    )
    method = copy.deepcopy(PROFILE_5X5) | {"reanalysis_months": 12}
    signature = Signature.objects.create(
        organization=org,
        signer=user,
        signer_role="security_official",
        meaning=Signature.Meaning.APPROVED,
        target_type="risk.riskanalysis",
        target_id="bench",
        content_sha256="0" * 64,
    )
    analysis = RiskAnalysis.objects.create(
        organization=org,
        title="Register analysis",
        method=method,
        methodology=METHODOLOGY,
        started_by=user,
        status=RiskAnalysis.Status.APPROVED,
        approved_at=now - timedelta(days=30),
        approval=signature,
        approved_content={},
    )
    AnalysisScopeItem.objects.bulk_create(
        AnalysisScopeItem(analysis=analysis, asset=a, name=a.name, kind=a.kind, status=a.status) for a in asset_rows
    )
    report = RiskAnalysis.objects.create(
        organization=org, title="Report analysis", method=method, methodology=METHODOLOGY, started_by=user
    )
    AnalysisScopeItem.objects.bulk_create(
        AnalysisScopeItem(analysis=report, asset=a, name=a.name, kind=a.kind, status=a.status) for a in asset_rows[:40]
    )
    treatments = [Treatment.MITIGATE, Treatment.ACCEPT, Treatment.TRANSFER, Treatment.AVOID, Treatment.NONE]
    risk_rows = []
    for i in range(risks + report_risks):
        likelihood, impact = rng.randint(1, 5), rng.randint(1, 5)
        inherent = rate(method, likelihood, impact)
        residual = rate(method, max(1, likelihood - 1), impact)
        risk_rows.append(
            Risk(
                organization=org,
                number=i + 1,
                title=f"Risk {i + 1}",
                analysis=analysis if i < risks else report,
                threat=threats[i % 25],
                vulnerability=vulnerabilities[(i * 7) % 25],
                description="Bench risk.",
                existing_controls="Some controls.",
                planned_controls="More controls.",
                likelihood=likelihood,
                impact=impact,
                inherent_score=inherent.score,
                inherent_level=inherent.level,
                inherent_rank=inherent.rank,
                residual_likelihood=max(1, likelihood - 1),
                residual_impact=impact,
                residual_score=residual.score,
                residual_level=residual.level,
                residual_rank=residual.rank,
                treatment=treatments[i % 5],
                owner=user,
                created_at=now - timedelta(days=i % 90),
            )
        )
    risk_rows = Risk.objects.bulk_create(risk_rows, batch_size=2000)
    through = Risk.assets.through
    through.objects.bulk_create(
        (through(risk_id=r.pk, asset_id=asset_rows[n % assets].pk) for n, r in enumerate(risk_rows)), batch_size=5000
    )
    leaves = list(Requirement.objects.leaves()[:10])
    req_through = Risk.requirements.through
    req_through.objects.bulk_create(
        (req_through(risk_id=r.pk, requirement_id=leaves[n % len(leaves)].pk) for n, r in enumerate(risk_rows)),
        batch_size=5000,
    )
    MitigationAction.objects.bulk_create(
        (
            MitigationAction(
                organization=org,
                risk=r,
                title=f"Action for {r.number}",
                owner=user,
                due_on=today + timedelta(days=(n % 120) - 60),
                acceptance_criteria="Verified.",
            )
            for n, r in enumerate(risk_rows)
            if r.treatment == Treatment.MITIGATE
        ),
        batch_size=2000,
    )
    accepted = [r for r in risk_rows if r.treatment == Treatment.ACCEPT]
    signatures = Signature.objects.bulk_create(
        Signature(
            organization=org,
            signer=user,
            signer_role="security_official",
            meaning=Signature.Meaning.ACCEPTED_RISK,
            target_type="risk.risk",
            target_id=str(r.public_id),
            content_sha256="0" * 64,
        )
        for r in accepted
    )
    RiskAcceptance.objects.bulk_create(
        RiskAcceptance(organization=org, risk=r, rationale="Bench", expires_on=today + timedelta(days=200), signature=s)
        for r, s in zip(accepted, signatures, strict=True)
    )
    # The signed document, as approval stores it: the approved analysis's pages and API read it.
    analysis.approved_content = build_content(analysis)
    analysis.save(update_fields=["approved_content"])
    return {"org": org, "user": user, "analysis": analysis, "report": report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--assets", type=int, default=2_000)
    parser.add_argument("--flows", type=int, default=6_000)
    parser.add_argument("--risks", type=int, default=10_000)
    parser.add_argument("--report-risks", type=int, default=500)
    args = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # the inline task runner logs every task at INFO
    _setup()
    from bench.risk_measure import measure

    start = time.perf_counter()
    big = build("bench-big", assets=args.assets, flows=args.flows, risks=args.risks, report_risks=args.report_risks)
    print(
        f"built {args.assets} assets, {args.flows} flows, {args.risks} register risks + {args.report_risks} in the "
        f"report analysis in {time.perf_counter() - start:.1f} s"
    )
    small = build("bench-small", assets=20, flows=40, risks=30, report_risks=10)
    measure(big, small, timed=_timed)


if __name__ == "__main__":
    main()
