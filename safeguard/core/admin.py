"""The Django admin, for operators: read-mostly.

Every change to a record must go through a service so it is validated and written to the audit trail; the admin
therefore shows records but offers no add, edit or delete form. The few write paths it has are actions that call
the same services as the web pages. Audit events have no write path at all, not even for a superuser.

The admin site asks for a one-time code at sign-in (django-otp's OTPAdminSite): it reaches every organization.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp.admin import OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.core.audit import Actor, audit_verify_chain
from safeguard.core.models import (
    ApiToken,
    AuditEvent,
    Evidence,
    EvidenceLink,
    EvidenceVersion,
    Membership,
    Obligation,
    ObligationCompletion,
    Organization,
    Signature,
    User,
)
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.organizations import membership_deactivate

admin.site.__class__ = OTPAdminSite
admin.site.site_header = "Safeguard operations"
admin.site.site_title = "Safeguard admin"
admin.site.index_title = "Records (read-only: changes go through the application and its audit trail)"


class ReadOnlyAdmin(admin.ModelAdmin):
    """View-only: no add, change or delete, hence no bulk delete action either."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("occurred_at", "organization", "sequence", "actor_label", "action", "object_repr", "ip_address")
    list_filter = ("action",)
    search_fields = ("action", "actor_label", "object_repr", "object_id")
    list_select_related = ("organization",)
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    fields = (
        "organization",
        "sequence",
        "occurred_at",
        "actor_label",
        "ip_address",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "changes",
        "prev_hash",
        "hash",
    )

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}


@admin.register(Organization)
class OrganizationAdmin(ReadOnlyAdmin):
    list_display = ("slug", "name", "kind", "mfa_required", "is_clearinghouse", "is_group_health_plan", "created_at")
    search_fields = ("slug", "name")
    fields = list_display + ("public_id",)
    actions = ("verify_audit_chain",)

    @admin.action(description="Verify the audit chain of the selected organizations")
    def verify_audit_chain(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        for organization in queryset:
            outcome = audit_verify_chain(organization)
            if outcome.ok:
                self.message_user(request, f"Audit chain of '{organization.slug}' verified: {outcome.checked} events.")
            else:
                self.message_user(
                    request,
                    f"Audit chain of '{organization.slug}' is BROKEN at #{outcome.broken_sequence}: {outcome.problem}",
                    messages.ERROR,
                )


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("user", "organization", "role", "access_ends_on", "is_active", "created_at")
    list_filter = ("role", "is_active")
    search_fields = ("user__email", "organization__slug")
    list_select_related = ("user", "organization")
    fields = ("public_id", "organization", "user", "role", "access_ends_on", "is_active", "created_at")
    actions = ("deactivate",)

    @admin.action(description="Deactivate the selected memberships (audited)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        actor = Actor.from_request(request)
        for membership in queryset.select_related("organization", "user"):
            try:
                membership_deactivate(organization=membership.organization, actor=actor, membership=membership)
            except ServiceError as error:
                self.message_user(request, f"{membership}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"Deactivated {membership}.")


@admin.register(User)
class UserAdmin(ReadOnlyAdmin):
    """No password hash, calendar token or MFA secret is shown."""

    list_display = ("email", "first_name", "last_name", "is_active", "is_staff", "last_login", "date_joined")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email", "first_name", "last_name")
    fields = ("public_id", "email", "first_name", "last_name", "is_active", "is_staff", "is_superuser", "last_login")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_select_related = ("user",)
    search_fields = ("user__email", "name", "prefix")
    fields = ("public_id", "user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")


class EvidenceVersionInline(admin.TabularInline):
    model = EvidenceVersion
    fields = ("number", "original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ("title", "organization", "effective_date", "retain_until", "created_by", "is_deleted")
    list_filter = ("is_deleted",)
    search_fields = ("title", "organization__slug")
    list_select_related = ("organization", "created_by")
    fields = (
        "public_id",
        "organization",
        "title",
        "description",
        "effective_date",
        "retain_until",
        "created_by",
        "created_at",
        "is_deleted",
        "deleted_at",
    )
    inlines = (EvidenceVersionInline,)


@admin.register(EvidenceLink)
class EvidenceLinkAdmin(ReadOnlyAdmin):
    list_display = ("evidence", "target_type", "target_id", "created_at")
    list_select_related = ("evidence",)
    search_fields = ("target_type", "target_id")


@admin.register(Signature)
class SignatureAdmin(ReadOnlyAdmin):
    list_display = ("signed_at", "organization", "signer", "signer_role", "meaning", "target_type", "target_id")
    list_select_related = ("organization", "signer")
    list_filter = ("meaning",)


@admin.register(Obligation)
class ObligationAdmin(ReadOnlyAdmin):
    list_display = ("title", "organization", "owner", "cadence", "due_on", "status")
    list_filter = ("status", "cadence")
    search_fields = ("title", "organization__slug", "citation")
    list_select_related = ("organization", "owner")


@admin.register(ObligationCompletion)
class ObligationCompletionAdmin(ReadOnlyAdmin):
    list_display = ("obligation", "due_on", "completed_on", "completed_by")
    list_select_related = ("obligation", "completed_by")


# django-otp's own admins let an operator read secret keys and change devices without an audit event; here they
# are read-only and never show a key. A member who lost a device re-enrols through the application.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


@admin.register(TOTPDevice, StaticDevice)
class DeviceAdmin(ReadOnlyAdmin):
    list_display = ("user", "name", "confirmed")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    fields = ("user", "name", "confirmed")
