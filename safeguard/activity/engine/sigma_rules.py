"""Reading Sigma documents: YAML split and parsed with line numbers, checked against our log source taxonomy, the
rule fields and the modifiers the DuckDB compiler implements, then parsed by pySigma (detections, correlations,
filters). Every fault becomes a RuleProblem naming the rule and the part at fault."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError
from sigma.filters import SigmaFilter
from sigma.rule import SigmaRule

from safeguard.activity.engine.definitions import RuleProblem
from safeguard.activity.schema import RULE_FIELDS, SIGMA_PRODUCT

CATEGORY_CLASSES = {
    "authentication": "authentication",
    "ehr_access": "record_access",
    "api_activity": "api_activity",
    "network_session": "network_session",
    "account_change": "account_change",
}
# The regular-expression flags (i, m, s) only qualify `re`.
ALLOWED_MODIFIERS = frozenset(
    "contains startswith endswith all re i ignorecase m multiline s dotall cidr exists "
    "gt gte lt lte neq fieldref cased".split()
)
CORRELATION_TYPES = ("event_count", "value_count", "value_sum", "value_avg", "temporal", "temporal_ordered")
VALUE_TYPES = ("value_count", "value_sum", "value_avg")
CONDITION_OPERATORS = ("gt", "gte", "lt", "lte", "eq", "neq")
PIPE_HINT = (
    "the pipe aggregation syntax ('| count() by …') is deprecated in Sigma; write a correlation rule "
    "(type: event_count or value_count) that refers to this rule instead"
)
DOCUMENT_SEPARATOR = re.compile(r"^---\s*$", re.MULTILINE)


@dataclass
class Correlation:
    type: str
    rules: list[str]
    group_by: list[str]
    timespan_seconds: int
    conditions: list[tuple[str, float]]  # (operator, bound); two of them make a range
    field: str | None  # what value_count counts, value_sum adds


@dataclass
class SigmaDocument:
    name: str
    title: str
    kind: str  # detection, correlation, filter
    level: str
    description: str
    sigma_id: str
    yaml: str
    category: str | None = None
    condition: Any = None  # pySigma's parsed condition tree (detections and filters)
    correlation: Correlation | None = None
    filter_rules: list[str] | str = field(default_factory=list)  # names, or "any"
    group_by: list[str] = field(default_factory=list)  # single-event rules: the alert's group key


def split_yaml(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each `---`-separated document; blank documents are dropped."""
    chunks: list[tuple[int, str]] = []
    line, position = 1, 0
    for match in DOCUMENT_SEPARATOR.finditer(text):
        chunks.append((line, text[position : match.start()]))
        line += text[position : match.end()].count("\n")
        position = match.end()
    chunks.append((line, text[position:]))
    return [(first, chunk) for first, chunk in chunks if chunk.strip() and _has_content(chunk)]


def _has_content(chunk: str) -> bool:
    return any(line.strip() and not line.lstrip().startswith("#") for line in chunk.splitlines())


def read_documents(text: str) -> tuple[list[SigmaDocument], list[RuleProblem]]:
    documents: list[SigmaDocument] = []
    problems: list[RuleProblem] = []
    chunks = split_yaml(text)
    if not chunks:
        return [], [RuleProblem("document 1", "yaml", "no Sigma document found")]
    for position, (first_line, chunk) in enumerate(chunks, start=1):
        label = f"document {position}"
        try:
            raw = yaml.safe_load(chunk)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = first_line + mark.line if mark is not None else first_line
            reason = getattr(error, "problem", None) or str(error)
            problems.append(RuleProblem(label, f"yaml line {line}", f"invalid YAML: {reason}"))
            continue
        if not isinstance(raw, dict):
            problems.append(RuleProblem(label, f"yaml line {first_line}", "a Sigma document must be a mapping"))
            continue
        document, found = read_document(raw, chunk.strip() + "\n", label)
        problems.extend(found)
        if document is not None:
            documents.append(document)
    return documents, problems


def rule_label(raw: dict[str, Any], fallback: str) -> str:
    return str(raw.get("name") or raw.get("title") or fallback)


def read_document(raw: dict[str, Any], text: str, fallback: str) -> tuple[SigmaDocument | None, list[RuleProblem]]:
    label = rule_label(raw, fallback)
    title = str(raw.get("title") or "")
    name = str(raw.get("name") or re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_"))
    document = SigmaDocument(
        name=name,
        title=title or name,
        kind="detection",
        level=str(raw.get("level") or "medium"),
        description=str(raw.get("description") or ""),
        sigma_id=str(raw.get("id") or ""),
        yaml=text,
    )
    if not name:
        return None, [RuleProblem(fallback, "name", "a rule needs a name (or a title)")]
    if "correlation" in raw:
        document.kind = "correlation"
        problems = _read_correlation(raw, document, label)
    elif "filter" in raw:
        document.kind = "filter"
        problems = _read_filter(raw, document, label)
    else:
        problems = _read_detection(raw, document, label)
    return (None if problems else document), problems


def unknown_field(label: str, where: str, name: str) -> RuleProblem:
    close = difflib.get_close_matches(name, RULE_FIELDS, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return RuleProblem(label, where, f"unknown field '{name}'{hint}")


def _read_logsource(raw: dict[str, Any], document: SigmaDocument, label: str) -> list[RuleProblem]:
    logsource = raw.get("logsource")
    if not isinstance(logsource, dict):
        return [RuleProblem(label, "logsource", "a logsource mapping is required")]
    product = logsource.get("product")
    if product != SIGMA_PRODUCT:
        return [RuleProblem(label, "logsource.product", f"unsupported logsource '{product}': use '{SIGMA_PRODUCT}'")]
    category = logsource.get("category")
    if category is not None and category not in CATEGORY_CLASSES:
        allowed = ", ".join(CATEGORY_CLASSES)
        return [RuleProblem(label, "logsource.category", f"unsupported category '{category}' (one of {allowed})")]
    document.category = category
    return []


def _check_detection_block(block: Any, label: str, prefix: str) -> list[RuleProblem]:
    if not isinstance(block, dict):
        return [RuleProblem(label, prefix, "detection must be a mapping of selections and a condition")]
    problems: list[RuleProblem] = []
    if "timeframe" in block:
        problems.append(RuleProblem(label, f"{prefix}.timeframe", PIPE_HINT))
    conditions = block.get("condition")
    for condition in conditions if isinstance(conditions, list) else [conditions]:
        if isinstance(condition, str) and "|" in condition:
            problems.append(RuleProblem(label, f"{prefix}.condition", PIPE_HINT))
    for selection, value in block.items():
        if selection in ("condition", "timeframe", "rules"):
            continue
        problems.extend(_check_selection(value, label, f"{prefix}.{selection}"))
    return problems


def _check_selection(value: Any, label: str, where: str) -> list[RuleProblem]:
    if isinstance(value, list):
        if any(not isinstance(item, dict) for item in value):
            return [RuleProblem(label, where, "keyword searches are not supported: name a field")]
        return [problem for item in value for problem in _check_selection(item, label, where)]
    if not isinstance(value, dict):
        return [RuleProblem(label, where, "keyword searches are not supported: name a field")]
    problems: list[RuleProblem] = []
    for key in value:
        name, *modifiers = str(key).split("|")
        if name not in RULE_FIELDS:
            problems.append(unknown_field(label, f"{where}.{name}", name))
        for modifier in modifiers:
            if modifier not in ALLOWED_MODIFIERS:
                problems.append(RuleProblem(label, f"{where}.{key}", f"unsupported modifier '{modifier}'"))
    return problems


def _sigma_problems(errors: list[SigmaError], label: str, where: str) -> list[RuleProblem]:
    return [RuleProblem(label, where, str(error).split(" in rule ")[0]) for error in errors]


def _combined_condition(parsed: list[Any]) -> Any:
    from sigma.conditions import ConditionOR

    trees = [condition.parsed for condition in parsed]
    return trees[0] if len(trees) == 1 else ConditionOR(trees)


def _read_detection(raw: dict[str, Any], document: SigmaDocument, label: str) -> list[RuleProblem]:
    problems = _read_logsource(raw, document, label)
    problems += _check_detection_block(raw.get("detection"), label, "detection")
    group_by = raw.get("group-by") or ["user_name"]
    if not isinstance(group_by, list):
        group_by = [group_by]
    for position, name in enumerate(group_by):
        if name not in RULE_FIELDS:
            problems.append(unknown_field(label, f"group-by[{position}]", str(name)))
    document.group_by = [str(name) for name in group_by]
    if problems:
        return problems
    try:
        rule = SigmaRule.from_dict(raw, collect_errors=True)
        if rule.errors:
            return _sigma_problems(rule.errors, label, "detection")
        document.condition = _combined_condition(rule.detection.parsed_condition)
    except SigmaError as error:
        return _sigma_problems([error], label, "detection")
    return []


def _read_filter(raw: dict[str, Any], document: SigmaDocument, label: str) -> list[RuleProblem]:
    problems = _read_logsource(raw, document, label)
    block = raw.get("filter")
    problems += _check_detection_block(block, label, "filter")
    if problems:
        return problems
    try:
        parsed = SigmaFilter.from_dict(raw, collect_errors=True)
        if parsed.errors:
            return _sigma_problems(parsed.errors, label, "filter")
        document.condition = _combined_condition(parsed.filter.parsed_condition)
    except SigmaError as error:
        return _sigma_problems([error], label, "filter")
    rules = parsed.filter.rules
    document.filter_rules = rules if isinstance(rules, str) else [reference.reference for reference in rules]
    return []


def _read_correlation(raw: dict[str, Any], document: SigmaDocument, label: str) -> list[RuleProblem]:
    block = raw.get("correlation")
    if not isinstance(block, dict):
        return [RuleProblem(label, "correlation", "must be a mapping")]
    kind = block.get("type")
    if kind not in CORRELATION_TYPES:
        return [
            RuleProblem(label, "correlation.type", f"unsupported type '{kind}' (one of {', '.join(CORRELATION_TYPES)})")
        ]
    if block.get("aliases"):
        return [RuleProblem(label, "correlation.aliases", "aliases are not supported: use the same field names")]
    problems: list[RuleProblem] = []
    rules = block.get("rules")
    if isinstance(rules, str):
        rules = [rules]
    if not isinstance(rules, list) or not rules:
        problems.append(RuleProblem(label, "correlation.rules", "name at least one rule"))
        rules = []
    group_by = block.get("group-by") or []
    if isinstance(group_by, str):
        group_by = [group_by]
    for position, name in enumerate(group_by):
        if name not in RULE_FIELDS:
            problems.append(unknown_field(label, f"correlation.group-by[{position}]", str(name)))
    conditions, value_field, found = _read_condition(block.get("condition"), kind, label)
    problems += found
    if problems:
        return problems
    # pySigma checks the rest (timespan syntax, condition shape); it accepts one operator, so give it the first.
    checked = dict(raw, correlation=dict(block))
    if conditions:
        operator, bound = conditions[0]
        checked["correlation"]["condition"] = {operator: bound, **({"field": value_field} if value_field else {})}
    try:
        parsed = SigmaCorrelationRule.from_dict(checked, collect_errors=True)
        if parsed.errors:
            return _sigma_problems(parsed.errors, label, "correlation")
    except SigmaError as error:
        return _sigma_problems([error], label, "correlation")
    document.correlation = Correlation(
        type=kind,
        rules=[str(rule) for rule in rules],
        group_by=[str(name) for name in group_by],
        timespan_seconds=parsed.timespan.seconds,
        conditions=conditions,
        field=value_field,
    )
    return []


def _read_condition(
    condition: Any, kind: str, label: str
) -> tuple[list[tuple[str, float]], str | None, list[RuleProblem]]:
    if condition is None:
        if kind in ("temporal", "temporal_ordered"):
            return [], None, []
        return [], None, [RuleProblem(label, "correlation.condition", "a condition such as {gte: 5} is required")]
    if not isinstance(condition, dict):
        return [], None, [RuleProblem(label, "correlation.condition", "must be a mapping such as {gte: 5}")]
    conditions: list[tuple[str, float]] = []
    problems: list[RuleProblem] = []
    for key, value in condition.items():
        if key == "field":
            continue
        if key not in CONDITION_OPERATORS:
            problems.append(RuleProblem(label, f"correlation.condition.{key}", "unknown operator"))
        elif isinstance(value, bool) or not isinstance(value, int | float):
            problems.append(RuleProblem(label, f"correlation.condition.{key}", f"'{value}' is not a number"))
        else:
            conditions.append((str(key), value))
    value_field = condition.get("field")
    if kind in VALUE_TYPES:
        if value_field is None:
            problems.append(RuleProblem(label, "correlation.condition.field", f"{kind} needs a field"))
        elif value_field not in RULE_FIELDS:
            problems.append(unknown_field(label, "correlation.condition.field", str(value_field)))
    if not conditions and not problems:
        problems.append(RuleProblem(label, "correlation.condition", "needs an operator such as gte"))
    return conditions, (str(value_field) if value_field else None), problems
