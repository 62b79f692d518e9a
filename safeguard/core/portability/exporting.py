"""Writing an organization's archive: every registered model's rows, the users they name, the stored files."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization, User
from safeguard.core.portability.registry import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    ORGANIZATION_FIELDS,
    ORGANIZATION_MEMBER,
    USER_FIELDS,
    USERS_MEMBER,
    Keys,
    PortabilityError,
    Portable,
    json_line,
    plain,
    referenced_labels,
    registered,
)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    counts: dict[str, int]
    sha256: str


class _ArchiveWriter:
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.checksums: dict[str, str] = {}

    def write_lines(self, name: str, rows: Iterator[dict[str, Any]]) -> int:
        # Spooled first: producing the rows may add files to the archive, which cannot take two open members.
        digest, count = hashlib.sha256(), 0
        with tempfile.SpooledTemporaryFile(max_size=8 << 20) as spool:
            for row in rows:
                line = json_line(row)
                digest.update(line)
                spool.write(line)
                count += 1
            spool.seek(0)
            with self.archive.open(name, "w") as stream:
                shutil.copyfileobj(spool, stream)
        self.checksums[name] = digest.hexdigest()
        return count

    def write_file(self, content: bytes) -> str:
        sha = hashlib.sha256(content).hexdigest()
        name = f"files/{sha}"
        if name not in self.checksums:
            self.archive.writestr(name, content)
            self.checksums[name] = sha
        return sha


def _export_value(f: models.Field[Any, Any], raw: Any, keys: Keys, writer: _ArchiveWriter, where: str) -> Any:
    target = f.related_model
    if f.is_relation and isinstance(target, type):
        if raw is None:
            return None
        if target is User:
            return keys.user_email(raw)
        if target is Requirement:
            return keys.citation(raw)
        known = keys.by_pk.get(target._meta.label_lower, {})
        if raw not in known:
            raise PortabilityError(f"{where} refers to a {target._meta.label_lower} outside this organization.")
        return known[raw]
    if isinstance(f, models.FileField):
        if not raw:
            return None
        try:
            with f.storage.open(raw, "rb") as stored:
                content = stored.read()
        except OSError as exc:
            raise PortabilityError(f"{where}: its file cannot be read ({exc}).") from exc
        return writer.write_file(content)
    return plain(raw)


def _check_file_hashes(entry: Portable, row: dict[str, Any], where: str) -> None:
    recorded = row.get("sha256")
    files = [f.name for f in entry.fields() if isinstance(f, models.FileField)]
    for name in files:
        if recorded and row.get(name) and row[name] != recorded:
            raise PortabilityError(f"{where}: its stored file does not match its recorded SHA-256; export refused.")


def _export_rows(entry: Portable, keys: Keys, writer: _ArchiveWriter, keep_keys: bool) -> Iterator[dict[str, Any]]:
    fields = entry.fields()
    has_public_id = any(f.name == "public_id" for f in fields)
    attnames = ["pk", *(f.attname for f in fields)]
    rows = entry.model._default_manager.filter(**{entry.org_path: keys.organization}).order_by("pk")
    known = keys.by_pk.setdefault(entry.label, {})
    if has_public_id and any(f.is_relation and f.related_model is entry.model for f in fields):
        # A row may name a later row of its own model (a person's manager): know them all before writing any.
        known.update((pk, str(public_id)) for pk, public_id in rows.values_list("pk", "public_id").iterator())
    for raw in rows.values(*attnames).iterator(chunk_size=2000):
        where = f"{entry.label} {raw.get('public_id') or raw['pk']}"
        row = {}
        for f in fields:
            if f.is_relation and f.related_model is Organization:
                continue
            row[f.name] = _export_value(f, raw[f.attname], keys, writer, where)
        _check_file_hashes(entry, row, where)
        if keep_keys and has_public_id:
            known[raw["pk"]] = str(raw["public_id"])
        yield row


def _repeatable_read(outermost: bool) -> None:
    # One consistent picture of the organization while its tables are read one after another. (SQLite's
    # transaction already reads one snapshot; PostgreSQL needs asking, before the transaction's first query.)
    if outermost and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def org_export(*, organization: Organization, actor: Actor, output: Path) -> ExportResult:
    """Write the organization's archive to `output` (which must not exist yet) and audit the export."""
    if output.exists():
        raise PortabilityError(f"{output} already exists; choose another file name.")
    if not output.parent.is_dir():
        raise PortabilityError(f"The folder {output.parent} does not exist.")
    handle, temporary = tempfile.mkstemp(prefix=".export-", suffix=".zip", dir=output.parent)
    os.close(handle)
    try:
        counts = _write_archive(organization, Path(temporary))
        os.chmod(temporary, 0o600)  # password hashes and evidence: readable by the operator only
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    sha = _file_sha256(output)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="organization.exported",
            organization=organization,
            target=organization,
            changes={"archive_sha256": [None, sha], "rows": [None, sum(counts.values())]},
        )
    return ExportResult(output, counts, sha)


def _write_archive(organization: Organization, path: Path) -> dict[str, int]:
    referenced = referenced_labels()
    counts: dict[str, int] = {}
    outermost = not connection.in_atomic_block
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive, transaction.atomic():
        _repeatable_read(outermost)
        organization = Organization.objects.get(pk=organization.pk)
        keys = Keys(organization)
        keys.users.update(
            User.objects.filter(memberships__organization=organization).values_list("pk", "email").distinct()
        )
        writer = _ArchiveWriter(archive)
        row = {name: plain(getattr(organization, name)) for name in ORGANIZATION_FIELDS}
        counts["organization"] = writer.write_lines(ORGANIZATION_MEMBER, iter([row]))
        for entry in registered():
            counts[entry.label] = writer.write_lines(
                entry.member, _export_rows(entry, keys, writer, entry.label in referenced)
            )
        users = User.objects.filter(pk__in=list(keys.users)).order_by("email")
        counts["users"] = writer.write_lines(
            USERS_MEMBER, ({name: plain(getattr(u, name)) for name in USER_FIELDS} for u in users)
        )
        counts["files"] = sum(1 for name in writer.checksums if name.startswith("files/"))
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "exported_at": timezone.now().isoformat(),
            "organization": organization.slug,
            "counts": counts,
            "files": writer.checksums,
            "note": "Users' MFA devices are not exported: members enrol their authenticator app again after import.",
        }
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
    return counts


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
