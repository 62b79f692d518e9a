"""The rule authors' page documents every field a rule may use, with the meaning schema.py gives it."""

from pathlib import Path

from safeguard.activity.schema import EVENT_FIELDS, RULE_FIELDS, Activity, EventClass

DOC = (Path(__file__).resolve().parent.parent / "docs" / "activity-schema.md").read_text()


def test_every_rule_field_is_documented_with_its_meaning() -> None:
    missing = [
        name for name, field in RULE_FIELDS.items() if f"| `{name}` | {field.type} | {field.description}" not in DOC
    ]
    assert missing == []


def test_raw_fields_are_documented_though_rules_cannot_use_them() -> None:
    raw = [field for field in EVENT_FIELDS if field.name in ("raw", "raw_offset")]
    assert len(raw) == 2
    assert all(f"| `{field.name}` |" in DOC for field in raw)
    assert "raw" not in RULE_FIELDS


def test_enumerated_values_are_listed() -> None:
    for value in (*EventClass, *Activity):
        assert f"`{value.value}`" in DOC
