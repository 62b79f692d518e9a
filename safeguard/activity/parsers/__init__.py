"""Parsers by source format: `parser_for(format)` returns the one for a LogSource.format."""

from __future__ import annotations

from importlib import import_module

from safeguard.activity.parsers.base import Parser

# format → "module:class"; modules are imported on first use (fhir.resources is slow to import).
PARSERS = {
    "fhir_audit": "safeguard.activity.parsers.fhir:FhirAuditParser",
    "ehr_csv": "safeguard.activity.parsers.ehr_csv:EhrCsvParser",
    "normalized": "safeguard.activity.parsers.normalized:NormalizedParser",
    "syslog": "safeguard.activity.parsers.syslog:SyslogParser",
    "okta": "safeguard.activity.parsers.okta:OktaParser",
    "entra": "safeguard.activity.parsers.entra:EntraParser",
    "cloudtrail": "safeguard.activity.parsers.cloudtrail:CloudTrailParser",
}


def parser_for(format_name: str) -> Parser:
    try:
        target = PARSERS[format_name]
    except KeyError:
        raise ValueError(f"No parser for the format {format_name!r}.") from None
    module_name, class_name = target.split(":")
    parser: Parser = getattr(import_module(module_name), class_name)()
    return parser
