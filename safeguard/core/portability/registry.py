"""What an organization archive holds: the registry of models, the archive's names, and natural keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import UUID

from django.db import models, transaction

from safeguard.catalog.models import Requirement
from safeguard.core.models import (
    AuditEvent,
    Evidence,
    EvidenceLink,
    EvidenceVersion,
    FileImport,
    Membership,
    Obligation,
    ObligationCompletion,
    Organization,
    Signature,
    User,
)

FORMAT = "safeguard-organization-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
USERS_MEMBER = "data/users.jsonl"
ORGANIZATION_MEMBER = "data/organization.jsonl"
USER_FIELDS = ("public_id", "email", "first_name", "last_name", "password", "is_active", "date_joined")
ORGANIZATION_FIELDS = (
    "public_id",
    "slug",
    "name",
    "kind",
    "mfa_required",
    "is_clearinghouse",
    "is_group_health_plan",
    "created_at",
)
BATCH = 500


class PortabilityError(Exception):
    """The archive cannot be written or read; nothing was changed."""


AfterImport = Callable[[Organization, list[models.Model]], None]


@dataclass(frozen=True)
class Portable:
    model: type[models.Model]
    org_path: str  # lookup from the model to its organization, e.g. "evidence__organization"
    after_import: AfterImport | None = field(default=None, compare=False)
    omit: tuple[str, ...] = ()  # fields left out of the archive, e.g. a reference to a record that stays behind

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def member(self) -> str:
        return f"data/{self.label}.jsonl"

    def fields(self) -> list[models.Field[Any, Any]]:
        return [f for f in self.model._meta.concrete_fields if not f.primary_key and f.name not in self.omit]


_registry: list[Portable] = []


def register(
    model: type[models.Model], org_path: str, *, after_import: AfterImport | None = None, omit: tuple[str, ...] = ()
) -> None:
    """Include `model` in organization archives; its rows are those whose `org_path` is the organization. The
    fields named in `omit` are not written, and take their default when the archive is imported."""
    if any(entry.model is model for entry in _registry):
        raise ValueError(f"{model._meta.label} is already registered for export")
    if set(omit) - {f.name for f in model._meta.concrete_fields}:
        raise ValueError(f"{model._meta.label} has no field {sorted(omit)} to leave out")
    _registry.append(Portable(model, org_path, after_import, omit))


def registered() -> list[Portable]:
    return list(_registry)


# --- values ----------------------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    return value


def json_line(row: dict[str, Any]) -> bytes:
    return (json.dumps(row, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


class Keys:
    """Natural keys of the rows other rows refer to, in both directions, filled as models are written or read."""

    def __init__(self, organization: Organization) -> None:
        self.organization = organization
        self.by_pk: dict[str, dict[int, str]] = {}
        self.by_key: dict[str, dict[str, int]] = {}
        self.users: dict[int, str] = {}  # export: user pk → email
        self.user_pks: dict[str, int] = {}  # import: email → user pk
        self._citations: dict[int, str] | None = None
        self._requirements: dict[str, int] | None = None

    def user_email(self, pk: int) -> str:
        # Members are loaded up front; anyone else (an operator who acted on the organization) one by one.
        if pk not in self.users:
            self.users[pk] = User.objects.values_list("email", flat=True).get(pk=pk)
        return self.users[pk]

    def citation(self, pk: int) -> str:
        if self._citations is None:
            self._citations = dict(Requirement.objects.values_list("pk", "citation"))
        return self._citations[pk]

    def requirement_pk(self, citation: str) -> int:
        if self._requirements is None:
            self._requirements = dict(Requirement.objects.values_list("citation", "pk"))
        if citation not in self._requirements:
            raise PortabilityError(
                f"The catalog has no requirement {citation}: run `manage.py catalog_load` before importing."
            )
        return self._requirements[citation]


def referenced_labels() -> set[str]:
    labels = set()
    for entry in _registry:
        for f in entry.fields():
            target = f.related_model
            if f.is_relation and isinstance(target, type) and target not in (Organization, User, Requirement):
                labels.add(target._meta.label_lower)
    return labels


# --- the core's and the tracker's records ----------------------------------------------------------------------


def _resume_evaluations(organization: Organization, runs: list[models.Model]) -> None:
    """A run queued at export time has no task here yet: queue it. One that was running cannot resume."""
    from safeguard.tracker.models import EvaluationRun
    from safeguard.tracker.tasks import evaluate_organization

    queued = [run.pk for run in runs if getattr(run, "state", "") == EvaluationRun.State.QUEUED]
    running = [run.pk for run in runs if getattr(run, "state", "") == EvaluationRun.State.RUNNING]
    if running:
        EvaluationRun.objects.filter(pk__in=running).update(
            state=EvaluationRun.State.FAILED, error="Interrupted: the organization was exported while it ran."
        )
    for pk in queued:
        transaction.on_commit(partial(evaluate_organization.enqueue, pk))


def _register_builtins() -> None:
    from safeguard.tracker.models import AddressableDecision, Attestation, DailySnapshot, EvaluationRun, Verdict

    register(Membership, "organization")
    register(Evidence, "organization")
    register(EvidenceVersion, "evidence__organization")
    register(EvidenceLink, "evidence__organization")
    register(Signature, "organization")
    # Kept for provenance (who imported which file, its SHA-256, what it did); the uploaded file itself is not.
    register(FileImport, "organization")
    register(Obligation, "organization")
    register(ObligationCompletion, "obligation__organization")
    register(Attestation, "organization")
    register(AddressableDecision, "organization")
    register(Verdict, "organization")
    register(EvaluationRun, "organization", after_import=_resume_evaluations)
    register(DailySnapshot, "organization")
    register(AuditEvent, "organization")


_register_builtins()
