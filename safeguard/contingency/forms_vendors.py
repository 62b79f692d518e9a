"""The business associate's recovery commitment form: shape only, the rules are in services/vendors.py. Stated
objectives are typed as an amount and a unit, like our own in the criticality analysis."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguard.contingency.durations import Unit, as_amount, to_minutes
from safeguard.contingency.forms_exercises import DateInput
from safeguard.contingency.models import VendorRecovery
from safeguard.core.models import Evidence, Membership, Organization, User
from safeguard.risk.models import Asset

ALIASES = {"stated_rto_minutes": "rto_amount", "stated_rpo_minutes": "rpo_amount"}
OBJECTIVES = ("rto", "rpo")


class VendorRecoveryForm(forms.Form):
    asset = forms.ModelChoiceField(queryset=Asset.objects.none(), help_text="The asset the business associate runs.")
    business_associate = forms.CharField(
        max_length=200, required=False, help_text="Blank: the business associate the asset names."
    )
    rto_amount = forms.IntegerField(
        required=False, min_value=1, label="Their stated RTO", help_text="Blank: none stated."
    )
    rto_unit = forms.ChoiceField(choices=Unit.choices, label="RTO unit", initial=Unit.HOURS)
    rpo_amount = forms.IntegerField(
        required=False, min_value=1, label="Their stated RPO", help_text="Blank: none stated."
    )
    rpo_unit = forms.ChoiceField(choices=Unit.choices, label="RPO unit", initial=Unit.HOURS)
    evidence_kind = forms.ChoiceField(
        choices=[("", "—"), *VendorRecovery.EvidenceKind.choices], required=False, label="Evidence kind"
    )
    evidence = forms.ModelChoiceField(queryset=Evidence.objects.none(), required=False, label="Existing evidence")
    evidence_file = forms.FileField(required=False, label="Or upload the evidence")
    verified_on = forms.DateField(required=False, widget=DateInput(), label="Verified on")
    verified_by = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, help_text="Blank: you, when a verification date is given."
    )
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(
        self, *args: Any, organization: Organization, record: VendorRecovery | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if record is None:
            assets = Asset.objects.filter(organization=organization, vendor_recovery__isnull=True)
            self.fields["asset"].queryset = assets.exclude(status=Asset.Status.RETIRED)  # type: ignore[attr-defined]
        else:
            del self.fields["asset"]
        evidence = Evidence.objects.filter(organization=organization, is_deleted=False).order_by("-created_at")
        self.fields["evidence"].queryset = evidence  # type: ignore[attr-defined]
        members = Membership.objects.filter(organization=organization).values("user_id")
        self.fields["verified_by"].queryset = User.objects.filter(pk__in=members).order_by("email")  # type: ignore[attr-defined]

    @staticmethod
    def initial_for(record: VendorRecovery) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(record, name)
            for name in ("business_associate", "evidence_kind", "evidence", "verified_on", "verified_by", "notes")
        }
        for name in OBJECTIVES:
            minutes = getattr(record, f"stated_{name}_minutes")
            if minutes is not None:
                initial[f"{name}_amount"], initial[f"{name}_unit"] = as_amount(minutes)
        return initial

    def values(self) -> dict[str, Any]:
        """The service's arguments: stated objectives in minutes (None when blank)."""
        data = dict(self.cleaned_data)
        for name in OBJECTIVES:
            amount, unit = data.pop(f"{name}_amount"), data.pop(f"{name}_unit")
            data[f"stated_{name}_minutes"] = None if amount is None else to_minutes(amount, unit)
        return data
