"""A deterministic audit-log generator for activity review: the design note's benchmark data set (Appendix C),
scaled by the number of background events. The same seed gives the same events, byte for byte.

- 5,000 users (0.5 % terminated on 25–29 January of the first month, 5 % on the night shift, 3 break-glass
  accounts), each with their own chart; surnames are one of 20 common names, 75 % with a number suffix;
- 500,000 patients, 1 in 2,500 VIP, surnames drawn the same way; 3,000 workstations; client IPs in 10.0.0.0/8;
- background events over `days` days, 93 % between 07:00 and 19:00 (facility time = UTC here), from four sources:
  EHR 70 % (view 80 %, search 8 %, modify 6 %, print 3 %, export 2.5 % with 1–20 records, break-glass 0.5 %),
  identity provider 15 % and VPN 10 % (3 % failures), cloud 5 %;
- injected: 50 brute-force bursts (30 failed logins 10 s apart, one user, one 203.0.113.x address), 20 password
  sprays (40 users 12 s apart, one 198.51.100.x address), 10 snooping sprees (300 distinct patients 6 s apart).

`generate()` returns the events as the parsers' table (string identities; parsers.common.EVENTS_SCHEMA) and the
reference data a store loads for enrichment. Scenario counts scale with `background_events / 10,000,000` (at
least one of each) so small slices still contain every scenario.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from safeguard.activity.parsers.common import EVENTS_SCHEMA  # noqa: E402
from safeguard.activity.store.base import ReferenceData  # noqa: E402

FULL_SCALE = 10_000_000
USERS = 5_000
PATIENTS = 500_000
WORKSTATIONS = 3_000
SURNAMES = (
    "smith johnson williams brown jones garcia miller davis rodriguez martinez "
    "hernandez lopez gonzalez wilson anderson thomas taylor moore jackson martin"
).split()
SOURCES = ((1, "EHR", "ehr"), (2, "IdP", "identity"), (3, "VPN", "vpn_firewall"), (4, "Cloud", "cloud"))
EHR_ACTIONS = (("read", 0.80), ("query", 0.08), ("update", 0.06), ("print", 0.03), ("export", 0.025))
BREAK_GLASS_SHARE = 0.005
FAILURE_RATE = 0.03
DAY_SHARE = 0.93  # of events between 07:00 and 19:00
BRUTE_FORCE = (50, 30, 10)  # bursts, failures per burst, seconds apart
SPRAYS = (20, 40, 12)  # sprays, users per spray, seconds apart
SPREES = (10, 300, 6)  # sprees, patients per spree, seconds apart


@dataclass
class Generated:
    table: pa.Table
    reference: ReferenceData
    injected: dict[str, int] = field(default_factory=dict)
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    end: datetime = datetime(2024, 1, 31, tzinfo=UTC)


def _names(prefix: str, count: int, width: int) -> pa.Array:
    return pa.array([f"{prefix}{index:0{width}d}" for index in range(count)], pa.string())


def _surnames(rng: np.random.Generator, count: int) -> list[str]:
    base = rng.integers(0, len(SURNAMES), count)
    suffixed = rng.random(count) < 0.75
    suffix = rng.integers(1, 100, count)
    return [
        f"{SURNAMES[b]}{s}" if with_suffix else SURNAMES[b]
        for b, with_suffix, s in zip(base.tolist(), suffixed.tolist(), suffix.tolist(), strict=True)
    ]


def _take(dictionary: pa.Array, indices: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Strings by index without a Python loop per event: a dictionary array cast to plain strings."""
    mask = None if valid is None else ~valid
    encoded = pa.DictionaryArray.from_arrays(pa.array(indices.astype(np.int32), mask=mask), dictionary)
    return encoded.cast(pa.string())


def _flat(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """pa.array() of a few million numpy strings comes back chunked; concat_arrays takes plain arrays only."""
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _times(rng: np.random.Generator, count: int, start: datetime, days: int) -> np.ndarray:
    """Microseconds since the epoch: a random day, and a daytime (07–19) or night-time second."""
    day = rng.integers(0, days, count)
    daytime = rng.random(count) < DAY_SHARE
    second = np.where(
        daytime,
        rng.integers(7 * 3600, 19 * 3600, count),
        (rng.integers(19 * 3600, 31 * 3600, count)) % 86_400,
    )
    base = int(start.timestamp())
    return (base + day * 86_400 + second) * 1_000_000 + rng.integers(0, 1_000_000, count)


def generate(
    background_events: int,
    *,
    seed: int = 7,
    days: int = 30,
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC),
) -> Generated:
    rng = np.random.default_rng(seed)
    n = background_events
    users = _names("u", USERS, 5)
    patients = _names("P", PATIENTS, 6)
    hosts = _names("ws", WORKSTATIONS, 4)
    # Client addresses: 4,000 in 10.0.0.0/8, each user mostly on a few of them.
    ips = pa.array([f"10.{(k >> 8) & 255}.{k & 255}.{(k * 7) % 250 + 1}" for k in range(4_000)], pa.string())

    source = rng.choice(4, n, p=[0.70, 0.15, 0.10, 0.05]) + 1
    user = rng.integers(0, USERS, n)
    time_us = _times(rng, n, start, days)
    roll = rng.random(n)
    is_ehr = source == 1
    is_auth = (source == 2) | (source == 3)
    is_cloud = source == 4

    # EHR actions by cumulative share; break-glass takes the last half percent.
    ehr_activity = np.full(n, "read", dtype=object)
    edges = np.cumsum([share for _, share in EHR_ACTIONS])
    for (name, _), low, high in zip(EHR_ACTIONS, np.concatenate([[0.0], edges[:-1]]), edges, strict=True):
        ehr_activity[(roll >= low) & (roll < high)] = name
    ehr_activity[roll >= 1 - BREAK_GLASS_SHARE] = "break_glass"
    cloud_activity = np.where(
        roll < 0.6, "read", np.where(roll < 0.9, "update", np.where(roll < 0.97, "create", "delete"))
    )
    activity = np.where(is_ehr, ehr_activity, np.where(is_auth, "logon", cloud_activity)).astype(str)
    failed = (is_auth | is_cloud) & (rng.random(n) < FAILURE_RATE)
    outcome = np.where(failed, "failure", "success")
    event_class = np.where(
        is_ehr,
        "record_access",
        np.where(source == 2, "authentication", np.where(source == 3, "network_session", "api_activity")),
    )
    patient = rng.integers(0, PATIENTS, n)
    record_count = np.where(activity == "export", rng.integers(1, 21, n), 1)
    host = rng.integers(0, WORKSTATIONS, n)
    ip = (user * 3 + rng.integers(0, 3, n)) % 4_000

    columns: dict[str, list[pa.Array]] = {name: [] for name in EVENTS_SCHEMA.names}

    def add(
        count: int,
        *,
        uid_start: int,
        time: np.ndarray,
        source_id: np.ndarray,
        event_class: np.ndarray,
        activity: np.ndarray,
        outcome: np.ndarray,
        user_names: pa.Array,
        patient_ids: pa.Array,
        src_ips: pa.Array,
        src_hosts: pa.Array,
        records: np.ndarray,
    ) -> None:
        columns["event_uid"].append(pa.array([f"e{uid_start + k}" for k in range(count)], pa.string()))
        columns["time"].append(pa.array(time, pa.timestamp("us", tz="UTC")))
        columns["event_class"].append(pa.array(event_class.astype(str), pa.string()))
        columns["activity"].append(pa.array(activity.astype(str), pa.string()))
        columns["outcome"].append(pa.array(outcome.astype(str), pa.string()))
        columns["user_name"].append(user_names)
        columns["patient_id"].append(patient_ids)
        columns["src_ip"].append(src_ips)
        columns["src_host"].append(src_hosts)
        columns["record_count"].append(pa.array(records.astype(np.int32), pa.int32()))
        columns["dst_service"].append(_take(pa.array([name for _, name, _ in SOURCES]), source_id - 1))
        purpose = np.where(activity == "break_glass", 1, 0)
        columns["purpose_of_use"].append(_take(pa.array(["TREAT", "ETREAT"]), purpose, valid=source_id == 1))
        columns["action_name"].append(pa.array(activity.astype(str), pa.string()))
        # The source is not an event field: the caller appends each source's rows separately (see by_source).
        columns["raw_offset"].append(pa.array(np.arange(uid_start, uid_start + count, dtype=np.int64)))
        for name in EVENTS_SCHEMA.names:
            if len(columns[name]) < len(columns["event_uid"]):
                columns[name].append(pa.nulls(count, EVENTS_SCHEMA.field(name).type))
        sources.append(source_id.astype(np.int32))

    sources: list[np.ndarray] = []
    add(
        n,
        uid_start=0,
        time=time_us,
        source_id=source,
        event_class=event_class,
        activity=activity,
        outcome=outcome,
        user_names=_take(users, user),
        patient_ids=_take(patients, patient, valid=is_ehr),
        src_ips=_take(ips, ip),
        src_hosts=_take(hosts, host, valid=is_ehr),
        records=record_count,
    )
    uid = n
    scale = max(n / FULL_SCALE, 0.0)
    injected: dict[str, int] = {}
    span_us = (days - 1) * 86_400 * 1_000_000
    base_us = int(start.timestamp()) * 1_000_000

    bursts, per_burst, gap = BRUTE_FORCE
    count = max(1, round(bursts * scale))
    for index in range(count):
        at = base_us + int(rng.integers(0, span_us)) + np.arange(per_burst) * gap * 1_000_000
        victim = np.full(per_burst, int(rng.integers(0, USERS)))
        add(
            per_burst,
            uid_start=uid,
            time=at,
            source_id=np.full(per_burst, 2),
            event_class=np.full(per_burst, "authentication"),
            activity=np.full(per_burst, "logon"),
            outcome=np.full(per_burst, "failure"),
            user_names=_take(users, victim),
            patient_ids=pa.nulls(per_burst, pa.string()),
            src_ips=pa.array([f"203.0.113.{index % 250 + 1}"] * per_burst, pa.string()),
            src_hosts=pa.nulls(per_burst, pa.string()),
            records=np.ones(per_burst),
        )
        uid += per_burst
    injected["brute_force_bursts"] = count

    sprays, per_spray, gap = SPRAYS
    count = max(1, round(sprays * scale))
    for index in range(count):
        at = base_us + int(rng.integers(0, span_us)) + np.arange(per_spray) * gap * 1_000_000
        victims = rng.choice(USERS, per_spray, replace=False)
        add(
            per_spray,
            uid_start=uid,
            time=at,
            source_id=np.full(per_spray, 2),
            event_class=np.full(per_spray, "authentication"),
            activity=np.full(per_spray, "logon"),
            outcome=np.full(per_spray, "failure"),
            user_names=_take(users, victims),
            patient_ids=pa.nulls(per_spray, pa.string()),
            src_ips=pa.array([f"198.51.100.{index % 250 + 1}"] * per_spray, pa.string()),
            src_hosts=pa.nulls(per_spray, pa.string()),
            records=np.ones(per_spray),
        )
        uid += per_spray
    injected["password_sprays"] = count

    sprees, per_spree, gap = SPREES
    count = max(1, round(sprees * scale))
    for _ in range(count):
        at = base_us + int(rng.integers(0, span_us)) + np.arange(per_spree) * gap * 1_000_000
        snoop = np.full(per_spree, int(rng.integers(0, USERS)))
        add(
            per_spree,
            uid_start=uid,
            time=at,
            source_id=np.full(per_spree, 1),
            event_class=np.full(per_spree, "record_access"),
            activity=np.full(per_spree, "read"),
            outcome=np.full(per_spree, "success"),
            user_names=_take(users, snoop),
            patient_ids=_take(patients, rng.choice(PATIENTS, per_spree, replace=False)),
            src_ips=_take(ips, np.full(per_spree, int(rng.integers(0, 4_000)))),
            src_hosts=_take(hosts, np.full(per_spree, int(rng.integers(0, WORKSTATIONS)))),
            records=np.ones(per_spree),
        )
        uid += per_spree
    injected["snooping_sprees"] = count

    table = pa.table(
        {name: pa.concat_arrays([_flat(chunk) for chunk in chunks]) for name, chunks in columns.items()},
        schema=EVENTS_SCHEMA,
    ).append_column("source_id", pa.array(np.concatenate(sources), pa.int32()))
    return Generated(
        table=table.sort_by("time"),
        reference=_reference(rng, users, patients, start),
        injected=injected,
        start=start,
        end=start + timedelta(days=days),
    )


def by_source(generated: Generated) -> dict[int, pa.Table]:
    """The events of each source, as the parsers of that source would yield them (without source_id)."""
    table = generated.table
    ids = table.column("source_id").to_numpy()
    plain = table.drop_columns(["source_id"])
    return {int(sid): plain.filter(pa.array(ids == sid)) for sid in np.unique(ids)}


def _reference(rng: np.random.Generator, users: pa.Array, patients: pa.Array, start: datetime) -> ReferenceData:
    user_names = users.to_pylist()
    surnames = _surnames(rng, USERS)
    terminated = set(rng.choice(USERS, USERS // 200, replace=False).tolist())
    night = set(rng.choice(USERS, USERS // 20, replace=False).tolist())
    people = []
    for index in range(len(user_names)):
        termination = None
        if index in terminated:
            termination = start.replace(day=25) + timedelta(days=int(rng.integers(0, 5)), hours=17)
        people.append(
            {
                "person_id": index + 1,
                "last_name": surnames[index],
                "department": f"dept{index % 40:02d}",
                "job_role": "clinician" if index % 3 else "clerk",
                "hire_at": datetime(2020, 1, 1, tzinfo=UTC),
                "termination_at": termination,
            }
        )
    identities = [
        {"identity": name, "source_id": None, "person_id": index + 1} for index, name in enumerate(user_names)
    ]
    shifts = [{"person_id": None, "start_hour": 7, "end_hour": 19, "weekdays": [1, 2, 3, 4, 5, 6, 7]}]
    shifts += [
        {"person_id": index + 1, "start_hour": 19, "end_hour": 7, "weekdays": [1, 2, 3, 4, 5, 6, 7]}
        for index in sorted(night)
    ]
    # Three break-glass accounts among the users (their use is the R08 scenario).
    accounts = [
        {"identity": user_names[index], "source_id": None, "account_type": "break_glass"} for index in (11, 22, 33)
    ]
    patient_surnames = _surnames(rng, PATIENTS)
    patient_names = patients.to_pylist()
    own_chart = {int(rng.integers(0, PATIENTS)): index + 1 for index in range(USERS)}
    flagged = [
        {
            "patient": patient_names[index],
            "last_name": patient_surnames[index],
            "vip": index % 2_500 == 0,
            "restricted": False,
            "employee_person_id": own_chart.get(index),
        }
        for index in range(PATIENTS)
    ]
    return ReferenceData(
        version=1,
        people=people,
        identities=identities,
        shifts=shifts,
        accounts=accounts,
        patients=flagged,
        workstations=[],
        sources=[{"source_id": sid, "name": name, "kind": kind, "time_zone": "UTC"} for sid, name, kind in SOURCES],
    )


if __name__ == "__main__":
    import time

    began = time.perf_counter()
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    generated = generate(size)
    print(
        f"{generated.table.num_rows:,} events in {time.perf_counter() - began:.1f} s; injected {generated.injected}; "
        f"{generated.table.nbytes / 1e6:.0f} MB in memory"
    )
