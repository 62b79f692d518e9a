"""Reads of the training records that pages, services, checks and the API share."""

from __future__ import annotations

from django.db.models import QuerySet

from safeguard.core.models import Organization, User
from safeguard.training.models import TrainingSettings
from safeguard.workforce.models import Person


def training_settings(organization: Organization) -> TrainingSettings:
    found = TrainingSettings.objects.filter(organization=organization).first()
    return found or TrainingSettings(organization=organization)


def active_people(organization: Organization) -> QuerySet[Person]:
    """The active workforce: people on the roster whose status is active (not on leave, not terminated)."""
    return Person.objects.filter(organization=organization, status=Person.Status.ACTIVE, scim_deleted=False)


def person_for_user(organization: Organization, user: User) -> Person | None:
    """The roster person a signed-in member is (same email, case-insensitive); terminated people are not."""
    if not user.email:
        return None
    return (
        Person.objects.filter(organization=organization, email__iexact=user.email, scim_deleted=False)
        .exclude(status=Person.Status.TERMINATED)
        .order_by("pk")
        .first()
    )
