"""The detection backend: pySigma's parsed condition tree → a DuckDB boolean expression over the enriched events.

A direct visitor rather than a TextQueryBackend template set, because two semantics need exact control:
- Sigma matches strings case-insensitively; LIKE patterns escape `%`, `_` and `\\` (pysigma-backend-duckdb left
  `_` as a wildcard, so "break_glass" matched "breakXglass");
- a missing value never matches, so `not selection` holds for it: every comparison is made two-valued with
  coalesce(…, false) (SQL's NULL would otherwise drop the row from both a selection and its negation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
)
from sigma.types import (
    CompareOperators,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SpecialChars,
)

from safeguard.activity.schema import RULE_FIELDS

# Never NULL in the events table and stored lower-case: plain equality on the lower-cased literal (fast path).
NOT_NULL_LOWER = frozenset({"event_class", "activity", "outcome"})
# Stored (or decoded, or enriched) lower-case, possibly NULL.
LOWER_CASED = NOT_NULL_LOWER | frozenset(
    {
        "user_name",
        "src_host",
        "user_type",
        "user_status_at_event",
        "user_account_type",
        "source_kind",
        "user_last_name",
        "patient_last_name",
    }
)
COMPARE_SQL = {
    CompareOperators.LT: "<",
    CompareOperators.LTE: "<=",
    CompareOperators.GT: ">",
    CompareOperators.GTE: ">=",
}
REGEX_FLAGS = {
    SigmaRegularExpressionFlag.IGNORECASE: "i",
    SigmaRegularExpressionFlag.MULTILINE: "m",
    SigmaRegularExpressionFlag.DOTALL: "s",
}


class UnsupportedCondition(Exception):
    """A construct the backend cannot express; the message names it."""


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def like_pattern(value: SigmaString) -> tuple[str, bool]:
    """The LIKE pattern (escape character backslash) and whether it has a wildcard."""
    parts: list[str] = []
    wildcard = False
    for part in value.s:
        if isinstance(part, str):
            parts.append(part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        elif part == SpecialChars.WILDCARD_MULTI:
            parts.append("%")
            wildcard = True
        elif part == SpecialChars.WILDCARD_SINGLE:
            parts.append("_")
            wildcard = True
        else:
            raise UnsupportedCondition("placeholders (%name%) are not supported")
    return "".join(parts), wildcard


@dataclass
class PredicateCompiler:
    fields: set[str] = field(default_factory=set)

    def compile(self, node: Any) -> str:
        if isinstance(node, ConditionAND):
            return "(" + " AND ".join(self.compile(arg) for arg in node.args) + ")"
        if isinstance(node, ConditionOR):
            return "(" + " OR ".join(self.compile(arg) for arg in node.args) + ")"
        if isinstance(node, ConditionNOT):
            return f"(NOT {self.compile(node.args[0])})"
        if isinstance(node, ConditionFieldEqualsValueExpression):
            return self.leaf(node.field, node.value)
        raise UnsupportedCondition("keyword searches are not supported: name a field")

    def leaf(self, name: str, value: Any) -> str:
        if name not in RULE_FIELDS:
            raise UnsupportedCondition(f"unknown field '{name}'")
        self.fields.add(name)
        if isinstance(value, SigmaNull):
            return f"({name} IS NULL)"
        if isinstance(value, SigmaExists):
            return f"({name} IS {'NOT ' if value.exists else ''}NULL)"
        expression = self.comparison(name, value)
        if name in NOT_NULL_LOWER:
            return expression
        return f"coalesce({expression}, false)"

    def comparison(self, name: str, value: Any) -> str:
        column_type = RULE_FIELDS[name].type
        textual = column_type == "VARCHAR"
        if isinstance(value, SigmaCasedString):
            pattern, wildcard = like_pattern(value)
            plain = value.to_plain() if not wildcard else ""
            return f"{name} LIKE {quote(pattern)} ESCAPE '\\'" if wildcard else f"{name} = {quote(plain)}"
        if isinstance(value, SigmaString):
            return self.string(name, value, textual)
        if isinstance(value, SigmaBool):
            return (
                f"{name} = {'true' if value.boolean else 'false'}"
                if column_type == "BOOLEAN"
                else (f"lower({name}) = {quote(str(value.boolean).lower())}")
            )
        if isinstance(value, SigmaNumber):
            return f"{name} = {quote(str(value.number))}" if textual else f"{name} = {value.number}"
        if isinstance(value, SigmaCompareExpression):
            if textual:
                raise UnsupportedCondition(f"'{name}' is text: gt/gte/lt/lte need a number field")
            return f"{name} {COMPARE_SQL[value.op]} {value.number.number}"
        if isinstance(value, SigmaRegularExpression):
            flags = "".join(sorted(REGEX_FLAGS[flag] for flag in value.flags if flag in REGEX_FLAGS))
            pattern = (f"(?{flags})" if flags else "") + value.regexp.to_plain()
            column = name if textual else f"CAST({name} AS VARCHAR)"
            return f"regexp_matches({column}, {quote(pattern)})"
        if isinstance(value, SigmaCIDRExpression):
            return self.cidr(name, value)
        if isinstance(value, SigmaFieldReference):
            return self.reference(name, value)
        raise UnsupportedCondition(f"value {value!r} of '{name}' is not supported")

    def string(self, name: str, value: SigmaString, textual: bool) -> str:
        pattern, wildcard = like_pattern(value)
        if not textual:
            if wildcard:
                return f"CAST({name} AS VARCHAR) ILIKE {quote(pattern)} ESCAPE '\\'"
            if RULE_FIELDS[name].type == "BOOLEAN":
                return f"lower(CAST({name} AS VARCHAR)) = {quote(value.to_plain().lower())}"
            return f"CAST({name} AS VARCHAR) = {quote(value.to_plain())}"
        if name in LOWER_CASED:
            if wildcard:
                return f"{name} LIKE {quote(pattern.lower())} ESCAPE '\\'"
            return f"{name} = {quote(value.to_plain().lower())}"
        if wildcard:
            return f"{name} ILIKE {quote(pattern)} ESCAPE '\\'"
        return f"lower({name}) = {quote(value.to_plain().lower())}"

    def cidr(self, name: str, value: SigmaCIDRExpression) -> str:
        network = value.network
        if name != "src_ip" or network.version != 4:
            raise UnsupportedCondition("cidr works on src_ip with IPv4 networks")
        self.fields.add("src_ip_v4")
        low, high = int(network.network_address), int(network.broadcast_address)
        return f"src_ip_v4 BETWEEN {low} AND {high}"

    def reference(self, name: str, value: SigmaFieldReference) -> str:
        other = value.field
        if other not in RULE_FIELDS:
            raise UnsupportedCondition(f"fieldref names an unknown field '{other}'")
        self.fields.add(other)
        both_text = RULE_FIELDS[name].type == "VARCHAR" and RULE_FIELDS[other].type == "VARCHAR"
        left, right = (f"lower({name})", f"lower({other})") if both_text else (name, other)
        if value.starts_with:
            return f"starts_with({left}, {right})"
        if value.ends_with:
            return f"ends_with({left}, {right})"
        return f"{left} = {right}"
