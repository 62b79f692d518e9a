"""Validating an AuditEvent against the FHIR model of its version (fhir.resources: R5 is the package's default,
R4 is read with the R4B models, whose AuditEvent is R4's). About 10k records/s, hence the SQL fast path."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from safeguard.activity.parsers.fhir_mapping import check_codes, is_r5

MESSAGES_PER_REJECT = 3


def record_problem(record: Any) -> tuple[str, str] | None:
    """(field, reason) for the first reasons a decoded record cannot be an event; None when it is valid."""
    if not isinstance(record, dict):
        return "", f"is a JSON {type(record).__name__}, not an AuditEvent object"
    problem = check_codes(record)
    if problem is not None:
        return problem
    model = _model(r5=is_r5(record))
    try:
        model.model_validate(record)
    except ValidationError as error:
        return _describe(error)
    return None


def element_path(location: tuple[int | str, ...]) -> str:
    """pydantic's ('agent', 0, 'who') as FHIRPath-like 'agent[0].who'."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _describe(error: ValidationError) -> tuple[str, str]:
    errors = error.errors()
    messages = [f"{element_path(item['loc']) or 'resource'}: {item['msg']}" for item in errors[:MESSAGES_PER_REJECT]]
    if len(errors) > MESSAGES_PER_REJECT:
        messages.append(f"and {len(errors) - MESSAGES_PER_REJECT} more")
    return element_path(errors[0]["loc"]), "; ".join(messages)


def _model(*, r5: bool) -> Any:
    # Imported here: the models take a while to import and only FHIR sources need them.
    if r5:
        from fhir.resources.auditevent import AuditEvent as R5AuditEvent

        return R5AuditEvent
    from fhir.resources.R4B.auditevent import AuditEvent as R4AuditEvent

    return R4AuditEvent
