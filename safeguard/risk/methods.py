"""The two starting profiles for an organization's risk method, in our own words.

5×5 is the default. 3×3 (low / medium / high) matches the scales of the HHS/ONC Security Risk Assessment Tool,
so an organization moving from it keeps its ratings.
"""

from __future__ import annotations

from typing import Any

METHODOLOGY = """\
Scope: every asset in the inventory that is in service when the analysis starts and that creates, receives,
maintains or transmits ePHI, together with the data flows between them.

Approach: for each asset or group of assets we identify reasonably anticipated threat events and the
vulnerabilities they could exploit, record the security measures already in place, and rate the likelihood that
the threat event occurs and succeeds and the impact on the confidentiality, integrity or availability of ePHI if
it does. The risk score is likelihood × impact; the level follows the thresholds below. We then record planned
measures and the residual rating expected once they are in place. Risks at or above the treatment threshold must
be mitigated, accepted (signed, with an expiry), transferred or avoided.

Sources: the inventory and data-flow records in this system, interviews with system owners, prior analyses,
incident records and vulnerability scans. The analysis is reviewed at least yearly and whenever the environment
or operations change significantly.
"""

PROFILE_5X5: dict[str, Any] = {
    "profile": "5x5",
    "likelihood_levels": [
        {"value": 1, "label": "Rare", "definition": "Not expected in the next several years."},
        {"value": 2, "label": "Unlikely", "definition": "Could happen once in a few years."},
        {"value": 3, "label": "Possible", "definition": "Could happen about once a year."},
        {"value": 4, "label": "Likely", "definition": "Expected several times a year."},
        {"value": 5, "label": "Almost certain", "definition": "Expected monthly or already happening."},
    ],
    "impact_levels": [
        {"value": 1, "label": "Negligible", "definition": "No ePHI exposed; a minor inconvenience."},
        {"value": 2, "label": "Minor", "definition": "A few records or a short outage with no effect on care."},
        {"value": 3, "label": "Moderate", "definition": "Under 500 individuals affected or care delayed for hours."},
        {"value": 4, "label": "Major", "definition": "500 or more individuals or care disrupted for days."},
        {"value": 5, "label": "Severe", "definition": "Large breach, patient harm, or prolonged loss of systems."},
    ],
    "thresholds": [
        {"level": "low", "label": "Low", "min_score": 1},
        {"level": "medium", "label": "Medium", "min_score": 5},
        {"level": "high", "label": "High", "min_score": 10},
        {"level": "critical", "label": "Critical", "min_score": 17},
    ],
    "treatment_threshold": "medium",
}

PROFILE_3X3: dict[str, Any] = {
    "profile": "3x3",
    "likelihood_levels": [
        {"value": 1, "label": "Low", "definition": "Unlikely to occur in the next year."},
        {"value": 2, "label": "Medium", "definition": "Could occur in the next year."},
        {"value": 3, "label": "High", "definition": "Likely to occur in the next year."},
    ],
    "impact_levels": [
        {"value": 1, "label": "Low", "definition": "Little effect on ePHI or operations."},
        {"value": 2, "label": "Medium", "definition": "Some ePHI exposed or operations degraded."},
        {"value": 3, "label": "High", "definition": "Significant exposure, harm, or loss of operations."},
    ],
    "thresholds": [
        {"level": "low", "label": "Low", "min_score": 1},
        {"level": "medium", "label": "Medium", "min_score": 3},
        {"level": "high", "label": "High", "min_score": 6},
    ],
    "treatment_threshold": "medium",
}

PROFILES = {"5x5": PROFILE_5X5, "3x3": PROFILE_3X3}
