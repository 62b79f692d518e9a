"""Portable archives of one organization: export it to a zip file, import it into another installation.

Archive layout (format version 1):

    manifest.json              format, format_version, exported_at, organization, counts, sha256 of every member
    data/users.jsonl           the people the rows name: email, names, password hash, is_active (no MFA secrets:
                               people enrol their authenticator app again after an import)
    data/organization.jsonl    the organization itself
    data/<app.model>.jsonl     one JSON object per line for each registered model, in primary-key order
    files/<sha256>             stored files (evidence versions), named by the SHA-256 of their content

Rows name each other by public ids and natural keys (users by email, catalog requirements by citation), never by
integer keys, so an archive imports into a database whose keys differ. Public ids and audit hashes are kept, so
the audit chain verifies after an import; for the same reason an organization imports once per installation.

Domain apps add their models with `register(Model, "path__to__organization")` from their AppConfig.ready(),
after the models they refer to. A model referred to by another must have a `public_id`.
"""

from safeguard.core.portability.exporting import ExportResult, org_export
from safeguard.core.portability.importing import ImportResult, org_import
from safeguard.core.portability.registry import FORMAT_VERSION, PortabilityError, Portable, register, registered

__all__ = [
    "FORMAT_VERSION",
    "ExportResult",
    "ImportResult",
    "Portable",
    "PortabilityError",
    "org_export",
    "org_import",
    "register",
    "registered",
]
