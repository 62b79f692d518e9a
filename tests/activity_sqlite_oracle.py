"""A second, independent oracle for correlation rules: pysigma-backend-sqlite 2.1.1 compiles the same Sigma YAML to
SQLite, and its `execute_plan` runs it over a flat SQLite copy of the events. Its windows are backward and inclusive
at each distinct matching time (its README, "Correlation rules (version 2)"), so its alert occurrence times are our
engine's anchor times, one per (group, instant).

The logsource category is turned into an `event_class` condition by a pySigma processing pipeline, as our backend
does; user and host names are lower-cased and compared without case, as the store keeps them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc
import yaml
from sigma.backends.sqlite import sqliteBackend
from sigma.backends.sqlite.runtime import execute_plan
from sigma.collection import SigmaCollection
from sigma.processing.conditions import LogsourceCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import AddConditionTransformation

CATEGORY_CLASSES = {
    "authentication": "authentication",
    "ehr_access": "record_access",
    "api_activity": "api_activity",
    "network_session": "network_session",
    "account_change": "account_change",
}
# (column, SQLite declaration, how the flat copy is computed from the parsers' table)
TEXT = "TEXT COLLATE NOCASE"
COLUMNS = ("event_uid", "event_class", "activity", "outcome", "user_name", "src_ip", "src_host", "patient_id")
LOWERED = ("user_name", "src_host")

Anchor = tuple[tuple[str, ...], int]  # (group values, time in epoch microseconds)


def category_pipeline() -> ProcessingPipeline:
    return ProcessingPipeline(
        name="hipaa_platform categories",
        priority=20,
        items=[
            ProcessingItem(
                identifier=f"category_{category}",
                transformation=AddConditionTransformation(conditions={"event_class": event_class}),
                rule_conditions=[LogsourceCondition(category=category)],
            )
            for category, event_class in CATEGORY_CLASSES.items()
        ],
    )


def rules_by_name(text: str) -> dict[str, str]:
    """A multi-document Sigma file as {name: one document's YAML}."""
    documents = text.split("\n---\n")
    return {yaml.safe_load(document)["name"]: document for document in documents}


def referenced(rules: Mapping[str, str], name: str) -> list[str]:
    """The rule and every rule it refers to, inner rules first."""
    ordered: list[str] = []

    def visit(current: str) -> None:
        for inner in (yaml.safe_load(rules[current]).get("correlation") or {}).get("rules", []):
            visit(inner)
        if current not in ordered:
            ordered.append(current)

    visit(name)
    return ordered


class SqliteOracle:
    """The events (the parsers' table plus source_id) in an in-memory SQLite table `events`."""

    def __init__(self, table: pa.Table) -> None:
        self.connection = sqlite3.connect(":memory:")
        columns = ", ".join(f"{name} {TEXT}" for name in COLUMNS)
        self.connection.execute(
            f"CREATE TABLE events ({columns}, time_us INTEGER, record_count INTEGER, local_hour INTEGER, "
            "local_dow INTEGER)"
        )
        flat = {name: table[name] for name in COLUMNS}
        for name in LOWERED:
            flat[name] = pc.utf8_lower(table[name])
        times = table["time"]
        flat["time_us"] = pc.cast(pc.cast(times, pa.timestamp("us", tz="UTC")), pa.int64())
        flat["record_count"] = table["record_count"]
        # Facility time = UTC in the generated data, as the engine's store is loaded.
        flat["local_hour"] = pc.hour(times)
        flat["local_dow"] = pc.day_of_week(times, count_from_zero=False)
        rows = pa.table(flat).to_pylist()
        placeholders = ", ".join(f":{name}" for name in flat)
        self.connection.executemany(f"INSERT INTO events ({', '.join(flat)}) VALUES ({placeholders})", rows)  # noqa: S608
        self.connection.execute("CREATE INDEX events_time ON events (time_us)")

    def anchors(self, name: str, rules: Mapping[str, str]) -> set[Anchor]:
        """The occurrence times of the correlation `name` (its group values in group-by order)."""
        collection = SigmaCollection.from_yaml("\n---\n".join(rules[rule] for rule in referenced(rules, name)))
        backend = sqliteBackend(
            processing_pipeline=category_pipeline(),
            table="events",
            timestamp_field="time_us",
            timestamp_format="unix_us",
            event_id_field="event_uid",
        )
        converted = json.loads(backend.convert(collection, "zircolite"))
        (compiled,) = [rule for rule in converted if rule["result_type"] == "correlation"]
        group_by = yaml.safe_load(rules[name])["correlation"]["group-by"]
        found, _ = execute_plan(self.connection, compiled["correlation_plan"], include_events=False)
        return {
            (tuple(str(alert["group_keys"][field]) for field in group_by), round(alert["occurrence_time"] * 1e6))
            for alert in found
        }
