from safeguard.risk.models.analysis import AnalysisScopeItem, Risk, RiskAnalysis, Treatment
from safeguard.risk.models.assets import Asset, AssetKind, DataFlow, Transport, VolumeBand
from safeguard.risk.models.jobs import ImportJob, ReportJob
from safeguard.risk.models.library import Threat, ThreatSource, Vulnerability, VulnerabilityArea
from safeguard.risk.models.method import RiskMethod
from safeguard.risk.models.sanctions import SanctionLevel, SanctionPolicy, SanctionRecord
from safeguard.risk.models.treatment import MitigationAction, ReanalysisTrigger, RiskAcceptance

__all__ = [
    "AnalysisScopeItem",
    "Asset",
    "AssetKind",
    "DataFlow",
    "ImportJob",
    "MitigationAction",
    "ReanalysisTrigger",
    "ReportJob",
    "Risk",
    "RiskAcceptance",
    "RiskAnalysis",
    "RiskMethod",
    "SanctionLevel",
    "SanctionPolicy",
    "SanctionRecord",
    "Threat",
    "ThreatSource",
    "Transport",
    "Treatment",
    "VolumeBand",
    "Vulnerability",
    "VulnerabilityArea",
]
