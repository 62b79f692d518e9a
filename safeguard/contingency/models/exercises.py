"""Contingency plan exercises (testing, 164.308(a)(7)(ii)(D)): tabletop and live exercises with what happened
and what was learned. Corrective actions and plan revisions point back at the exercise that caused them.
timeline: [{"at", "entry"}] in the order it happened."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Exercise(models.Model):
    class Kind(models.TextChoices):
        TABLETOP = "tabletop", "Tabletop"
        WALKTHROUGH = "walkthrough", "Walkthrough"
        FUNCTIONAL = "functional", "Functional (live, part of the plan)"
        FULL_SCALE = "full_scale", "Full-scale (live)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200)
    scenario = models.TextField()
    held_on = models.DateField()
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    other_participants = models.TextField(blank=True, help_text="Vendors, business associates, others.")
    plans = models.ManyToManyField("contingency.ContingencyPlan", blank=True, related_name="exercises")
    assets = models.ManyToManyField("risk.Asset", blank=True, related_name="+")
    timeline = models.JSONField(default=list)
    outcomes = models.TextField(blank=True)
    lessons_learned = models.TextField(blank=True)
    completed = models.BooleanField(default=False, help_text="Held and written up; planned exercises are not.")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["organization", "-held_on"], name="exercise_org_held")]

    def __str__(self) -> str:
        return self.title
