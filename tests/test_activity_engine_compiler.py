"""The detection backend's semantics, run on a tiny table (not compared as SQL text), and every bad-input case
named precisely."""

from __future__ import annotations

import pytest

from safeguard.activity.engine import RuleDocument, RuleError, compile_rules, evaluate, parse_rules
from tests.activity_engine_store import EngineTestStore, at, event, events_table

EVENTS = [
    event(
        at(8), uid="a", user="Alice", action_name="break_glass", src_ip="10.1.2.3", record_count=3, dst_host="EHR-Prod"
    ),
    event(
        at(9),
        uid="b",
        user="bob",
        action_name="breakXglass",
        src_ip="192.168.1.5",
        record_count=30,
        dst_host="ehr-prod",
    ),
    event(
        at(10), uid="c", user="carol", action_name="Break_Glass_Start", src_ip=None, record_count=None, dst_host=None
    ),
    event(at(11), uid="d", user=None, action_name="100%", src_ip="10.200.0.1", record_count=7, dst_host="ehr-test"),
]


def matches(selection: str, condition: str = "selection") -> set[str]:
    store = EngineTestStore()
    store.append(events_table(EVENTS))
    text = (
        "title: t\nname: t\nlogsource: {product: hipaa_platform, category: authentication}\n"
        f"detection:\n  selection: {selection}\n  condition: {condition}\ngroup-by: [event_uid]\n"
    )
    result = evaluate(
        store, compile_rules([RuleDocument(name="t", yaml=text)]), organization_id=1, start=at(0), end=at(23)
    )
    return {candidate.group_key["event_uid"] for candidate in result.candidates}


@pytest.mark.parametrize(
    ("selection", "condition", "expected"),
    [
        ("{action_name: break_glass}", "selection", {"a"}),  # `_` is no wildcard
        ("{action_name: BREAK_GLASS}", "selection", {"a"}),  # case-insensitive by default
        ("{action_name|cased: BREAK_GLASS}", "selection", set()),
        ("{action_name|contains: glass}", "selection", {"a", "b", "c"}),
        ("{action_name|startswith: break_}", "selection", {"a", "c"}),
        ("{action_name|endswith: '%'}", "selection", {"d"}),
        ("{action_name: 'break?glass'}", "selection", {"a", "b"}),
        ("{action_name|contains|all: [break, start]}", "selection", {"c"}),
        ("{action_name|re: '^break.glass$'}", "selection", {"a", "b"}),
        ("{action_name|re|i: '^BREAK_GLASS'}", "selection", {"a", "c"}),
        ("{src_ip|cidr: 10.0.0.0/8}", "selection", {"a", "d"}),
        ("{src_ip|cidr: 10.0.0.0/8}", "not selection", {"b", "c"}),  # a missing address is not in the network
        ("{record_count|gte: 7}", "selection", {"b", "d"}),
        ("{record_count|lt: 7}", "selection", {"a"}),
        ("{record_count: 30}", "selection", {"b"}),
        ("{record_count|exists: false}", "selection", {"c"}),
        ("{dst_host: null}", "selection", {"c"}),
        ("{dst_host|neq: ehr-prod}", "selection", {"c", "d"}),
        ("{dst_host: EHR-PROD}", "not selection", {"c", "d"}),
        ("{user_name: ALICE}", "selection", {"a"}),  # user names are compared lower-cased
        ("{user_name|fieldref: user_upn}", "selection", set()),
    ],
)
def test_modifier_semantics(selection, condition, expected):
    assert matches(selection, condition) == expected


def problems(text: str, **known) -> list[tuple[str, str, str]]:
    with pytest.raises(RuleError) as raised:
        parse_rules(text, **known)
    return [(p.rule, p.field, p.message) for p in raised.value.problems]


RULE = "title: r\nname: r\nlogsource: {product: hipaa_platform, category: authentication}\n"


def test_unknown_field_names_rule_field_and_suggestion():
    found = problems(RULE + "detection:\n  sel: {user_nmae: x}\n  condition: sel\n")
    assert found == [("r", "detection.sel.user_nmae", "unknown field 'user_nmae' (did you mean 'user_name'?)")]


def test_unsupported_and_unknown_modifiers():
    found = problems(RULE + "detection:\n  sel: {user_name|base64: x, user_upn|bogus: y}\n  condition: sel\n")
    assert found == [
        ("r", "detection.sel.user_name|base64", "unsupported modifier 'base64'"),
        ("r", "detection.sel.user_upn|bogus", "unsupported modifier 'bogus'"),
    ]


def test_pipe_aggregation_points_to_correlations():
    found = problems(RULE + "detection:\n  sel: {outcome: failure}\n  condition: sel | count() by user_name > 5\n")
    assert len(found) == 1 and found[0][1] == "detection.condition" and "correlation rule" in found[0][2]


def test_missing_referenced_rule():
    text = (
        "title: c\nname: c\ncorrelation:\n  type: event_count\n  rules: [known, missing]\n  group-by: [user_name]\n"
        "  timespan: 10m\n  condition: {gte: 5}\n"
    )
    assert problems(text, known_names=["known"]) == [("c", "correlation.rules[1]", "no rule named missing")]


def test_bad_yaml_gives_the_line():
    text = RULE + "detection:\n  sel: {outcome: failure}\n  condition: sel\n---\ntitle: two\nname: a: b\n"
    found = problems(text)
    assert [(rule, where) for rule, where, _ in found] == [("document 2", "yaml line 9")]


def test_other_products_and_keyword_searches_are_refused():
    other = "title: w\nname: w\nlogsource: {product: windows}\ndetection:\n  sel: {a: b}\n  condition: sel\n"
    assert problems(other)[0][1:] == ("logsource.product", "unsupported logsource 'windows': use 'hipaa_platform'")
    keywords = RULE + "detection:\n  sel: [mimikatz]\n  condition: sel\n"
    assert problems(keywords) == [("r", "detection.sel", "keyword searches are not supported: name a field")]


def test_unsupported_correlation_type_and_bad_group_field():
    text = (
        "title: c\nname: c\ncorrelation:\n  type: value_percentile\n  rules: [r]\n  group-by: [user]\n"
        "  timespan: 10m\n  condition: {gte: 5}\n"
    )
    assert problems(text)[0][1] == "correlation.type"
    text = text.replace("value_percentile", "event_count")
    assert problems(text, known_names=["r"]) == [
        ("c", "correlation.group-by[0]", "unknown field 'user' (did you mean 'user_id'?)")
    ]
