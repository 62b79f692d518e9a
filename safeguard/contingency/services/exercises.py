"""Contingency plan exercises (testing and revision, 164.308(a)(7)(ii)(D)): recording one, its timeline, and
removing one recorded by mistake.

The timeline is kept sorted by time; each entry carries a short id so one can be removed without relying on its
position, which shifts when an earlier entry is added."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.contingency.models import ContingencyPlan, Exercise
from safeguard.core.audit import Actor, audit_record, field_changes, jsonable, snapshot
from safeguard.core.dates import date_range
from safeguard.core.models import Membership, Organization, User
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.risk.models import Asset

FIELDS = (
    "kind",
    "title",
    "scenario",
    "held_on",
    "facilitator",
    "other_participants",
    "outcomes",
    "lessons_learned",
    "completed",
)
RELATIONS = ("participants", "plans", "assets")
TITLE_MAX = 200
ENTRY_MAX = 1000
# An exercise is planned at most this far ahead; a later date is a typing mistake.
YEARS_AHEAD = 2


def _check_values(values: dict[str, Any], today: date) -> None:
    if values["kind"] not in Exercise.Kind.values:
        raise ServiceError(f"Choose a kind: {', '.join(Exercise.Kind.values)}.", field="kind")
    title = str(values["title"]).strip()
    if not title:
        raise ServiceError("Give the exercise a title, e.g. “Ransomware on the EHR”.", field="title")
    if len(title) > TITLE_MAX:
        raise ServiceError(f"A title has at most {TITLE_MAX} characters.", field="title")
    if not str(values["scenario"]).strip():
        raise ServiceError("Describe the scenario the exercise plays through.", field="scenario")
    allowed = date_range(today, years_ahead=YEARS_AHEAD)
    if values["held_on"] not in allowed:
        raise ServiceError(f"The exercise date must be {allowed.describe()}.", field="held_on")
    if values["completed"]:
        if values["held_on"] > today:
            raise ServiceError("An exercise dated in the future cannot be completed yet.", field="completed")
        if not str(values["outcomes"]).strip():
            raise ServiceError("Write the outcomes before marking the exercise completed.", field="outcomes")


def _check_members(organization: Organization, users: Iterable[User], field: str) -> None:
    """Past exercises keep people who have left since, so any membership counts, current or not."""
    wanted = {user.pk for user in users}
    found = set(
        Membership.objects.filter(organization=organization, user_id__in=wanted).values_list("user_id", flat=True)
    )
    if wanted - found:
        raise ServiceError("Choose people who are members of this organization.", field=field)


def _check_owned(organization: Organization, records: Iterable[Asset | ContingencyPlan], field: str) -> None:
    if any(record.organization_id != organization.pk for record in records):
        raise ServiceError("Choose records of this organization.", field=field)


def _check_relations(organization: Organization, values: dict[str, Any], relations: dict[str, list[Any]]) -> None:
    if values.get("facilitator") is not None:
        _check_members(organization, [values["facilitator"]], "facilitator")
    if "participants" in relations:
        _check_members(organization, relations["participants"], "participants")
    for name in ("plans", "assets"):
        if name in relations:
            _check_owned(organization, relations[name], name)


def _relation_ids(exercise: Exercise, name: str) -> list[str]:
    if name == "participants":
        return sorted(user.email for user in exercise.participants.all())
    return sorted(str(record.public_id) for record in getattr(exercise, name).all())


def exercise_create(
    *,
    organization: Organization,
    actor: Actor,
    kind: str,
    title: str,
    scenario: str,
    held_on: date,
    facilitator: User | None = None,
    participants: Iterable[User] = (),
    other_participants: str = "",
    plans: Iterable[ContingencyPlan] = (),
    assets: Iterable[Asset] = (),
    outcomes: str = "",
    lessons_learned: str = "",
    completed: bool = False,
    today: date | None = None,
) -> Exercise:
    if actor.user is None:
        raise ServiceError("An exercise is recorded by a person.")
    today = today or timezone.localdate()
    values: dict[str, Any] = {
        "kind": kind,
        "title": title.strip(),
        "scenario": scenario.strip(),
        "held_on": held_on,
        "facilitator": facilitator,
        "other_participants": other_participants.strip(),
        "outcomes": outcomes.strip(),
        "lessons_learned": lessons_learned.strip(),
        "completed": completed,
    }
    relations: dict[str, list[Any]] = {
        "participants": list(participants),
        "plans": list(plans),
        "assets": list(assets),
    }
    _check_values(values, today)
    _check_relations(organization, values, relations)
    with transaction.atomic():
        exercise = Exercise.objects.create(organization=organization, recorded_by=actor.user, **values)
        for name, records in relations.items():
            getattr(exercise, name).set(records)
        changes = {name: [None, value] for name, value in jsonable(values).items()}
        changes |= {name: [None, _relation_ids(exercise, name)] for name in RELATIONS}
        audit_record(
            actor=actor,
            action="contingency.exercise.created",
            organization=organization,
            target=exercise,
            changes=changes,
        )
        request_evaluation_on_commit(organization, "contingency.exercise.created")
    return exercise


def exercise_update(
    *,
    organization: Organization,
    actor: Actor,
    exercise: Exercise,
    today: date | None = None,
    **values: Any,
) -> Exercise:
    """Change any of FIELDS and RELATIONS; the ones not given stay as they are."""
    unknown = set(values) - set(FIELDS) - set(RELATIONS)
    if unknown:
        raise ServiceError(f"These cannot be changed: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    today = today or timezone.localdate()
    relations = {name: list(values.pop(name)) for name in RELATIONS if name in values}
    with transaction.atomic():
        locked = Exercise.objects.select_for_update().get(pk=exercise.pk, organization=organization)
        before = snapshot(locked, FIELDS)
        merged = before | {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}
        _check_values(merged, today)
        _check_relations(organization, {"facilitator": values.get("facilitator")}, relations)
        changes = field_changes(before, merged)
        for name, records in relations.items():
            old = _relation_ids(locked, name)
            getattr(locked, name).set(records)
            new = _relation_ids(locked, name)
            if old != new:
                changes[name] = [old, new]
        if not changes:
            return locked
        for name in FIELDS:
            setattr(locked, name, merged[name])
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action="contingency.exercise.updated",
            organization=organization,
            target=locked,
            changes=changes,
        )
        request_evaluation_on_commit(organization, "contingency.exercise.updated")
    return locked


def exercise_delete(*, organization: Organization, actor: Actor, exercise: Exercise) -> None:
    """Only an exercise nothing points at: corrective actions and plan revisions are the record of its findings."""
    with transaction.atomic():
        locked = Exercise.objects.select_for_update().get(pk=exercise.pk, organization=organization)
        if locked.actions.exists() or locked.plan_revisions.exists():
            raise ServiceError(
                "Corrective actions or plan revisions cite this exercise: it stays as their record.", field="exercise"
            )
        audit_record(
            actor=actor,
            action="contingency.exercise.deleted",
            organization=organization,
            target=locked,
            changes={"title": [locked.title, None], "held_on": [jsonable(locked.held_on), None]},
        )
        locked.participants.clear()
        locked.plans.clear()
        locked.assets.clear()
        locked.delete()
        request_evaluation_on_commit(organization, "contingency.exercise.deleted")


def _sorted(timeline: list[dict[str, str]]) -> list[dict[str, str]]:
    # Stable: entries at the same moment keep the order they were written in.
    return sorted(timeline, key=lambda item: datetime.fromisoformat(item["at"]))


def exercise_timeline_add(
    *, organization: Organization, actor: Actor, exercise: Exercise, at: datetime, entry: str
) -> dict[str, str]:
    """Add what happened at `at`; the entry goes in its place in time. Returns the stored entry."""
    text = entry.strip()
    if not text:
        raise ServiceError("Write what happened.", field="entry")
    if len(text) > ENTRY_MAX:
        raise ServiceError(f"An entry has at most {ENTRY_MAX} characters.", field="entry")
    if timezone.is_naive(at):
        raise ServiceError("Give the time with its time zone.", field="at")
    item = {"id": uuid.uuid4().hex[:12], "at": jsonable(at), "entry": text}
    with transaction.atomic():
        locked = Exercise.objects.select_for_update().get(pk=exercise.pk, organization=organization)
        locked.timeline = _sorted([*locked.timeline, item])
        locked.updated_at = timezone.now()
        locked.save(update_fields=["timeline", "updated_at"])
        audit_record(
            actor=actor,
            action="contingency.exercise.timeline_added",
            organization=organization,
            target=locked,
            changes={"timeline": [None, item]},
        )
    exercise.timeline = locked.timeline
    return item


def exercise_timeline_remove(*, organization: Organization, actor: Actor, exercise: Exercise, entry_id: str) -> None:
    with transaction.atomic():
        locked = Exercise.objects.select_for_update().get(pk=exercise.pk, organization=organization)
        found = next((item for item in locked.timeline if item.get("id") == entry_id), None)
        if found is None:
            raise ServiceError("No such timeline entry.", field="entry_id")
        locked.timeline = [item for item in locked.timeline if item is not found]
        locked.updated_at = timezone.now()
        locked.save(update_fields=["timeline", "updated_at"])
        audit_record(
            actor=actor,
            action="contingency.exercise.timeline_removed",
            organization=organization,
            target=locked,
            changes={"timeline": [found, None]},
        )
    exercise.timeline = locked.timeline
