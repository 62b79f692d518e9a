"""Reading an organization's archive back: checked in full first, then written in one transaction."""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast
from uuid import UUID

from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor, audit_record, chain_head_adopt
from safeguard.core.models import Organization, User
from safeguard.core.portability.registry import (
    BATCH,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    ORGANIZATION_FIELDS,
    ORGANIZATION_MEMBER,
    USERS_MEMBER,
    Keys,
    PortabilityError,
    Portable,
    referenced_labels,
    registered,
)


@dataclass(frozen=True)
class ImportResult:
    organization: Organization
    counts: dict[str, int]
    exported_at: str


def _read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise PortabilityError(
            "The archive has no manifest.json: it is not a Safeguard organization archive."
        ) from None
    except ValueError as exc:
        raise PortabilityError(f"The archive's manifest.json is not valid JSON ({exc}).") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PortabilityError("The archive is not a Safeguard organization archive (unknown format).")
    version = manifest.get("format_version")
    if version != FORMAT_VERSION:
        raise PortabilityError(
            f"The archive uses format version {version!r}; this version of Safeguard reads version {FORMAT_VERSION}."
        )
    if not isinstance(manifest.get("files"), dict):
        raise PortabilityError("The archive's manifest lists no files.")
    return manifest


def _verify_members(archive: zipfile.ZipFile, manifest: dict[str, Any]) -> None:
    listed: dict[str, str] = manifest["files"]
    present = {name for name in archive.namelist() if name != MANIFEST}
    unlisted, missing = sorted(present - set(listed)), sorted(set(listed) - present)
    if unlisted:
        raise PortabilityError(f"The archive member {unlisted[0]} is not listed in the manifest.")
    if missing:
        raise PortabilityError(f"The archive lacks {missing[0]}, which its manifest lists.")
    known = {USERS_MEMBER, ORGANIZATION_MEMBER, *(entry.member for entry in registered())}
    for name in sorted(present):
        if name.startswith("data/") and name not in known:
            raise PortabilityError(f"The archive holds {name}, a kind of record this installation does not know.")
        digest = hashlib.sha256()
        with archive.open(name) as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != listed[name]:
            raise PortabilityError(f"The checksum of {name} does not match the manifest: the archive was altered.")


def _lines(archive: zipfile.ZipFile, name: str) -> Iterator[dict[str, Any]]:
    if name not in archive.namelist():
        return
    with archive.open(name) as stream:
        for number, line in enumerate(_text_lines(stream), start=1):
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise PortabilityError(f"{name} line {number} is not valid JSON ({exc}).") from exc
            if not isinstance(row, dict):
                raise PortabilityError(f"{name} line {number} is not a record.")
            yield row


def _text_lines(stream: IO[bytes]) -> Iterator[str]:
    for raw in stream:
        line = raw.decode("utf-8").strip()
        if line:
            yield line


class _Importer:
    def __init__(self, archive: zipfile.ZipFile, organization: Organization) -> None:
        self.archive = archive
        self.keys = Keys(organization)
        self.stored_files: list[tuple[models.FileField, str]] = []

    def users(self) -> int:
        count = 0
        for row in _lines(self.archive, USERS_MEMBER):
            email = str(row.get("email", "")).strip()
            if not email:
                raise PortabilityError(f"{USERS_MEMBER} holds a user without an email.")
            existing = User.objects.filter(email__iexact=email).first()
            if existing is not None:
                if str(existing.public_id) != str(row.get("public_id")):
                    raise PortabilityError(
                        f"An account {email} already exists here as a different person (another public id): "
                        "events it signed in the audit trail would no longer verify. Import into an installation "
                        "without this account."
                    )
                self.keys.user_pks[email.lower()] = existing.pk
                continue
            user = User(
                public_id=UUID(str(row["public_id"])),
                email=email,
                first_name=row.get("first_name", ""),
                last_name=row.get("last_name", ""),
                password=row.get("password") or "!",  # "!": no usable password
                is_active=bool(row.get("is_active", True)),
                date_joined=User._meta.get_field("date_joined").to_python(row.get("date_joined")) or timezone.now(),
            )
            user.save()
            self.keys.user_pks[email.lower()] = user.pk
            count += 1
        return count

    def model(self, entry: Portable, keep_keys: bool) -> int:
        names = {f.name: f for f in entry.fields()}
        count, batch = 0, []
        imported: list[models.Model] = []
        self._later: list[tuple[models.Model, models.Field[Any, Any], str]] = []
        for row in _lines(self.archive, entry.member):
            unknown = set(row) - set(names)
            if unknown:
                raise PortabilityError(f"{entry.member} has fields this installation does not know: {sorted(unknown)}.")
            instance = entry.model()
            # Files last: their storage path may depend on the row's other fields (evidence → organization).
            for f in sorted(names.values(), key=lambda f: isinstance(f, models.FileField)):
                self._set(instance, f, row, entry)
            batch.append(instance)
            if len(batch) >= BATCH:
                count += self._flush(entry, batch, keep_keys, imported)
                batch = []
        count += self._flush(entry, batch, keep_keys, imported)
        self._link_within(entry)
        if entry.after_import is not None:
            entry.after_import(self.keys.organization, imported)
        return count

    def _link_within(self, entry: Portable) -> None:
        """References to rows of the same model (a person's manager) are set once every row of it exists: the
        archive lists rows by age, and a manager may have been added after the people who report to them."""
        by_field: dict[str, list[models.Model]] = {}
        for instance, f, value in self._later:
            setattr(instance, f.attname, self._related_pk(entry.model, value, entry))
            by_field.setdefault(f.name, []).append(instance)
        for name, instances in by_field.items():
            entry.model._default_manager.bulk_update(instances, [name], batch_size=BATCH)
        self._later = []

    def _flush(self, entry: Portable, batch: list[models.Model], keep_keys: bool, imported: list[models.Model]) -> int:
        if not batch:
            return 0
        created = entry.model._default_manager.bulk_create(batch)
        if keep_keys:
            known = self.keys.by_key.setdefault(entry.label, {})
            for instance in created:
                if instance.pk is None:
                    raise PortabilityError(f"The database did not return keys for {entry.label}.")
                known[str(getattr(instance, "public_id"))] = instance.pk  # noqa: B009
        if entry.after_import is not None:
            imported.extend(created)
        return len(created)

    def _set(self, instance: models.Model, f: models.Field[Any, Any], row: dict[str, Any], entry: Portable) -> None:
        target = f.related_model
        if f.is_relation and target is Organization:
            setattr(instance, f.attname, self.keys.organization.pk)
            return
        if f.name not in row:
            return  # a field added after the export: its default applies
        value = row[f.name]
        if f.is_relation and target is entry.model and value is not None:
            self._later.append((instance, f, str(value)))
            return
        if f.is_relation and isinstance(target, type):
            setattr(instance, f.attname, None if value is None else self._related_pk(target, str(value), entry))
        elif isinstance(f, models.FileField):
            if value:
                self._restore_file(instance, f, str(value), entry)
        else:
            setattr(instance, f.attname, f.to_python(value))

    def _related_pk(self, target: type[models.Model], value: str, entry: Portable) -> int:
        if target is User:
            pk = self.keys.user_pks.get(value.lower())
            if pk is None:
                raise PortabilityError(f"{entry.member} names {value}, who is not in {USERS_MEMBER}.")
            return pk
        if target is Requirement:
            return self.keys.requirement_pk(value)
        pk = self.keys.by_key.get(target._meta.label_lower, {}).get(value)
        if pk is None:
            raise PortabilityError(f"{entry.member} refers to {target._meta.label_lower} {value}, not in the archive.")
        return pk

    def _restore_file(self, instance: models.Model, f: models.FileField, sha: str, entry: Portable) -> None:
        name = f"files/{sha}"
        try:
            content = self.archive.read(name)
        except KeyError:
            raise PortabilityError(f"{entry.member} refers to {name}, not in the archive.") from None
        if hashlib.sha256(content).hexdigest() != sha:
            raise PortabilityError(f"{name} does not match its SHA-256.")
        file = getattr(instance, f.name)
        file.save("upload", ContentFile(content), save=False)
        self.stored_files.append((f, file.name))

    def remove_stored_files(self) -> None:
        for f, name in self.stored_files:
            f.storage.delete(name)


def org_import(*, archive_path: Path, actor: Actor, slug: str | None = None) -> ImportResult:
    """Create the archived organization here, in one transaction: all of it or, on any refusal, nothing."""
    try:
        archive = zipfile.ZipFile(archive_path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise PortabilityError(f"Cannot open {archive_path} as a zip archive ({exc}).") from exc
    with archive:
        manifest = _read_manifest(archive)
        _verify_members(archive, manifest)
        org_rows = list(_lines(archive, ORGANIZATION_MEMBER))
        if len(org_rows) != 1:
            raise PortabilityError(f"{ORGANIZATION_MEMBER} must hold exactly one organization.")
        org_row = org_rows[0]
        new_slug = slug or str(org_row.get("slug", ""))
        _check_target(new_slug, str(org_row.get("public_id", "")))
        importer: _Importer | None = None
        try:
            with transaction.atomic():
                organization = Organization(**_organization_values(org_row))
                organization.slug = new_slug
                importer = _Importer(archive, organization)
                counts = {"users": importer.users()}
                organization.save()
                referenced = referenced_labels()
                for entry in registered():
                    counts[entry.label] = importer.model(entry, entry.label in referenced)
                counts["files"] = len(importer.stored_files)
                chain_head_adopt(organization)
                changes: dict[str, Any] = {
                    "exported_at": [None, manifest.get("exported_at")],
                    "rows": [None, sum(n for k, n in counts.items() if k != "files")],
                }
                if new_slug != org_row.get("slug"):
                    changes["slug"] = [org_row.get("slug"), new_slug]
                audit_record(
                    actor=actor,
                    action="organization.imported",
                    organization=organization,
                    target=organization,
                    changes=changes,
                )
        except IntegrityError as exc:
            if importer is not None:
                importer.remove_stored_files()
            raise PortabilityError(f"The archive's records conflict with records already here ({exc}).") from exc
        except BaseException:
            if importer is not None:
                importer.remove_stored_files()
            raise
    return ImportResult(organization, counts, str(manifest.get("exported_at", "")))


def _organization_values(row: dict[str, Any]) -> dict[str, Any]:
    values = {}
    for name in ORGANIZATION_FIELDS:
        if name in row:
            values[name] = cast(models.Field[Any, Any], Organization._meta.get_field(name)).to_python(row[name])
    return values


def _check_target(slug: str, public_id: str) -> None:
    if not slug or slugify(slug) != slug:
        raise PortabilityError(f"{slug!r} is not a valid slug: use lowercase letters, digits and hyphens.")
    if Organization.objects.filter(slug=slug).exists():
        raise PortabilityError(
            f"An organization with the slug {slug!r} already exists here; nothing was imported "
            "(choose another slug with --slug)."
        )
    existing = Organization.objects.filter(public_id=public_id).first() if public_id else None
    if existing is not None:
        raise PortabilityError(
            f"This organization already exists here as {existing.slug!r} (same public id): an archive imports "
            "once per installation, so that its audit chain keeps verifying."
        )
