"""Reads of exercises shared by the pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, QuerySet

from safeguard.contingency.models import CorrectiveAction, Exercise, PlanVersion
from safeguard.core.models import Organization


@dataclass(frozen=True)
class TimelineEntry:
    id: str
    at: datetime
    entry: str


def exercises(organization: Organization) -> QuerySet[Exercise]:
    return (
        Exercise.objects.filter(organization=organization)
        .select_related("facilitator", "recorded_by")
        .annotate(action_count=Count("actions", distinct=True))
        .order_by("-held_on", "-pk")
    )


def exercise_with_relations(exercise: Exercise) -> Exercise:
    """The exercise with its people, plans and assets loaded, for a page or a serializer."""
    return (
        Exercise.objects.select_related("facilitator", "recorded_by")
        .prefetch_related("participants", "plans", "assets")
        .get(pk=exercise.pk)
    )


def timeline(exercise: Exercise) -> list[TimelineEntry]:
    return [
        TimelineEntry(id=str(item.get("id", "")), at=datetime.fromisoformat(item["at"]), entry=item["entry"])
        for item in exercise.timeline
    ]


def exercise_actions(exercise: Exercise) -> QuerySet[CorrectiveAction]:
    return CorrectiveAction.objects.filter(exercise=exercise).select_related("owner").order_by("due_on", "pk")


def plan_revisions(exercise: Exercise) -> QuerySet[PlanVersion]:
    """Plan versions whose revision this exercise caused."""
    return PlanVersion.objects.filter(caused_by_exercise=exercise).select_related("plan").order_by("plan", "number")
