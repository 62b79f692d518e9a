"""The fast path for large AuditEvent NDJSON files: DuckDB decodes the lines and applies fhir_mapping's table in
SQL on all cores. It checks structure and codes (required elements present, codes in their value sets); lines that
fail those checks, or are not JSON objects, are handed back for the model-validated path, which words the reject.
Element types are not checked here (DuckDB reads a number where a string was due as text), a deliberate trade for
speed on exports from systems that already emit valid FHIR."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safeguard.activity.parsers.common import SQL_PYTHON_TIMES, with_events_schema
from safeguard.activity.parsers.fhir_mapping import (
    EMERGENCY_OVERRIDE_STARTED,
    EMERGENCY_TREATMENT,
    EXPORT,
    INSTANT,
    LOGIN,
    LOGOUT,
    PATIENT_REFERENCE,
    REFERENCE_TYPE,
    SEARCH_SUBTYPES,
    SECURITY_ALERT,
    SOURCE_ROLE,
    USER_AUTHENTICATION,
)

# The union of R4's and R5's elements the mapping reads; `outcome` and `role` differ in shape between versions.
_CODING = '{"code": "VARCHAR"}'
_CONCEPT = f'{{"coding": [{_CODING}]}}'
_IDENTIFIER = '{"system": "VARCHAR", "value": "VARCHAR"}'
_REFERENCE = f'{{"reference": "VARCHAR", "display": "VARCHAR", "identifier": {_IDENTIFIER}}}'
STRUCTURE = (
    '{"resourceType": "VARCHAR", "id": "VARCHAR", "action": "VARCHAR", "recorded": "VARCHAR",'
    ' "occurredDateTime": "VARCHAR", "occurredPeriod": "JSON", "outcome": "JSON", "outcomeDesc": "VARCHAR",'
    f' "type": {_CODING}, "subtype": [{_CODING}], "category": [{_CONCEPT}], "code": {_CONCEPT},'
    f' "purposeOfEvent": [{_CONCEPT}], "authorization": [{_CONCEPT}], "patient": {_REFERENCE},'
    f' "agent": [{{"requestor": "JSON", "who": {_REFERENCE}, "altId": "VARCHAR", "name": "VARCHAR",'
    f' "network": {{"address": "VARCHAR", "type": "VARCHAR"}}, "networkString": "VARCHAR", "type": {_CONCEPT}}}],'
    f' "source": {{"observer": {_REFERENCE}}},'
    f' "entity": [{{"what": {_REFERENCE}, "type": {_CODING}, "role": "JSON", "query": "VARCHAR"}}]}}'
)

MACROS = (
    "CREATE MACRO codings(l) AS list_transform(list_filter(coalesce(l, []), lambda x: x.code IS NOT NULL),"
    " lambda x: x.code)",
    "CREATE MACRO concepts(l) AS flatten(list_transform(coalesce(l, []), lambda c: codings(c.coding)))",
    "CREATE MACRO is_patient_entity(e) AS coalesce(e.role->>'$.code' = '1', false)"
    " OR list_contains(coalesce(json_extract_string(e.role, '$.coding[*].code'), []), '1')"
    " OR coalesce(e.type.code = '1', false)"
    f" OR coalesce(regexp_matches(e.what.reference, '{PATIENT_REFERENCE}'), false)",
    "CREATE MACRO rest_activity(c) AS CASE WHEN c IN ('read', 'vread') THEN 'read'"
    f" WHEN c IN {SEARCH_SUBTYPES} THEN 'query' WHEN c = 'create' THEN 'create'"
    " WHEN c IN ('update', 'patch') THEN 'update' WHEN c = 'delete' THEN 'delete' END",
)

# Built from this module's constants only; the lines arrive as a registered table.
_SQL = f"""
WITH parsed AS (
  SELECT line_no, line, PARSE AS j
  FROM input_lines
), coded AS (
  SELECT *,
    codings([j.type]) || concepts(j.category) AS type_codes,
    codings(j.subtype) || concepts([j.code]) AS sub_codes,
    concepts(j.purposeOfEvent) || concepts(j.authorization) AS purposes,
    list_filter(coalesce(j.entity, []), lambda e: e IS NOT NULL) AS entities,
    list_filter(coalesce(j.agent, []), lambda a: a IS NOT NULL) AS agents,
    CASE WHEN json_type(j.outcome) = 'OBJECT' THEN j.outcome->>'$.code.code' ELSE j.outcome->>'$' END AS outcome_code
  FROM parsed
), picked AS (
  SELECT *, type_codes || sub_codes AS all_codes,
    list_filter(entities, lambda e: is_patient_entity(e)) AS patient_entities,
    coalesce(list_filter(agents, lambda a: a.requestor->>'$' = 'true')[1], agents[1]) AS agent,
    list_filter(agents, lambda a: list_contains(concepts([a.type]), '{SOURCE_ROLE}'))[1] AS source_agent
  FROM coded
), patient AS (
  SELECT *,
    j.patient.reference IS NULL AND j.patient.identifier IS NULL AND len(patient_entities) > 0 AS from_entity
  FROM picked
), patient_ref AS (
  SELECT *,
    CASE WHEN from_entity THEN patient_entities[1].what.reference ELSE j.patient.reference END AS p_ref,
    CASE WHEN from_entity THEN patient_entities[1].what.identifier ELSE j.patient.identifier END AS p_ident,
    nullif(regexp_extract(
      CASE WHEN from_entity THEN patient_entities[1].what.reference ELSE j.patient.reference END,
      '{PATIENT_REFERENCE}', 1), '') AS p_ref_id,
    CASE WHEN agent.network.address IS NOT NULL THEN agent.network.address
         WHEN agent.networkString IS NOT NULL THEN agent.networkString
         ELSE coalesce(source_agent.network.address, source_agent.networkString) END AS address,
    CASE WHEN agent.network.address IS NOT NULL THEN agent.network.type
         WHEN agent.networkString IS NOT NULL THEN NULL
         ELSE source_agent.network.type END AS address_type
  FROM patient
), mapped AS (
  SELECT *,
    coalesce(p_ref_id, p_ident.value) AS patient_id,
    CASE WHEN p_ref_id IS NOT NULL THEN NULL
         WHEN p_ident.value IS NOT NULL THEN p_ident.system END AS patient_id_system,
    CASE
      WHEN list_contains(all_codes, '{EMERGENCY_OVERRIDE_STARTED}')
        OR (list_contains(all_codes, '{SECURITY_ALERT}') AND list_contains(purposes, '{EMERGENCY_TREATMENT}'))
        THEN 'break_glass'
      WHEN list_contains(all_codes, '{USER_AUTHENTICATION}') THEN
        CASE WHEN list_contains(all_codes, '{LOGIN}') THEN 'logon'
             WHEN list_contains(all_codes, '{LOGOUT}') THEN 'logoff' ELSE 'other' END
      WHEN list_contains(all_codes, '{EXPORT}') THEN 'export'
      WHEN j.action = 'C' THEN 'create'
      WHEN j.action = 'U' THEN 'update'
      WHEN j.action = 'D' THEN 'delete'
      WHEN j.action = 'R' THEN
        CASE WHEN list_has_any(sub_codes, {list(SEARCH_SUBTYPES)})
               OR len(list_filter(entities, lambda e: e.query IS NOT NULL)) > 0 THEN 'query' ELSE 'read' END
      ELSE coalesce(list_filter(list_transform(sub_codes, lambda c: rest_activity(c)), lambda a: a IS NOT NULL)[1],
                    'other')
    END AS activity,
    j.resourceType = 'AuditEvent'
      AND (j.action IS NULL OR j.action IN ('C', 'R', 'U', 'D', 'E'))
      AND (outcome_code IS NULL OR outcome_code IN ('0', '4', '8', '12'))
      AND j.recorded IS NOT NULL AND regexp_full_match(j.recorded, '{INSTANT}')
      AND (j.occurredDateTime IS NULL OR regexp_full_match(j.occurredDateTime, '{INSTANT}'))
      AND TRY_CAST(j.recorded AS TIMESTAMPTZ) {SQL_PYTHON_TIMES}
      AND (j.occurredDateTime IS NULL OR TRY_CAST(j.occurredDateTime AS TIMESTAMPTZ) {SQL_PYTHON_TIMES})
      AND len(agents) > 0 AND j.source.observer IS NOT NULL
      AND len(list_filter(agents, lambda a: coalesce(json_type(a.requestor), 'BOOLEAN') <> 'BOOLEAN')) = 0
      AND CASE WHEN j.code IS NOT NULL OR j.category IS NOT NULL OR j.patient IS NOT NULL
                 OR j.authorization IS NOT NULL OR j.occurredDateTime IS NOT NULL OR j.occurredPeriod IS NOT NULL
                 OR json_type(j.outcome) = 'OBJECT'
               THEN j.code IS NOT NULL ELSE j.type IS NOT NULL END AS ok
  FROM patient_ref
)
SELECT coalesce(ok, false) AS ok,
  coalesce(j.id, 'sha256:' || sha256(line)) AS event_uid,
  CASE WHEN ok THEN CAST(coalesce(j.occurredDateTime, j.recorded) AS TIMESTAMPTZ) END AS time,
  CASE WHEN list_contains(all_codes, '{USER_AUTHENTICATION}') THEN 'authentication'
       WHEN patient_id IS NOT NULL OR activity = 'break_glass' THEN 'record_access'
       ELSE 'api_activity' END AS event_class,
  activity,
  CASE WHEN outcome_code = '0' THEN 'success' WHEN outcome_code IN ('4', '8', '12') THEN 'failure'
       ELSE 'unknown' END AS outcome,
  coalesce(j.outcomeDesc, CASE WHEN json_type(j.outcome) = 'OBJECT' THEN j.outcome->>'$.detail[0].text' END)
    AS outcome_reason,
  coalesce(agent.who.identifier.value, agent.who.display, agent.altId, agent.name, agent.who.reference) AS user_name,
  CASE WHEN address_type = '1' THEN NULL ELSE address END AS src_ip,
  CASE WHEN address_type = '1' THEN address END AS src_host,
  coalesce(j.source.observer.display, j.source.observer.identifier.value) AS dst_service,
  patient_id, patient_id_system,
  -- The captured groups are never empty, so '' is regexp_extract's "no match".
  nullif(regexp_extract(entities[1].what.reference, '{REFERENCE_TYPE}', 1), '') AS resource_type,
  greatest(1, len(patient_entities))::INTEGER AS record_count,
  purposes[1] AS purpose_of_use,
  coalesce(sub_codes[1], type_codes[1]) AS action_name,
  line_no AS raw_offset
FROM mapped
"""  # noqa: S608
# Malformed JSON makes from_json fail the whole query; only a block that has such a line pays for the check.
_SQL_TRUSTING = _SQL.replace("PARSE", f"from_json(line, '{STRUCTURE}')")
_SQL_CHECKING = _SQL.replace("PARSE", f"CASE WHEN json_valid(line) THEN from_json(line, '{STRUCTURE}') END")


class FastNormalizer:
    """One DuckDB connection for a file's blocks of lines."""

    def __init__(self) -> None:
        self.connection = duckdb.connect()
        self.connection.execute("SET TimeZone = 'UTC'")
        for macro in MACROS:
            self.connection.execute(macro)

    def normalize(self, first: int, lines: pa.StringArray) -> tuple[pa.Table, list[int]]:
        """The events of the lines (numbered from `first`) that pass the SQL checks, in line order, and the numbers
        of those that do not."""
        numbers = pa.array(np.arange(first, first + len(lines), dtype=np.int64))
        input_lines = pa.table({"line_no": numbers, "line": lines})
        self.connection.register("input_lines", input_lines)
        try:
            try:
                result = self.connection.sql(_SQL_TRUSTING).to_arrow_table()
            except duckdb.Error:
                result = self.connection.sql(_SQL_CHECKING).to_arrow_table()
        finally:
            self.connection.unregister("input_lines")
        offsets = result.column("raw_offset")
        if len(offsets) > 1 and not pc.all(pc.greater(offsets[1:], offsets[:-1])).as_py():
            result = result.sort_by("raw_offset")
        ok = result.column("ok")
        if pc.all(ok).as_py():
            return with_events_schema(result.append_column("raw", lines)), []
        refused = result.filter(pc.invert(ok)).column("raw_offset").to_pylist()
        accepted = result.filter(ok)
        raw = pc.take(lines, pc.subtract(accepted.column("raw_offset"), first))
        return with_events_schema(accepted.append_column("raw", raw)), refused

    def close(self) -> None:
        self.connection.close()
