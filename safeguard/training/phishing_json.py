"""GoPhish's JSON answer for one campaign (GET /api/campaigns/{id}/results, or the full campaign object) as a table
the pipeline checks like a CSV file: a row per result and per timeline item, each saying which item it is
("timeline[12]", counted from 0 as in the file) so errors can name it.
"""

from __future__ import annotations

import json
from typing import Any

from safeguard.core import tabular

JSON_HEADERS = [
    "item",
    "campaign_id",
    "campaign_name",
    "email",
    "first_name",
    "last_name",
    "position",
    "rid",
    "status",
    "reported",
    "send_date",
    "time",
    "message",
    "problem",
]
RESULT_KEYS = {
    "email": "email",
    "first_name": "first_name",
    "last_name": "last_name",
    "position": "position",
    "rid": "id",
    "status": "status",
    "reported": "reported",
    "send_date": "send_date",
}
EVENT_KEYS = {"email": "email", "time": "time", "message": "message"}


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)[:200]


def _campaign(payload: object) -> dict[str, Any]:
    if isinstance(payload, list):
        if len(payload) == 1 and isinstance(payload[0], dict):
            payload = payload[0]
        else:
            raise tabular.TabularError(
                f"The file holds a list of {len(payload)} items, not one campaign: export one campaign's results "
                "(GET /api/campaigns/{id}/results) per file."
            )
    if not isinstance(payload, dict):
        raise tabular.TabularError("The file is not a GoPhish campaign: it must be a JSON object.")
    if "results" not in payload and "timeline" not in payload:
        raise tabular.TabularError(
            "The file is not a GoPhish campaign: it has neither “results” nor “timeline” (export GET "
            "/api/campaigns/{id}/results)."
        )
    for key in ("results", "timeline"):
        if payload.get(key) is not None and not isinstance(payload[key], list):
            raise tabular.TabularError(f"The campaign's “{key}” must be a list.")
    return payload


def json_campaign(data: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise tabular.TabularError("The file is not UTF-8 text.") from None
    except json.JSONDecodeError as error:
        raise tabular.TabularError(
            f"The file is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    return _campaign(payload)


def json_table(data: bytes, *, max_rows: int) -> tabular.Table:
    """The campaign's results and timeline as one table, a row per item (each says which item it is, e.g.
    "timeline[12]", counted from 0 as in the file). Items are released as they are read, to keep memory down."""
    campaign = json_campaign(data)
    del data
    results, timeline = campaign.get("results") or [], campaign.get("timeline") or []
    if len(results) + len(timeline) > max_rows:
        raise tabular.TabularError(
            f"The file has more than {max_rows:,} results and timeline items: split it into smaller files."
        )
    campaign_id, name = _text(campaign.get("id")), _text(campaign.get("name"))
    rows: list[tabular.Row] = []
    for array, keys in (("results", RESULT_KEYS), ("timeline", EVENT_KEYS)):
        items = results if array == "results" else timeline
        for index in range(len(items)):
            item, items[index] = items[index], None
            cells = dict.fromkeys(JSON_HEADERS, "")
            cells.update(item=f"{array}[{index}]", campaign_id=campaign_id, campaign_name=name)
            if isinstance(item, dict):
                for header, key in keys.items():
                    cells[header] = _text(item.get(key))
            else:
                cells["problem"] = "is not an object"
            rows.append(tabular.Row(len(rows) + 1, [cells[header] for header in JSON_HEADERS]))
    return tabular.Table(list(JSON_HEADERS), rows)


def item_words(item: str) -> str:
    """ "timeline[12]" → "timeline item 12"."""
    array, _, rest = item.partition("[")
    return f"{array} item {rest.rstrip(']')}" if rest else item
