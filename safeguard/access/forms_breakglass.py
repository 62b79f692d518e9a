"""Break-glass forms: shape only; the rules live in safeguard.access.services.breakglass."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from safeguard.access.models import BreakGlassAccount, BreakGlassActivation, System
from safeguard.access.services.breakglass import REVIEW_HOURS_MAX, REVIEW_STATE_LABELS, custodian_choices
from safeguard.core.models import Organization, User
from safeguard.risk.models import SanctionRecord


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class SystemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: System) -> str:
        return obj.asset.name


class CustodianField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name()
        return f"{name} <{obj.email}>" if name else obj.email


def _systems(organization: Organization) -> QuerySet[System]:
    return System.objects.filter(organization=organization).select_related("asset").order_by("asset__name")


class BreakGlassAccountForm(forms.Form):
    system = SystemChoiceField(queryset=System.objects.none(), to_field_name="public_id")
    username = forms.CharField(max_length=200, help_text="The emergency account's login, as the system knows it.")
    purpose = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="When it may be used, e.g. EHR downtime, or an emergency when the clinician's own login fails.",
    )
    custodians = CustodianField(
        queryset=User.objects.none(),
        to_field_name="public_id",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Who holds the sealed credential and hears about overdue reviews.",
    )
    review_hours = forms.IntegerField(
        min_value=1,
        max_value=REVIEW_HOURS_MAX,
        label="Review within (hours)",
        help_text="Each use must be reviewed within this many hours of its start.",
    )

    def __init__(self, *args: Any, organization: Organization, keep: Iterable[User] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["system"]).queryset = _systems(organization)
        cast(CustodianField, self.fields["custodians"]).queryset = custodian_choices(organization, keep)


class AccountChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: BreakGlassAccount) -> str:
        return f"{obj.username} on {obj.system.asset.name}"


class ActivationForm(forms.Form):
    account = AccountChoiceField(queryset=BreakGlassAccount.objects.none(), to_field_name="public_id")
    started_at = forms.DateTimeField(widget=DateTimeInput(), label="Started")
    ended_at = forms.DateTimeField(
        widget=DateTimeInput(), label="Ended", required=False, help_text="Blank while the use goes on."
    )
    used_by = forms.CharField(
        max_length=254,
        required=False,
        label="Used by (on the roster)",
        help_text="Their employee id or work email.",
    )
    used_by_name = forms.CharField(
        max_length=200, required=False, label="Or their name", help_text="When they are not on the roster."
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Why it was used, as stated then.")
    records_accessed = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Patients or records accessed",
        help_text="If known.",
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        accounts = BreakGlassAccount.objects.filter(organization=organization, is_active=True)
        cast(forms.ModelChoiceField, self.fields["account"]).queryset = accounts.select_related(
            "system__asset"
        ).order_by("system__asset__name", "username")


class ReviewForm(forms.Form):
    justified = forms.TypedChoiceField(
        choices=[("yes", "Justified: a genuine emergency, used as the procedure allows"), ("no", "Not justified")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        label="Was the use justified?",
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        label="Review notes",
        help_text="What you checked (the stated reason, the records accessed, the system's log) and what you found.",
    )


class SanctionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: SanctionRecord) -> str:
        return f"{obj.decided_on:%Y-%m-%d}: {obj.person_name} ({obj.get_level_display()})"


class SanctionLinkForm(forms.Form):
    sanction = SanctionChoiceField(
        queryset=SanctionRecord.objects.none(), to_field_name="public_id", label="Sanction that followed it up"
    )

    def __init__(self, *args: Any, sanctions: QuerySet[SanctionRecord], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["sanction"]).queryset = sanctions


class ActivationFilterForm(forms.Form):
    state = forms.ChoiceField(
        choices=[("", "Any review status"), *REVIEW_STATE_LABELS.items()], required=False, label="Review"
    )
    unlinked = forms.BooleanField(required=False, label="Unjustified, no sanction linked")
    system = SystemChoiceField(
        queryset=System.objects.none(), to_field_name="public_id", required=False, empty_label="Any system"
    )
    source = forms.ChoiceField(choices=[("", "Any source"), *BreakGlassActivation.Source.choices], required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["system"]).queryset = _systems(organization)
