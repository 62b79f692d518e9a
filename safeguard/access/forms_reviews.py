"""Forms of the access review pages. They parse input; the rules are the services'."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast
from uuid import UUID

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from safeguard.access.models import Finding, ReviewCampaign, ReviewItem, System
from safeguard.access.queries import access_settings
from safeguard.access.reports.review_data import ANY_FINDING, NO_FINDING, UNDECIDED
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Perm, Role, role_has

DATE = forms.DateInput(attrs={"type": "date"})
MOMENT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SystemChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: System) -> str:
        return obj.asset.name


class ReviewerChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.email


class CampaignStartForm(forms.Form):
    title = forms.CharField(max_length=200)
    scope = forms.ChoiceField(
        choices=[("all", "All systems"), ("chosen", "Only the systems chosen below")],
        widget=forms.RadioSelect,
        initial="all",
    )
    systems = SystemChoices(queryset=System.objects.none(), required=False, widget=forms.CheckboxSelectMultiple)
    roster_as_of = forms.DateField(widget=DATE, help_text="The roster as it stood on this day is reviewed.")
    due_on = forms.DateField(widget=DATE, required=False, help_text="When reviewers must have decided.")
    inactive_days = forms.IntegerField(
        required=False, min_value=1, help_text="Days without a login that count as inactive."
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        settings = access_settings(organization)
        self.fields["systems"].queryset = System.objects.filter(organization=organization).select_related("asset")  # type: ignore[attr-defined]
        self.fields["title"].initial = f"Access review {today:%Y} Q{(today.month - 1) // 3 + 1}"
        self.fields["roster_as_of"].initial = today
        self.fields["due_on"].initial = today + timedelta(days=settings.review_due_days)
        self.fields["inactive_days"].initial = settings.inactive_days

    def system_ids(self) -> list[int] | None:
        if self.cleaned_data["scope"] == "all":
            return None
        return [system.pk for system in self.cleaned_data["systems"]]


class ItemFilterForm(forms.Form):
    system = forms.ChoiceField(required=False)
    reviewer = forms.ChoiceField(required=False)
    decision = forms.ChoiceField(
        required=False, choices=[("", "Any decision"), (UNDECIDED, "Undecided"), *ReviewItem.Decision.choices]
    )
    finding = forms.ChoiceField(
        required=False,
        choices=[("", "With or without findings"), (ANY_FINDING, "Any finding"), (NO_FINDING, "No finding")]
        + list(Finding.Kind.choices),
    )

    def __init__(self, *args: Any, campaign: ReviewCampaign, reviewers: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        systems = System.objects.filter(pk__in=campaign.items.values("system_id")).select_related("asset")
        cast(forms.ChoiceField, self.fields["system"]).choices = [("", "Every system")] + [
            (str(system.public_id), system.asset.name) for system in systems.order_by("asset__name")
        ]
        cast(forms.ChoiceField, self.fields["reviewer"]).choices = [("", "Every reviewer")] + [
            (str(user.public_id), user.email) for user in reviewers
        ]

    def values(self) -> dict[str, str]:
        return {name: value for name, value in self.cleaned_data.items() if value} if self.is_valid() else {}


class MineFilterForm(forms.Form):
    show = forms.ChoiceField(
        required=False,
        choices=[("", "Every item"), (UNDECIDED, "Undecided"), (ANY_FINDING, "With findings")],
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=ReviewItem.Decision.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required to keep an account with findings: say why it stays.",
    )


class ItemIdsField(forms.Field):
    """The public ids of the items ticked (checkboxes named `items`), parsed as UUIDs."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[UUID]:
        if not value:
            return []
        try:
            return [UUID(str(raw)) for raw in value]
        except ValueError:
            raise ValidationError("One of the chosen items is not a review item.") from None


class BulkDecisionForm(forms.Form):
    mode = forms.ChoiceField(choices=[("clean", "Every undecided item without findings"), ("chosen", "Items ticked")])
    items = ItemIdsField(required=False)
    decision = forms.ChoiceField(choices=ReviewItem.Decision.choices, initial=ReviewItem.Decision.KEEP)
    comment = forms.CharField(required=False, max_length=2000)

    def item_ids(self) -> list[UUID] | None:
        return None if self.cleaned_data["mode"] == "clean" else self.cleaned_data["items"]


class AttestForm(forms.Form):
    confirm = forms.BooleanField(
        label="I reviewed each account assigned to me and my decisions are final.",
        error_messages={"required": "Tick the box to confirm before attesting."},
    )


def reviewer_members(organization: Organization) -> ReviewerChoice:
    roles = [role for role in Role.values if role_has(role, Perm.REVIEW_ACCESS)]
    users = User.objects.filter(
        pk__in=Membership.objects.current().filter(organization=organization, role__in=roles).values("user_id")
    ).order_by("email")
    return ReviewerChoice(queryset=users, to_field_name="public_id", label="New reviewer")


class ReassignForm(forms.Form):
    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewer"] = reviewer_members(organization)


class RevocationForm(forms.Form):
    revoked_at = forms.DateTimeField(widget=MOMENT, label="Access removed at", help_text="Your local time.")
    note = forms.CharField(required=False, max_length=2000, label="Note", help_text="Ticket number, how it was done.")
