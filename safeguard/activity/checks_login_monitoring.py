"""164.308(a)(5)(ii)(C) log-in monitoring, from the activity side (training's check of the same citation covers
the workforce's awareness; the tracker keeps both).

Met: there is an active identity or VPN/firewall source, an enabled (not shadow) rule watches failed log-ins,
and every review of those sources due in the last 90 days was signed on time. A rule watches failed log-ins when
it is a detection over logsource category authentication selecting outcome failure, or a correlation over such a
detection (the detection itself may be a disabled building block). Rules apply to every source unless they say
otherwise; a rule narrowed to one source by a selection on source_name is still counted for all (the pack's
rules are not narrowed).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml

from safeguard.activity.checks_common import listed, review_ref, review_text, review_timeliness, source_ref
from safeguard.activity.models import DetectionRule, LogSource, SourceKind
from safeguard.core.models import Organization
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check

IDENTITY_KINDS = (SourceKind.IDENTITY, SourceKind.VPN_FIREWALL)


def _documents(text: str) -> list[dict[str, Any]]:
    try:
        return [doc for doc in yaml.safe_load_all(text) if isinstance(doc, dict)]
    except yaml.YAMLError:
        return []


def _selects_failure(node: Any) -> bool:
    """Whether a detection block somewhere asks for outcome failure (with or without a modifier)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if str(key).split("|")[0] == "outcome":
                values = value if isinstance(value, list) else [value]
                if any(str(item).lower() == "failure" for item in values):
                    return True
            elif _selects_failure(value):
                return True
    elif isinstance(node, list):
        return any(_selects_failure(item) for item in node)
    return False


def is_failed_login_detection(document: dict[str, Any]) -> bool:
    logsource = document.get("logsource")
    category = logsource.get("category") if isinstance(logsource, dict) else None
    return category == "authentication" and _selects_failure(document.get("detection"))


def failed_login_rules(organization: Organization) -> list[DetectionRule]:
    """The enabled rules that watch failed log-ins (one query; the YAML is read here)."""
    rules = list(
        DetectionRule.objects.filter(
            organization=organization,
            kind__in=(DetectionRule.Kind.DETECTION, DetectionRule.Kind.CORRELATION),
        ).order_by("name")
    )
    documents = {rule.name: _documents(rule.yaml) for rule in rules}
    failure_detections = {
        str(doc.get("name") or rule_name)
        for rule_name, docs in documents.items()
        for doc in docs
        if is_failed_login_detection(doc)
    }
    found = []
    for rule in rules:
        if rule.mode != DetectionRule.Mode.ENABLED:
            continue
        for doc in documents[rule.name]:
            correlation = doc.get("correlation")
            referenced = correlation.get("rules") if isinstance(correlation, dict) else None
            names = [referenced] if isinstance(referenced, str) else referenced if isinstance(referenced, list) else []
            if is_failed_login_detection(doc) or any(str(name) in failure_detections for name in names):
                found.append(rule)
                break
    return found


@check("164.308(a)(5)(ii)(C)", name="activity.login_monitoring")
def login_monitoring_check(organization: Organization, today: date) -> CheckResult:
    sources = LogSource.objects.filter(organization=organization, is_active=True, kind__in=IDENTITY_KINDS)
    identity = list(sources.order_by("name"))
    if not identity:
        return CheckResult(
            Status.UNKNOWN,
            "No identity provider or VPN/firewall log is collected, so log-in attempts are not monitored here.",
            next_action="Add a log source for the identity provider (Okta, Entra) or the VPN and ingest its sign-ins.",
        )
    source_refs = tuple(source_ref(organization, s) for s in identity)
    names = listed(s.name for s in identity)
    rules = failed_login_rules(organization)
    if not rules:
        return CheckResult(
            Status.NOT_MET,
            f"No enabled rule watches failed log-ins in {names}.",
            source_refs,
            next_action="Enable the rule pack's failed log-in rules (e.g. auth_failures_per_user), out of shadow mode.",
        )
    rule_names = listed(rule.title for rule in rules)
    rule_refs = tuple(RecordRef("activity.detectionrule", str(r.public_id), r.title) for r in rules[:10])
    unscheduled = [s for s in identity if not s.review_every_days]
    timeliness = review_timeliness(organization, today, sources.filter(review_every_days__gt=0))
    parts, actions = [], []
    if unscheduled:
        parts.append(f"no review scheduled for {listed(s.name for s in unscheduled)}")
        actions.append(f"set a review period on {listed(s.name for s in unscheduled)}")
    if timeliness.missed:
        parts.append(f"missed reviews: {listed(review_text(r) for r in timeliness.missed)}")
        actions.append("sign the missed reviews")
    if timeliness.late:
        parts.append(f"reviews signed late: {listed(review_text(r) for r in timeliness.late)}")
        actions.append("sign each review within its grace days")
    watched = f"Failed log-ins in {names} are watched by {rule_names}"
    if parts:
        action = "; ".join(actions) + "."
        return CheckResult(
            Status.PARTIALLY_MET,
            f"{watched}; " + "; ".join(parts) + ".",
            (*source_refs, *rule_refs, *(review_ref(organization, r) for r in timeliness.short[:10])),
            next_action=action[0].upper() + action[1:],
        )
    return CheckResult(
        Status.MET,
        f"{watched}; every review due in the last 90 days was signed on time.",
        (*source_refs, *rule_refs),
        lapses_on=timeliness.next_due_on,
        next_action="Keep signing each period's review of the sign-in logs by its due date.",
    )
