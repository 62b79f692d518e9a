"""What the analysis report template shows, taken from the analysis document alone.

Everything an auditor reads in the report comes from the document (`safeguard.risk.content`): once the analysis
is approved that is the signed copy, so the report shows what was approved whatever the register says today.
Only the cover and the signature page read the analysis row itself: its organization, status and signature.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from safeguard.core.audit import jsonable
from safeguard.core.models import Signature
from safeguard.core.roles import Role
from safeguard.risk.charts import heat_map_svg, level_colours
from safeguard.risk.diagram import DiagramEdge, DiagramNode, flow_diagram_svg
from safeguard.risk.models import Asset, AssetKind, MitigationAction, Risk, RiskAnalysis, Transport, Treatment
from safeguard.risk.scoring import Method, label_of, matrix

ATTACHMENT_NAME = "analysis-content.json"
NO_LEVEL = ("#ffffff", "#1b2430")


def canonical_json(document: dict[str, Any]) -> bytes:
    """The document exactly as its signature hashes it (see core.services.signatures.content_hash)."""
    text = json.dumps(jsonable(dict(document)), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode()


def svg_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def when(value: str | None) -> str:
    """A stored ISO timestamp as local time, e.g. 2026-03-01 14:05 EST ("" when absent)."""
    parsed = parse_datetime(value) if value else None
    if parsed is None:
        return value or ""
    return timezone.localtime(parsed).strftime("%Y-%m-%d %H:%M %Z")


def day(value: str | None) -> date | None:
    return parse_date(value) if value else None


def _labels(levels: list[dict[str, Any]]) -> dict[int, str]:
    return {int(level["value"]): str(level["label"]) for level in levels}


def _choice(choices: Any, value: str, empty: str = "") -> str:
    if not value:
        return empty
    return str(dict(choices.choices).get(value, value))


def report_context(analysis: RiskAnalysis, document: dict[str, Any], *, approved: bool) -> dict[str, Any]:
    method: Method = document["method"]
    colours = level_colours(method)
    risks = [_risk(row, method, colours) for row in document["risks"]]
    meta = document["analysis"]
    return {
        "organization": analysis.organization.name,
        "title": meta["title"],
        "status": analysis.get_status_display(),
        "approved": approved,
        "started_at": when(meta.get("started_at")),
        "started_by": meta.get("started_by", ""),
        "submitted_at": when(meta.get("submitted_at")),
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M %Z"),
        "methodology": meta.get("methodology", ""),
        "method": _method(method, colours),
        "scope": [
            {
                "name": item["name"],
                "kind": _choice(AssetKind, item["kind"]),
                "status": _choice(Asset.Status, item["status"]),
            }
            for item in document["scope"]
        ],
        **_flows(document),
        "risks": risks,
        "unrated": sum(1 for risk in risks if risk["inherent_score"] is None),
        "heat_inherent": svg_data_uri(heat_map_svg(_counts(document, False), method, title="Inherent risk")),
        "heat_residual": svg_data_uri(heat_map_svg(_counts(document, True), method, title="Residual risk")),
        "actions": [_action(row) for row in document["actions"]],
        "acceptances": [
            {**row, "expires_on": day(row["expires_on"]), "signed_at": when(row["signed_at"])}
            for row in document["acceptances"]
        ],
        "treatment_counts": _treatment_counts(risks),
        "signature": _signature(analysis.approval if approved else None, document),
        "attachment_name": ATTACHMENT_NAME,
    }


def _method(method: Method, colours: dict[str, tuple[str, str]]) -> dict[str, Any]:
    likelihoods, impacts = _labels(method["likelihood_levels"]), _labels(method["impact_levels"])
    grid = matrix(method)
    rows = []
    for likelihood, ratings in zip(sorted(likelihoods, reverse=True), grid, strict=True):
        cells = []
        for rating in ratings:
            fill, ink = colours.get(rating.level, NO_LEVEL)
            cells.append({"score": rating.score, "label": rating.label, "fill": fill, "ink": ink})
        rows.append({"value": likelihood, "label": likelihoods[likelihood], "cells": cells})
    return {
        "likelihood_levels": method["likelihood_levels"],
        "impact_levels": method["impact_levels"],
        "thresholds": [
            {**threshold, "fill": fill, "ink": ink}
            for threshold in method["thresholds"]
            for fill, ink in [colours.get(str(threshold["level"]), NO_LEVEL)]
        ],
        "treatment_threshold": label_of(method, str(method.get("treatment_threshold", ""))),
        "reanalysis_months": method.get("reanalysis_months"),
        "impact_headers": [{"value": value, "label": impacts[value]} for value in sorted(impacts)],
        "matrix": rows,
    }


def _flows(document: dict[str, Any]) -> dict[str, Any]:
    scope = document["scope"]
    nodes = [DiagramNode(id=item["name"], name=item["name"], kind=item["kind"]) for item in scope]
    in_scope = {item["name"] for item in scope}
    # A flow to or from an asset outside the scope still shows, its far end drawn with no kind.
    outside = sorted({name for flow in document["flows"] for name in (flow["source"], flow["destination"])} - in_scope)
    nodes.extend(DiagramNode(id=name, name=name, kind="") for name in outside)
    edges = [
        DiagramEdge(
            source_id=flow["source"],
            destination_id=flow["destination"],
            label=flow["ephi"],
            encrypted=bool(flow["encrypted_in_transit"]),
        )
        for flow in document["flows"]
    ]
    flows = [
        {**flow, "transport": _choice(Transport, flow["transport"]), "encrypted": bool(flow["encrypted_in_transit"])}
        for flow in document["flows"]
    ]
    return {
        "diagram": svg_data_uri(flow_diagram_svg(nodes, edges)),
        "flows": flows,
        "unencrypted": sum(1 for flow in flows if not flow["encrypted"]),
        "outside_scope": outside,
    }


def _rating(value: int | None, labels: dict[int, str]) -> str:
    if value is None:
        return ""
    return f"{value} · {labels[value]}" if value in labels else str(value)


def _risk(row: dict[str, Any], method: Method, colours: dict[str, tuple[str, str]]) -> dict[str, Any]:
    likelihoods, impacts = _labels(method["likelihood_levels"]), _labels(method["impact_levels"])
    inherent_fill, inherent_ink = colours.get(row["inherent_level"], NO_LEVEL)
    residual_fill, residual_ink = colours.get(row["residual_level"], NO_LEVEL)
    return {
        **row,
        "assets": ", ".join(row["assets"]),
        "requirements": ", ".join(row["requirements"]),
        "likelihood": _rating(row["likelihood"], likelihoods),
        "impact": _rating(row["impact"], impacts),
        "inherent_label": label_of(method, row["inherent_level"]) if row["inherent_level"] else "",
        "inherent_fill": inherent_fill,
        "inherent_ink": inherent_ink,
        "residual_likelihood": _rating(row["residual_likelihood"], likelihoods),
        "residual_impact": _rating(row["residual_impact"], impacts),
        "residual_label": label_of(method, row["residual_level"]) if row["residual_level"] else "",
        "residual_fill": residual_fill,
        "residual_ink": residual_ink,
        "treatment": _choice(Treatment, row["treatment"], "Not decided"),
        "status": _choice(Risk.Status, row["status"]),
    }


def _counts(document: dict[str, Any], residual: bool) -> dict[tuple[int, int], int]:
    likelihood, impact = ("residual_likelihood", "residual_impact") if residual else ("likelihood", "impact")
    counts: Counter[tuple[int, int]] = Counter()
    for row in document["risks"]:
        if row[likelihood] is not None and row[impact] is not None:
            counts[(int(row[likelihood]), int(row[impact]))] += 1
    return dict(counts)


def _treatment_counts(risks: list[dict[str, Any]]) -> list[tuple[str, int]]:
    counts = Counter(risk["treatment"] for risk in risks)
    return [(label, counts[label]) for label in [*Treatment.labels[1:], "Not decided"] if counts[label]]


def _action(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "due_on": day(row["due_on"]),
        "completed_on": day(row.get("completed_on")),
        "status": _choice(MitigationAction.Status, row["status"]),
    }


def _signature(signature: Signature | None, document: dict[str, Any]) -> dict[str, Any]:
    """The signature page: who approved what, and whether this document is what they signed."""
    digest = hashlib.sha256(canonical_json(document)).hexdigest()
    if signature is None:
        return {"signed": False, "document_sha256": digest}
    signer = signature.signer
    return {
        "signed": True,
        "name": signer.get_full_name() or signer.email,
        "email": signer.email,
        "role": _choice(Role, signature.signer_role),
        "meaning": signature.get_meaning_display(),
        "signed_at": timezone.localtime(signature.signed_at).strftime("%Y-%m-%d %H:%M %Z"),
        "statement": signature.statement,
        "content_sha256": signature.content_sha256,
        "document_sha256": digest,
        "matches": digest == signature.content_sha256,
    }
