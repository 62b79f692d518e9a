"""The embedded store's tables. Fixed here because the store writes them and the engine's SQL reads them.

Identities are dictionary-encoded: `user_id`, `patient_key`, `src_host_id` and `src_ip_id` are ids in the
dict_* tables (users and hosts lower-cased; patients and IPs as written). Integer keys made the design note's
30-rule run 1.7× faster than strings. Reference tables are replaced whenever ReferenceData.version changes.
"""

EVENTS_TABLE = """
CREATE TABLE IF NOT EXISTS events (
    source_id INTEGER NOT NULL,
    batch_id BIGINT,
    event_uid VARCHAR NOT NULL,
    time TIMESTAMPTZ NOT NULL,
    local_hour TINYINT,
    local_dow TINYINT,
    ingest_time TIMESTAMPTZ,
    event_class VARCHAR NOT NULL,
    activity VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL,
    outcome_reason VARCHAR,
    user_id INTEGER,
    user_upn VARCHAR,
    user_type VARCHAR,
    session_id VARCHAR,
    is_mfa BOOLEAN,
    src_ip_id INTEGER,
    src_ip_v4 UBIGINT,
    src_host_id INTEGER,
    src_geo_country VARCHAR,
    dst_service VARCHAR,
    dst_host VARCHAR,
    patient_key INTEGER,
    patient_id_system VARCHAR,
    resource_type VARCHAR,
    record_count INTEGER,
    purpose_of_use VARCHAR,
    action_name VARCHAR,
    -- DuckDB would pick FSST for long raw lines, about 4x slower to write than zstd and larger on disk.
    raw VARCHAR USING COMPRESSION zstd,
    raw_offset BIGINT,
    parser VARCHAR,
    parser_version VARCHAR
)
"""

DICTIONARY_TABLES = ("dict_user", "dict_patient", "dict_host", "dict_ip")
DICTIONARY_TABLE = "CREATE TABLE IF NOT EXISTS {name} (id INTEGER PRIMARY KEY, value VARCHAR NOT NULL UNIQUE)"

REFERENCE_TABLES = {
    "ref_sources": "source_id INTEGER, name VARCHAR, kind VARCHAR, time_zone VARCHAR",
    "ref_people": (
        "person_id INTEGER, last_name VARCHAR, department VARCHAR, job_role VARCHAR, "
        "hire_at TIMESTAMPTZ, termination_at TIMESTAMPTZ"
    ),
    # source_id NULL: the identity holds in every source
    "ref_identities": "user_id INTEGER, source_id INTEGER, person_id INTEGER",
    # one row per person with their resolved shift; person_id NULL is the organization's business hours;
    # weekdays is a bit mask: bit d set for ISO day d (Monday = 1 … Sunday = 7)
    "ref_shifts": "person_id INTEGER, start_hour TINYINT, end_hour TINYINT, weekdays INTEGER",
    "ref_accounts": "user_id INTEGER, source_id INTEGER, account_type VARCHAR",
    "ref_patients": (
        "patient_key INTEGER, last_name VARCHAR, vip BOOLEAN, restricted BOOLEAN, employee_person_id INTEGER"
    ),
    "ref_workstations": "src_host_id INTEGER, site VARCHAR, department VARCHAR",
}

META_TABLE = "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
