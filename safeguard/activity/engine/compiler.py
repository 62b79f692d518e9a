"""Validating and compiling an organization's rules together: detections get their logsource class and the filters
that name them folded into one predicate; correlations are resolved to the rules they count (by name or Sigma id)
and tuned by the stored overrides; each runnable rule becomes one candidate query."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import Any

from sigma.correlations import SigmaCorrelationTimespan
from sigma.exceptions import SigmaError

from safeguard.activity.engine.backend import PredicateCompiler, UnsupportedCondition, quote
from safeguard.activity.engine.buckets import candidate_sql, evidence_sql, shadow_sql
from safeguard.activity.engine.correlation import Node
from safeguard.activity.engine.definitions import CompiledRule, CompiledRuleSet, RuleDocument, RuleError, RuleProblem
from safeguard.activity.engine.sigma_rules import CATEGORY_CLASSES, SigmaDocument, read_documents

DAY_SECONDS = 86_400
LOWER_BOUNDS = ("gte", "gt")


def metric_name(node: Node) -> str:
    correlation = node.correlation
    if correlation is None:
        return ""
    return {
        "event_count": "count",
        "value_count": f"distinct {correlation.field}",
        "value_sum": f"sum {correlation.field}",
        "value_avg": f"average {correlation.field}",
        "temporal": "rules present",
        "temporal_ordered": "steps in order",
    }[correlation.type]


def _predicate(document: SigmaDocument, label: str, where: str) -> tuple[str, set[str], list[RuleProblem]]:
    compiler = PredicateCompiler()
    try:
        predicate = compiler.compile(document.condition)
    except UnsupportedCondition as error:
        return "", set(), [RuleProblem(label, where, str(error))]
    if document.category is not None and document.kind == "detection":
        predicate = f"(event_class = {quote(CATEGORY_CLASSES[document.category])} AND {predicate})"
        compiler.fields.add("event_class")
    return predicate, compiler.fields, []


def _read(text: str, label: str) -> tuple[list[SigmaDocument], list[RuleProblem]]:
    documents, problems = read_documents(text)
    return documents, [
        dataclasses.replace(p, rule=label if p.rule.startswith("document ") else p.rule) for p in problems
    ]


def build_graph(
    entries: Sequence[tuple[str, SigmaDocument, dict[str, Any]]], known: Iterable[str] = ()
) -> tuple[dict[str, Node], list[RuleProblem]]:
    """Nodes by name for (name, document, overrides); `known` names may be referred to without being compiled."""
    problems: list[RuleProblem] = []
    nodes: dict[str, Node] = {}
    filters: list[tuple[str, SigmaDocument]] = []
    by_id: dict[str, str] = {}
    for name, document, overrides in entries:
        if name in nodes or any(name == other for other, _ in filters):
            problems.append(RuleProblem(name, "name", "another rule has this name"))
            continue
        if document.sigma_id:
            by_id[document.sigma_id] = name
        if document.kind == "filter":
            filters.append((name, document))
            continue
        node = Node(name=name, document=document)
        if document.kind == "detection":
            node.predicate, node.fields, found = _predicate(document, name, "detection")
            problems += found
        else:
            node.correlation, found = _tuned(document, name, overrides)
            problems += found
        nodes[name] = node
    known_names = set(known)
    for name, document in filters:
        problems += _apply_filter(name, document, nodes, by_id, known_names)
    for node in nodes.values():
        if node.correlation is None:
            continue
        for index, reference in enumerate(node.correlation.rules):
            target = nodes.get(reference) or nodes.get(by_id.get(reference, ""))
            if target is not None:
                node.children.append(target)
            elif reference not in known_names:
                problems.append(RuleProblem(node.name, f"correlation.rules[{index}]", f"no rule named {reference}"))
    problems += _cycles(nodes)
    return nodes, problems


def _tuned(document: SigmaDocument, name: str, overrides: dict[str, Any]) -> tuple[Any, list[RuleProblem]]:
    correlation = document.correlation
    if correlation is None:
        raise ValueError("not a correlation rule")
    conditions = list(correlation.conditions)
    timespan = correlation.timespan_seconds
    if "threshold" in overrides:
        bound = overrides["threshold"]
        if isinstance(bound, bool) or not isinstance(bound, int | float):
            return correlation, [RuleProblem(name, "overrides.threshold", f"'{bound}' is not a number")]
        if not conditions:
            return correlation, [RuleProblem(name, "overrides.threshold", "this rule has no threshold to replace")]
        position = next((i for i, (op, _) in enumerate(conditions) if op in LOWER_BOUNDS), 0)
        conditions[position] = (conditions[position][0], bound)
    if "timespan" in overrides:
        try:
            timespan = SigmaCorrelationTimespan(str(overrides["timespan"])).seconds
        except SigmaError as error:
            return correlation, [RuleProblem(name, "overrides.timespan", str(error))]
    return dataclasses.replace(correlation, conditions=conditions, timespan_seconds=timespan), []


def _apply_filter(
    name: str, document: SigmaDocument, nodes: dict[str, Node], by_id: dict[str, str], known: set[str]
) -> list[RuleProblem]:
    predicate, fields, problems = _predicate(document, name, "filter")
    if problems:
        return problems
    if document.filter_rules == "any":
        targets = [
            node
            for node in nodes.values()
            if node.correlation is None and document.category in (None, node.document.category)
        ]
    else:
        targets = []
        for index, reference in enumerate(document.filter_rules):
            target = nodes.get(reference) or nodes.get(by_id.get(reference, ""))
            if target is None:
                if reference not in known:
                    problems.append(RuleProblem(name, f"filter.rules[{index}]", f"no rule named {reference}"))
            elif target.correlation is not None:
                problems.append(
                    RuleProblem(name, f"filter.rules[{index}]", f"{reference} is a correlation: filter its rules")
                )
            else:
                targets.append(target)
    for target in targets:
        target.predicate = f"({target.predicate} AND NOT {predicate})"
        target.fields |= fields
    return problems


def _cycles(nodes: dict[str, Node]) -> list[RuleProblem]:
    problems: list[RuleProblem] = []
    state: dict[str, int] = {}

    def visit(node: Node) -> bool:
        if state.get(node.name) == 1:
            return True
        if state.get(node.name) == 2:
            return False
        state[node.name] = 1
        cyclic = any(visit(child) for child in node.children)
        state[node.name] = 2
        return cyclic

    for node in nodes.values():
        if node.name not in state and visit(node):
            problems.append(RuleProblem(node.name, "correlation.rules", "the rules refer to each other in a cycle"))
    return problems


def compile_rules(documents: Sequence[RuleDocument]) -> CompiledRuleSet:
    problems: list[RuleProblem] = []
    entries: list[tuple[str, SigmaDocument, dict[str, Any]]] = []
    settings: dict[str, RuleDocument] = {}
    for document in documents:
        parsed, found = _read(document.yaml, document.name)
        problems += found
        if len(parsed) > 1:
            problems.append(RuleProblem(document.name, "yaml", "one Sigma document per stored rule"))
        elif parsed:
            entries.append((document.name, parsed[0], dict(document.overrides or {})))
            settings[document.name] = document
    nodes, found = build_graph(entries)
    problems += found
    if problems:
        raise RuleError(problems)
    rules: list[CompiledRule] = []
    for name, node in nodes.items():
        stored = settings[name]
        if not stored.enabled:
            continue
        window = node.correlation.timespan_seconds if node.correlation is not None else 0
        suppression = stored.suppression_seconds or window or DAY_SECONDS
        group = node.correlation.group_by if node.correlation is not None else node.document.group_by
        rules.append(
            CompiledRule(
                name=name,
                title=node.document.title,
                level=node.document.level,
                kind=node.document.kind,
                window_seconds=window,
                suppression_seconds=suppression,
                group_by=list(group),
                sql=candidate_sql(node, suppression),
                alerting=stored.alerting,
                shadow_sql=shadow_sql(node, suppression),
                evidence_sql=evidence_sql(node, suppression),
                metric_name=metric_name(node),
                lookback_seconds=node.span_seconds,
            )
        )
    return CompiledRuleSet(rules=rules, lookback_seconds=max((rule.lookback_seconds for rule in rules), default=0))


def parse_rules(yaml_text: str, *, known_names: Iterable[str] = ()) -> list[dict[str, Any]]:
    documents, problems = read_documents(yaml_text)
    _, found = build_graph([(document.name, document, {}) for document in documents], known_names)
    problems += found
    if problems:
        raise RuleError(problems)
    return [
        {
            "name": document.name,
            "title": document.title,
            "kind": document.kind,
            "level": document.level,
            "yaml": document.yaml,
            "description": document.description,
            "sigma_id": document.sigma_id,
        }
        for document in documents
    ]
