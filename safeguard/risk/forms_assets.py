"""Asset and data-flow forms: shape only; names, owners and flow rules live in risk.services.assets / flows."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from safeguard.core.forms.obligations import OwnerChoiceField
from safeguard.core.models import Organization, User
from safeguard.risk.forms_common import member_choices
from safeguard.risk.models import Asset, AssetKind, Transport, VolumeBand

ANY = [("", "Any")]
YES_NO = [("", "Choose…"), ("yes", "Yes"), ("no", "No")]


class AssetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Asset) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class AssetForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=AssetKind.choices)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    owner = OwnerChoiceField(
        queryset=User.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="(nobody yet)",
        help_text="Who answers for this asset: a current member, not an auditor.",
    )
    hosting = forms.CharField(
        max_length=200, required=False, help_text="Where it runs or is kept: site, room, cloud provider and region."
    )
    volume_band = forms.ChoiceField(
        label="Individuals' records held", choices=VolumeBand.choices, initial=VolumeBand.UNKNOWN
    )
    business_associate = forms.CharField(
        max_length=200, required=False, help_text="The vendor that runs or hosts it for you, if any."
    )
    status = forms.ChoiceField(
        choices=Asset.Status.choices,
        initial=Asset.Status.IN_SERVICE,
        help_text="Retire an asset by setting its status to Retired: its history and flows are kept.",
    )

    def __init__(self, *args: Any, organization: Organization, current_owner: User | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(OwnerChoiceField, self.fields["owner"]).queryset = member_choices(organization, keep=current_owner)


class AssetFilterForm(forms.Form):
    q = forms.CharField(label="Search name, hosting or business associate", required=False, max_length=200)
    kind = forms.ChoiceField(choices=ANY + AssetKind.choices, required=False)
    status = forms.ChoiceField(choices=ANY + Asset.Status.choices, required=False)
    owner = OwnerChoiceField(queryset=User.objects.none(), to_field_name="public_id", required=False, empty_label="Any")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(OwnerChoiceField, self.fields["owner"]).queryset = member_choices(organization)


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class FlowForm(forms.Form):
    source = AssetChoiceField(queryset=Asset.objects.none(), to_field_name="public_id", label="From (source)")
    destination = AssetChoiceField(queryset=Asset.objects.none(), to_field_name="public_id", label="To (destination)")
    ephi = forms.CharField(
        label="ePHI that moves", max_length=200, help_text="What moves, e.g. 'lab results' or 'claims (837)'."
    )
    transport = forms.ChoiceField(choices=Transport.choices)
    encrypted_in_transit = forms.TypedChoiceField(
        label="Encrypted in transit?", choices=YES_NO, coerce=_yes_no, empty_value=None
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any):
        super().__init__(*args, **kwargs)
        assets = Asset.objects.filter(organization=organization).order_by("name")
        for name in ("source", "destination"):
            cast(AssetChoiceField, self.fields[name]).queryset = assets


class FlowFilterForm(forms.Form):
    asset = AssetChoiceField(
        queryset=Asset.objects.none(), to_field_name="public_id", required=False, empty_label="Any", label="Asset"
    )
    encrypted = forms.ChoiceField(
        label="Encrypted in transit", choices=[("", "Any"), ("yes", "Yes"), ("no", "No")], required=False
    )
    transport = forms.ChoiceField(choices=ANY + Transport.choices, required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any):
        super().__init__(*args, **kwargs)
        assets = Asset.objects.filter(organization=organization).order_by("name")
        cast(AssetChoiceField, self.fields["asset"]).queryset = assets


class DiagramFilterForm(forms.Form):
    asset = AssetChoiceField(
        queryset=Asset.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="Every asset",
        label="Draw the flows of",
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any):
        super().__init__(*args, **kwargs)
        assets = Asset.objects.filter(organization=organization).order_by("name")
        cast(AssetChoiceField, self.fields["asset"]).queryset = assets
