"""Every alerting rule of the HIPAA pack raises exactly its expected alerts on its positive fixture and none on
its negative one (the near miss), through the real store and engine with the whole pack compiled together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from safeguard.activity.rule_pack_files import rule_pack
from safeguard.activity.store.base import ReferenceData

FIXTURES = Path(__file__).parent / "activity_pack_fixtures"
SOURCE_ID = 1
WINDOW = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
PEOPLE = [
    {"person_id": 1, "last_name": "doe", "department": "Cardiology", "job_role": "Nurse"},
    {"person_id": 2, "last_name": "smith", "department": "Radiology", "job_role": "Technologist"},
]
BUSINESS_HOURS = {"person_id": None, "start_hour": 8, "end_hour": 18, "weekdays": [1, 2, 3, 4, 5]}


def alerting_rules() -> list[str]:
    return sorted(rule.name for rule in rule_pack().rules if not rule.base)


def load_fixture(name: str) -> dict[str, Any]:
    fixture: dict[str, Any] = yaml.safe_load((FIXTURES / f"{name}.yml").read_text(encoding="utf-8"))
    return fixture


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def expand_events(fixture: dict[str, Any], section: str) -> list[dict[str, Any]]:
    """The section's events with the file's defaults, `repeat`/`every` expanded and `{i}` filled in."""
    events: list[dict[str, Any]] = []
    for spec in fixture[section]["events"]:
        spec = {**fixture.get("defaults", {}), **spec}
        repeat, every = int(spec.pop("repeat", 1)), int(spec.pop("every", 0))
        start = _time(spec.pop("time"))
        for index in range(repeat):
            event = {key: value.format(i=index) if isinstance(value, str) else value for key, value in spec.items()}
            event["time"] = start + timedelta(seconds=every * index)
            event["event_uid"] = f"{section}-{len(events)}"
            event["raw"] = f"fixture {section} {len(events)}"
            event["raw_offset"] = len(events) + 1
            events.append(event)
    return events


def reference_for(fixture: dict[str, Any]) -> ReferenceData:
    extra = fixture.get("reference", {})
    terminated = {int(person): _time(when) for person, when in extra.get("terminated", {}).items()}
    people = [
        {
            **person,
            "hire_at": datetime(2020, 1, 1, tzinfo=UTC),
            "termination_at": terminated.get(int(str(person["person_id"]))),
        }
        for person in PEOPLE
    ]
    return ReferenceData(
        version=1,
        people=people,
        identities=[
            {"identity": "jdoe", "source_id": None, "person_id": 1},
            {"identity": "asmith", "source_id": None, "person_id": 2},
        ],
        shifts=[BUSINESS_HOURS, *extra.get("shifts", [])],
        accounts=extra.get("accounts", []),
        patients=extra.get("patients", []),
        workstations=extra.get("workstations", []),
        sources=[{"source_id": SOURCE_ID, "name": "EHR", "kind": "ehr", "time_zone": "UTC"}],
    )


def run_pack(fixture: dict[str, Any], section: str, folder: Path) -> list[Any]:
    from safeguard.activity.engine import RuleDocument, compile_rules, evaluate
    from safeguard.activity.parsers.common import events_table
    from safeguard.activity.store.duckdb import DuckDBEventStore

    store = DuckDBEventStore(folder / "fixture.duckdb")
    store.append(
        SOURCE_ID,
        1,
        events_table(expand_events(fixture, section)),
        time_zone="UTC",
        parser="fixture",
        parser_version="1",
    )
    store.load_reference(reference_for(fixture))
    compiled = compile_rules([RuleDocument(name=rule.name, yaml=rule.yaml) for rule in rule_pack().rules])
    result = evaluate(store, compiled, organization_id=1, start=WINDOW[0], end=WINDOW[1])
    return [candidate for candidate in result.candidates if candidate.rule_name == fixture["rule"]]


def test_every_alerting_pack_rule_has_a_positive_and_a_negative_fixture():
    files = {path.stem for path in FIXTURES.glob("*.yml")}
    assert files == set(alerting_rules())
    for name in alerting_rules():
        fixture = load_fixture(name)
        assert fixture["rule"] == name
        assert expand_events(fixture, "positive"), name
        assert fixture["positive"]["expect"], name
        assert expand_events(fixture, "negative"), name


def test_every_building_block_is_counted_by_a_correlation_of_the_pack():
    referenced = set()
    for rule in rule_pack().rules:
        document = yaml.safe_load(rule.yaml)
        referenced.update(document.get("correlation", {}).get("rules", []))
    base = {rule.name for rule in rule_pack().rules if rule.base}
    assert base == {"auth_failure", "auth_success", "ehr_record_view", "ehr_export", "ehr_print"} | {
        "ehr_any_access",
        "cloud_delete",
    }
    assert base <= referenced


def test_fixture_expansion_spaces_and_numbers_repeated_events():
    fixture = load_fixture("auth_password_spray")
    events = expand_events(fixture, "negative")
    assert [event["user_name"] for event in events] == [f"user{i}" for i in range(9)] + ["user0"]
    assert events[1]["time"] - events[0]["time"] == timedelta(seconds=30)
    assert events[0]["src_ip"] == "198.51.100.7"
    assert len({event["event_uid"] for event in events}) == 10


@pytest.mark.parametrize("name", alerting_rules())
def test_positive_fixture_raises_exactly_the_expected_alerts(name, tmp_path):
    fixture = load_fixture(name)
    candidates = run_pack(fixture, "positive", tmp_path)
    expected = fixture["positive"]["expect"]
    assert len(candidates) == len(expected), [c.group_key for c in candidates]
    unmatched = list(candidates)
    for want in expected:
        match = next(
            (c for c in unmatched if want["group"].items() <= {k: str(v) for k, v in c.group_key.items()}.items()),
            None,
        )
        assert match is not None, (want, [c.group_key for c in unmatched])
        if "anchors" in want:
            assert match.anchor_count == want["anchors"]
        unmatched.remove(match)


@pytest.mark.parametrize("name", alerting_rules())
def test_negative_fixture_raises_nothing(name, tmp_path):
    candidates = run_pack(load_fixture(name), "negative", tmp_path)
    assert [c.group_key for c in candidates] == []
