"""Forms of the systems and accounts pages: shape only; the rules live in safeguard.access.services."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from safeguard.access.models import AccountStatus, Classification, System
from safeguard.access.services.designations import DECIDABLE
from safeguard.access.services.systems import unregistered_assets
from safeguard.core.forms.file_imports import FileField
from safeguard.core.models import Organization
from safeguard.risk.models import Asset


class SystemRegisterForm(forms.Form):
    asset = forms.ModelChoiceField(
        queryset=Asset.objects.none(),
        to_field_name="public_id",
        label="ePHI asset",
        help_text="An asset of the risk inventory whose user accounts you will import and review.",
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["asset"]).queryset = unregistered_assets(organization)


class SystemSettingsForm(forms.Form):
    time_zone = forms.CharField(
        max_length=64, help_text="How to read times its lists give without an offset, e.g. America/Chicago."
    )
    inactive_days = forms.IntegerField(
        required=False,
        min_value=1,
        label="Inactive after (days)",
        help_text="Days without a login that count as inactive; blank: the organization's setting.",
    )


class AccountImportForm(forms.Form):
    system = forms.ChoiceField(
        help_text="The system the list comes from. An ePHI asset that is not yet a system becomes one on commit."
    )
    file = FileField()
    # Text, not a DateTimeField: a time without an offset is read in the system's zone, not the server's.
    taken_at = forms.CharField(
        required=False,
        max_length=40,
        label="Exported at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="When the list was exported, in the system's time zone; blank: now.",
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        systems = System.objects.filter(organization=organization).select_related("asset").order_by("asset__name")
        assets = unregistered_assets(organization)
        cast(forms.ChoiceField, self.fields["system"]).choices = [
            ("", "Choose…"),
            *((str(system.public_id), system.asset.name) for system in systems),
            *((str(asset.public_id), f"{asset.name} (not yet a system)") for asset in assets),
        ]


YES_NO_ANY = [("", "Any"), ("yes", "Yes"), ("no", "No")]


class AccountFilterForm(forms.Form):
    classification = forms.ChoiceField(choices=[("", "Any kind"), *Classification.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *AccountStatus.choices], required=False)
    privileged = forms.ChoiceField(choices=YES_NO_ANY, required=False)
    no_mfa = forms.BooleanField(required=False, label="Enabled without MFA")
    q = forms.CharField(required=False, max_length=200, label="Search", help_text="Username, name or email.")


class DesignationForm(forms.Form):
    classification = forms.ChoiceField(
        choices=[(value, label) for value, label in Classification.choices if value in DECIDABLE],
        label="The account is",
    )
    person = forms.CharField(
        required=False,
        max_length=254,
        label="Person",
        help_text="For a person's account: their employee id or email.",
    )
    owner = forms.CharField(
        required=False,
        max_length=254,
        label="Owner",
        help_text="For a service or shared account: the employee id or email of the person answerable for it.",
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
