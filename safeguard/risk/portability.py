"""The risk records an organization archive carries, in an order where every row's references come first.

Import and report jobs are working state, not records: they stay behind."""

from safeguard.core.portability.registry import register
from safeguard.risk.models import (
    AnalysisScopeItem,
    Asset,
    DataFlow,
    MitigationAction,
    ReanalysisTrigger,
    Risk,
    RiskAcceptance,
    RiskAnalysis,
    RiskMethod,
    SanctionPolicy,
    SanctionRecord,
    Threat,
    Vulnerability,
)

register(RiskMethod, "organization")
register(Asset, "organization")
register(DataFlow, "organization")
register(Threat, "organization")
register(Vulnerability, "organization")
register(RiskAnalysis, "organization")
register(AnalysisScopeItem, "analysis__organization")
register(Risk, "organization")
register(Risk.assets.through, "risk__organization")
register(Risk.requirements.through, "risk__organization")
register(MitigationAction, "organization")
register(RiskAcceptance, "organization")
register(ReanalysisTrigger, "organization")
register(SanctionPolicy, "organization")
register(SanctionRecord, "organization")
