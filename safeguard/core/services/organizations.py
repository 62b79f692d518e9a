"""Organizations and memberships."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation

SETTINGS_FIELDS = ("name", "kind", "mfa_required", "is_clearinghouse", "is_group_health_plan")


def org_create(
    *, actor: Actor, slug: str, name: str, owner: User, kind: str = Organization.Kind.COVERED_ENTITY
) -> Organization:
    if not name.strip():
        raise ServiceError("Give the organization a name.", field="name")
    if slugify(slug) != slug or not slug:
        raise ServiceError("The slug may hold only lowercase letters, digits and hyphens.", field="slug")
    if kind not in Organization.Kind.values:
        raise ServiceError(f"Kind must be one of: {', '.join(Organization.Kind.values)}.", field="kind")
    try:
        with transaction.atomic():
            organization = Organization.objects.create(slug=slug, name=name.strip(), kind=kind)
            membership = Membership.objects.create(organization=organization, user=owner, role=Role.OWNER)
            audit_record(
                actor=actor,
                action="organization.created",
                organization=organization,
                target=organization,
                changes={"slug": [None, slug], "name": [None, organization.name], "kind": [None, kind]},
            )
            audit_record(
                actor=actor,
                action="membership.added",
                organization=organization,
                target=membership,
                changes={"user": [None, owner.email], "role": [None, Role.OWNER]},
            )
    except IntegrityError:
        raise ServiceError(f"An organization with the slug {slug!r} already exists.", field="slug") from None
    return organization


def org_update_settings(*, organization: Organization, actor: Actor, **values: object) -> Organization:
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    if "kind" in values and values["kind"] not in Organization.Kind.values:
        raise ServiceError(f"Kind must be one of: {', '.join(Organization.Kind.values)}.", field="kind")
    with transaction.atomic():
        locked = Organization.objects.select_for_update().get(pk=organization.pk)
        before = snapshot(locked, SETTINGS_FIELDS)
        for field, value in values.items():
            setattr(locked, field, value)
        changes = field_changes(before, snapshot(locked, SETTINGS_FIELDS))
        if changes:
            locked.save(update_fields=list(changes))
            audit_record(
                actor=actor, action="organization.settings_changed", organization=locked, target=locked, changes=changes
            )
            request_evaluation(locked, "organization settings changed")
    return locked


def _validate_role(role: str, access_ends_on: date | None) -> None:
    if role not in Role.values:
        raise ServiceError(f"Role must be one of: {', '.join(Role.values)}.", field="role")
    if role == Role.AUDITOR and access_ends_on is None:
        raise ServiceError("An auditor's access needs an end date.", field="access_ends_on")
    if role == Role.OWNER and access_ends_on is not None:
        # An end date would let the last owner lapse silently, leaving nobody who can manage the organization.
        raise ServiceError("An owner's access cannot end; make someone else owner first.", field="access_ends_on")


def membership_add(
    *,
    organization: Organization,
    actor: Actor,
    email: str,
    role: str,
    access_ends_on: date | None = None,
    first_name: str = "",
    last_name: str = "",
) -> Membership:
    """Add a person by email, creating their account (with no usable password) when they have none.

    A person whose membership was deactivated gets it back, with the new role and end date.
    """
    _validate_role(role, access_ends_on)
    email = User.objects.normalize_email(email.strip()).lower()
    if "@" not in email:
        raise ServiceError("Enter a valid email address.", field="email")
    with transaction.atomic():
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=None, first_name=first_name, last_name=last_name)
        existing = Membership.objects.select_for_update().filter(organization=organization, user=user).first()
        if existing is not None:
            if existing.is_active:
                raise ServiceError(_already_a_member(email, organization, existing), field="email")
            return _membership_reactivate(organization, actor, existing, role=role, access_ends_on=access_ends_on)
        membership = Membership.objects.create(
            organization=organization, user=user, role=role, access_ends_on=access_ends_on
        )
        audit_record(
            actor=actor,
            action="membership.added",
            organization=organization,
            target=membership,
            changes={"user": [None, email], "role": [None, role], "access_ends_on": [None, access_ends_on]},
        )
        request_evaluation(organization, "membership added")
    return membership


REACTIVATED_FIELDS = ("is_active", "role", "access_ends_on")


def _already_a_member(email: str, organization: Organization, membership: Membership) -> str:
    if membership.is_current():
        return f"{email} is already a member of {organization}."
    return (
        f"{email} is already a member of {organization}, but their access ended on "
        f"{membership.access_ends_on:%Y-%m-%d}: change the end date on their membership instead."
    )


def _membership_reactivate(
    organization: Organization, actor: Actor, locked: Membership, *, role: str, access_ends_on: date | None
) -> Membership:
    """Give a deactivated member access again; the caller holds the row's lock."""
    before = snapshot(locked, REACTIVATED_FIELDS)
    locked.is_active, locked.role, locked.access_ends_on = True, role, access_ends_on
    locked.save(update_fields=list(REACTIVATED_FIELDS))
    audit_record(
        actor=actor,
        action="membership.reactivated",
        organization=organization,
        target=locked,
        changes=field_changes(before, snapshot(locked, REACTIVATED_FIELDS)),
    )
    request_evaluation(organization, "membership reactivated")
    return locked


def membership_update(
    *,
    organization: Organization,
    actor: Actor,
    membership: Membership,
    role: str,
    access_ends_on: date | None,
) -> Membership:
    _validate_role(role, access_ends_on)
    with transaction.atomic():
        _lock_owners(organization)  # before the member's own row: every ownership change locks in the same order
        locked = Membership.objects.select_for_update().get(pk=membership.pk, organization=organization)
        before = snapshot(locked, ("role", "access_ends_on"))
        was_owner = _is_current_owner(locked)
        locked.role, locked.access_ends_on = role, access_ends_on
        if was_owner and not _is_current_owner(locked):
            _keep_an_owner(organization, locked)
        changes = field_changes(before, snapshot(locked, ("role", "access_ends_on")))
        if changes:
            locked.save(update_fields=["role", "access_ends_on"])
            audit_record(
                actor=actor, action="membership.changed", organization=organization, target=locked, changes=changes
            )
            request_evaluation(organization, "membership changed")
    return locked


def membership_deactivate(*, organization: Organization, actor: Actor, membership: Membership) -> None:
    with transaction.atomic():
        _lock_owners(organization)  # before the member's own row: every ownership change locks in the same order
        locked = Membership.objects.select_for_update().get(pk=membership.pk, organization=organization)
        if not locked.is_active:
            raise ServiceError("This membership is already inactive.")
        if _is_current_owner(locked):
            _keep_an_owner(organization, locked)
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action="membership.deactivated",
            organization=organization,
            target=locked,
            changes={"is_active": [True, False]},
        )
        request_evaluation(organization, "membership deactivated")


def _lock_owners(organization: Organization) -> list[Membership]:
    """Every owner membership of the organization, locked until the transaction ends, in one order (by pk)."""
    return list(
        Membership.objects.select_for_update().filter(organization=organization, role=Role.OWNER).order_by("pk")
    )


def _is_current_owner(membership: Membership) -> bool:
    return membership.role == Role.OWNER and membership.is_current()


def _keep_an_owner(organization: Organization, leaving: Membership) -> None:
    """Refuse to let the last current owner go.

    The owners are locked before they are counted, so two owners demoting each other at once are serialized:
    the second waits, then sees the first's change and is refused.
    """
    owners = _lock_owners(organization)
    if not any(owner.pk != leaving.pk and owner.is_current() for owner in owners):
        raise ServiceError("An organization must keep at least one owner.", field="role")
