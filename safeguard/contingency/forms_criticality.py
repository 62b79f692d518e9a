"""Forms of the criticality pages. They parse shape only: the rules (RTO within MTD, RPO within backup retention,
cycles) are the services', whose messages land on the field they name."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from safeguard.contingency.durations import Unit, as_amount, to_minutes
from safeguard.contingency.models import RecoveryProfile, Tier
from safeguard.contingency.services.criticality import TEST_CADENCES
from safeguard.contingency.services.settings import RESTORE_CADENCES
from safeguard.core.models import Organization
from safeguard.core.models.obligations import Cadence
from safeguard.risk.models import Asset

CADENCE_LABELS = dict(Cadence.choices)
YES_NO = [("yes", "Yes: holds ePHI or supports a business function"), ("no", "No: out of scope")]
# The service names the stored field; the form shows the amount the person typed.
ALIASES = {"mtd_minutes": "mtd_amount", "rto_minutes": "rto_amount", "rpo_minutes": "rpo_amount"}
OBJECTIVE_HELP = {
    "mtd": "Maximum tolerable downtime: after this long, harm to patients or the organization is unacceptable.",
    "rto": "Recovery time objective: how long restoring service may take. Not longer than the MTD.",
    "rpo": "Recovery point objective: how much recent data may be lost, as its age.",
}


class ProfileForm(forms.Form):
    tier = forms.TypedChoiceField(choices=Tier.choices, coerce=int)
    in_scope = forms.ChoiceField(choices=YES_NO, label="In scope", widget=forms.RadioSelect)
    business_functions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What the organization cannot do while it is down.",
    )
    mtd_amount = forms.IntegerField(label="Maximum tolerable downtime", help_text=OBJECTIVE_HELP["mtd"])
    mtd_unit = forms.ChoiceField(choices=Unit.choices, label="MTD unit", initial=Unit.HOURS)
    rto_amount = forms.IntegerField(label="RTO", help_text=OBJECTIVE_HELP["rto"])
    rto_unit = forms.ChoiceField(choices=Unit.choices, label="RTO unit", initial=Unit.HOURS)
    rpo_amount = forms.IntegerField(label="RPO", help_text=OBJECTIVE_HELP["rpo"])
    rpo_unit = forms.ChoiceField(choices=Unit.choices, label="RPO unit", initial=Unit.HOURS)
    manual_workarounds = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="How work goes on while it is down."
    )
    restore_test_cadence = forms.ChoiceField(
        choices=[("", "The tier's (from the contingency settings)")] + [(c, CADENCE_LABELS[c]) for c in TEST_CADENCES],
        required=False,
        label="Restore tests due",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    OBJECTIVES = ("mtd", "rto", "rpo")

    @classmethod
    def initial_for(cls, profile: RecoveryProfile) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "tier": profile.tier,
            "in_scope": "yes" if profile.in_scope else "no",
            "business_functions": profile.business_functions,
            "manual_workarounds": profile.manual_workarounds,
            "restore_test_cadence": profile.restore_test_cadence,
            "notes": profile.notes,
        }
        for name in cls.OBJECTIVES:
            initial[f"{name}_amount"], initial[f"{name}_unit"] = as_amount(getattr(profile, f"{name}_minutes"))
        return initial

    def values(self) -> dict[str, Any]:
        """The service's arguments: objectives in minutes, in scope as a boolean."""
        data = self.cleaned_data
        values: dict[str, Any] = {
            "tier": data["tier"],
            "in_scope": data["in_scope"] == "yes",
            "business_functions": data["business_functions"],
            "manual_workarounds": data["manual_workarounds"],
            "restore_test_cadence": data["restore_test_cadence"],
            "notes": data["notes"],
        }
        for name in self.OBJECTIVES:
            values[f"{name}_minutes"] = to_minutes(data[f"{name}_amount"], data[f"{name}_unit"])
        return values


class DependencyForm(forms.Form):
    depends_on = forms.ModelChoiceField(
        queryset=Asset.objects.none(), to_field_name="public_id", label="Needs", empty_label="Choose an asset"
    )
    note = forms.CharField(max_length=200, required=False, help_text="What it needs, e.g. 'authentication'.")

    def __init__(self, *args: Any, organization: Organization, asset: Asset, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["depends_on"]).queryset = (
            Asset.objects.filter(organization=organization).exclude(status=Asset.Status.RETIRED).exclude(pk=asset.pk)
        )


class ApproveForm(forms.Form):
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Left blank, the statement says what is approved and until when.",
    )


class TierFilterForm(forms.Form):
    tier = forms.TypedChoiceField(
        choices=[("", "Any tier"), *Tier.choices], coerce=int, required=False, empty_value=None
    )
    missing = forms.BooleanField(required=False, label="Only assets without a profile")


class SettingsForm(forms.Form):
    restore_cadence_tier1 = forms.ChoiceField(label="Tier 1 restore tests")
    restore_cadence_tier2 = forms.ChoiceField(label="Tier 2 restore tests")
    restore_cadence_tier3 = forms.ChoiceField(label="Tier 3 restore tests")
    restore_cadence_tier4 = forms.ChoiceField(label="Tier 4 restore tests")
    backup_grace_hours = forms.IntegerField(
        label="Backup grace (hours)", help_text="How late a scheduled backup run may be before it counts as missing."
    )
    show_72_hour_target = forms.BooleanField(
        required=False,
        label="Show the 72-hour restoration target",
        help_text="The 2025 proposed rule would require restoring relevant systems within 72 hours.",
    )
    import_time_zone = forms.CharField(
        max_length=64,
        label="Import time zone",
        help_text="How backup result and restore test imports read a time given without a UTC offset, e.g. "
        "America/Chicago. A time with an offset is read as given.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for tier in range(1, 5):
            cast(forms.ChoiceField, self.fields[f"restore_cadence_tier{tier}"]).choices = [
                (c, CADENCE_LABELS[c]) for c in RESTORE_CADENCES
            ]
