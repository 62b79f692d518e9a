"""Rating arithmetic: a likelihood × impact score and the level its method's thresholds give it.

`method` is the JSON shape of RiskMethod (and of the copy an analysis freezes): likelihood_levels,
impact_levels, thresholds, treatment_threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Method = dict[str, Any]


@dataclass(frozen=True)
class Rating:
    score: int
    level: str
    label: str
    rank: int  # 0 = the lowest level of the method


def scale_values(levels: list[dict[str, Any]]) -> list[int]:
    return [int(level["value"]) for level in levels]


def level_names(method: Method) -> list[str]:
    return [str(threshold["level"]) for threshold in method["thresholds"]]


def rate(method: Method, likelihood: int, impact: int) -> Rating:
    """Rate a likelihood/impact pair; raises ValueError when either is outside the method's scales."""
    if likelihood not in scale_values(method["likelihood_levels"]):
        raise ValueError(f"likelihood {likelihood} is not on this method's scale")
    if impact not in scale_values(method["impact_levels"]):
        raise ValueError(f"impact {impact} is not on this method's scale")
    score = likelihood * impact
    chosen, rank = method["thresholds"][0], 0
    for index, threshold in enumerate(method["thresholds"]):
        if score >= int(threshold["min_score"]):
            chosen, rank = threshold, index
    return Rating(score=score, level=str(chosen["level"]), label=str(chosen["label"]), rank=rank)


def level_rank(method: Method, level: str) -> int:
    names = level_names(method)
    if level not in names:
        raise ValueError(f"{level!r} is not a level of this method ({', '.join(names)})")
    return names.index(level)


def treatment_rank(method: Method) -> int:
    """The rank at or above which a risk must have a treatment."""
    return level_rank(method, str(method["treatment_threshold"]))


def label_of(method: Method, level: str) -> str:
    for threshold in method["thresholds"]:
        if threshold["level"] == level:
            return str(threshold["label"])
    return level


def matrix(method: Method) -> list[list[Rating]]:
    """Rows from the highest likelihood down, columns by ascending impact: the heat map's grid."""
    likelihoods = sorted(scale_values(method["likelihood_levels"]), reverse=True)
    impacts = sorted(scale_values(method["impact_levels"]))
    return [[rate(method, likelihood, impact) for impact in impacts] for likelihood in likelihoods]


def validate_method(method: Method) -> list[str]:
    """Everything wrong with a method definition, in words a security official can act on (empty when sound)."""
    problems: list[str] = []
    for scale in ("likelihood_levels", "impact_levels"):
        levels = method.get(scale) or []
        values = [level.get("value") for level in levels]
        if not 2 <= len(levels) <= 10:
            problems.append(f"{scale.replace('_', ' ')}: give between 2 and 10 levels.")
        elif values != list(range(1, len(levels) + 1)):
            problems.append(f"{scale.replace('_', ' ')}: values must run 1, 2, 3 … without gaps.")
        if any(not str(level.get("label", "")).strip() for level in levels):
            problems.append(f"{scale.replace('_', ' ')}: every level needs a label.")
    thresholds = method.get("thresholds") or []
    if len(thresholds) < 2:
        problems.append("thresholds: give at least two risk levels.")
    else:
        minimums = [threshold.get("min_score") for threshold in thresholds]
        if not all(isinstance(value, int) for value in minimums) or minimums[0] != 1:
            problems.append("thresholds: the lowest level must start at score 1 and every minimum be a whole number.")
        elif any(later <= earlier for earlier, later in zip(minimums, minimums[1:], strict=False)):
            problems.append("thresholds: minimum scores must rise from one level to the next.")
        names = [str(threshold.get("level", "")) for threshold in thresholds]
        if len(set(names)) != len(names) or any(not name for name in names):
            problems.append("thresholds: every level needs a distinct name.")
        elif method.get("treatment_threshold") not in names:
            problems.append(f"treatment threshold: choose one of {', '.join(names)}.")
    if not problems:
        top = len(method["likelihood_levels"]) * len(method["impact_levels"])
        if int(thresholds[-1]["min_score"]) > top:
            problems.append(f"thresholds: the highest level starts above the largest possible score ({top}).")
    return problems
