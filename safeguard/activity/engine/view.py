"""The enriched events a rule reads: the events table in the batch's read range, joined only to the dictionaries and
reference tables the rule's fields need. Reference rows are collapsed to one per key first, so an accidental
duplicate in the roster or the registry can never duplicate an event (and so double a count)."""

# ruff: noqa: S608  # SQL is assembled from checked field names and quote()d literals; times are parameters

from __future__ import annotations

from collections.abc import Iterable

from safeguard.activity.schema import EVENT_FIELD_NAMES, STORED_FIELDS

# Always present: identity of the event, its time and the integer keys correlations partition on.
BASE_COLUMNS = ("time", "source_id", "event_uid", "user_id", "patient_key", "src_host_id", "src_ip_id")
STORED_COLUMNS = frozenset(EVENT_FIELD_NAMES) | {field.name for field in STORED_FIELDS}
DECODED = {
    "user_name": ("du", "LEFT JOIN dict_user du ON du.id = e.user_id"),
    "patient_id": ("dp", "LEFT JOIN dict_patient dp ON dp.id = e.patient_key"),
    "src_host": ("dh", "LEFT JOIN dict_host dh ON dh.id = e.src_host_id"),
    "src_ip": ("di", "LEFT JOIN dict_ip di ON di.id = e.src_ip_id"),
}
PERSON = "coalesce(ids.person_id, idg.person_id)"
IN_RANGE = "{e}time >= CAST($read_start AS TIMESTAMPTZ) AND {e}time < CAST($end AS TIMESTAMPTZ)"
JOINS = {
    "sources": "LEFT JOIN (SELECT source_id, min(name) AS name, min(kind) AS kind FROM ref_sources GROUP BY ALL) rs "
    "ON rs.source_id = e.source_id",
    "identities": "LEFT JOIN (SELECT user_id, source_id, min(person_id) AS person_id FROM ref_identities "
    "WHERE source_id IS NOT NULL GROUP BY ALL) ids ON ids.user_id = e.user_id AND ids.source_id = e.source_id "
    "LEFT JOIN (SELECT user_id, min(person_id) AS person_id FROM ref_identities WHERE source_id IS NULL "
    "GROUP BY ALL) idg ON idg.user_id = e.user_id",
    "people": "LEFT JOIN (SELECT person_id, min(last_name) AS last_name, min(department) AS department, "
    "min(job_role) AS job_role, min(hire_at) AS hire_at, min(termination_at) AS termination_at FROM ref_people "
    f"GROUP BY ALL) pp ON pp.person_id = {PERSON}",
    "shifts": "LEFT JOIN (SELECT person_id, min(start_hour) AS sh, min(end_hour) AS eh, min(weekdays) AS wd "
    f"FROM ref_shifts WHERE person_id IS NOT NULL GROUP BY ALL) sp ON sp.person_id = {PERSON} "
    "LEFT JOIN (SELECT min(start_hour) AS sh, min(end_hour) AS eh, min(weekdays) AS wd FROM ref_shifts "
    "WHERE person_id IS NULL) sd ON true",
    "accounts": "LEFT JOIN (SELECT user_id, source_id, min(account_type) AS account_type FROM ref_accounts "
    "WHERE source_id IS NOT NULL GROUP BY ALL) acs ON acs.user_id = e.user_id AND acs.source_id = e.source_id "
    "LEFT JOIN (SELECT user_id, min(account_type) AS account_type FROM ref_accounts WHERE source_id IS NULL "
    "GROUP BY ALL) acg ON acg.user_id = e.user_id",
    # Only the patients of the read range are collapsed: the flags table has every patient of the organization,
    # and collapsing all of it cost more than a five-minute batch's rule.
    "patients": "LEFT JOIN (SELECT patient_key, min(last_name) AS last_name, bool_or(vip) AS vip, "
    "bool_or(restricted) AS restricted, min(employee_person_id) AS employee_person_id FROM ref_patients "
    f"WHERE patient_key IN (SELECT patient_key FROM events WHERE {IN_RANGE.format(e='')}) "
    "GROUP BY ALL) rp ON rp.patient_key = e.patient_key",
    "workstations": "LEFT JOIN (SELECT src_host_id, min(site) AS site, min(department) AS department "
    "FROM ref_workstations GROUP BY ALL) ws ON ws.src_host_id = e.src_host_id",
}
JOIN_ORDER = ("sources", "identities", "people", "shifts", "accounts", "patients", "workstations")


def _shift(part: str) -> str:
    return f"(CASE WHEN sp.person_id IS NULL THEN sd.{part} ELSE sp.{part} END)"


# A shift that ends before it starts runs overnight; start = end means all day; no weekday mask means every day.
IN_SHIFT = (
    f"(CASE WHEN {_shift('sh')} IS NULL OR e.local_hour IS NULL THEN NULL "
    f"WHEN (coalesce({_shift('wd')}, 254) >> e.local_dow) & 1 = 0 THEN false "
    f"WHEN {_shift('sh')} = {_shift('eh')} THEN true "
    f"WHEN {_shift('sh')} < {_shift('eh')} THEN e.local_hour >= {_shift('sh')} AND e.local_hour < {_shift('eh')} "
    f"ELSE e.local_hour >= {_shift('sh')} OR e.local_hour < {_shift('eh')} END)"
)
STATUS = (
    "(CASE WHEN pp.person_id IS NULL THEN 'not_on_roster' "
    "WHEN pp.hire_at IS NOT NULL AND e.time < pp.hire_at THEN 'before_hire' "
    "WHEN pp.termination_at IS NOT NULL AND e.time >= pp.termination_at THEN 'terminated' ELSE 'active' END)"
)
ENRICHED = {
    "source_name": ("rs.name", ("sources",)),
    "source_kind": ("rs.kind", ("sources",)),
    "user_person_id": (PERSON, ("identities",)),
    "user_department": ("pp.department", ("identities", "people")),
    "user_job_role": ("pp.job_role", ("identities", "people")),
    "user_last_name": ("lower(pp.last_name)", ("identities", "people")),
    "user_status_at_event": (STATUS, ("identities", "people")),
    "user_in_shift": (IN_SHIFT, ("identities", "shifts")),
    "user_account_type": ("coalesce(acs.account_type, acg.account_type, 'human')", ("accounts",)),
    "user_own_patient": (f"coalesce(rp.employee_person_id = {PERSON}, false)", ("identities", "patients")),
    "patient_vip": ("coalesce(rp.vip, false)", ("patients",)),
    "patient_restricted": ("coalesce(rp.restricted, false)", ("patients",)),
    "patient_last_name": ("lower(rp.last_name)", ("patients",)),
    "workstation_site": ("ws.site", ("workstations",)),
    "workstation_department": ("ws.department", ("workstations",)),
}


def enriched_events_sql(fields: Iterable[str]) -> str:
    """SELECT of the events in [$read_start, $end) with BASE_COLUMNS and the given rule fields."""
    wanted = sorted(set(fields) - set(BASE_COLUMNS))
    columns = [f"e.{name}" for name in BASE_COLUMNS]
    joins: set[str] = set()
    decoded: list[str] = []
    for name in wanted:
        if name in DECODED:
            alias, join = DECODED[name]
            columns.append(f"{alias}.value AS {name}")
            decoded.append(join)
        elif name in ENRICHED:
            expression, needs = ENRICHED[name]
            columns.append(f"{expression} AS {name}")
            joins.update(needs)
        elif name in STORED_COLUMNS:
            columns.append(f"e.{name}")
        else:
            raise ValueError(f"no column for rule field {name!r}")
    clauses = [*decoded, *(JOINS[name] for name in JOIN_ORDER if name in joins)]
    return f"SELECT {', '.join(columns)} FROM events e {' '.join(clauses)} WHERE {IN_RANGE.format(e='e.')}"
