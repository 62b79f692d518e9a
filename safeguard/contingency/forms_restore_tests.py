"""Restore test forms: shape only, the rules are in services/restore_tests.py. Times are read in the
installation's time zone (a time that does not exist or happens twice there is refused by the field)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from safeguard.contingency.forms_actions import open_risks
from safeguard.contingency.models import BackupResult, BackupStatus, RecoveryProfile, RestoreOutcome
from safeguard.core.models import Membership, Organization, User
from safeguard.risk.models import Asset, Risk

RECENT_RUNS = 30


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


def assets_with_objectives(organization: Organization) -> QuerySet[Asset]:
    with_profile = RecoveryProfile.objects.filter(organization=organization).values("asset_id")
    return Asset.objects.filter(organization=organization, pk__in=with_profile).order_by("name")


def recent_runs(organization: Organization, asset: Asset | None) -> QuerySet[BackupResult]:
    """The asset's latest good backup runs to pick the restore point from (none until an asset is chosen)."""
    if asset is None:
        return BackupResult.objects.none()
    good = BackupResult.objects.filter(organization=organization, policy__asset=asset).exclude(
        status=BackupStatus.FAILED
    )
    latest = good.order_by("-restore_point_at").values("pk")[:RECENT_RUNS]
    return BackupResult.objects.filter(pk__in=latest).select_related("policy").order_by("-restore_point_at")


class BackupRunChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.policy.job_name}: restore point {obj.restore_point_at:%Y-%m-%d %H:%M} UTC"


class RestoreTestForm(forms.Form):
    # Chosen once, in the page's asset picker (which also loads that asset's backup runs); the form carries it.
    asset = forms.ModelChoiceField(
        queryset=Asset.objects.none(),
        to_field_name="public_id",
        widget=forms.HiddenInput,
        error_messages={
            "required": "Choose the asset restored above.",
            "invalid_choice": "Choose an asset with recovery objectives above.",
        },
    )
    performed_by = forms.ModelChoiceField(queryset=User.objects.none())
    participants = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    backup_result = BackupRunChoice(
        queryset=BackupResult.objects.none(),
        required=False,
        label="Backup run restored",
        help_text="Sets the restore point time; or give the time below.",
    )
    restore_point_at = forms.DateTimeField(
        required=False, widget=DateTimeInput(), label="Restore point time", help_text="When the data was captured."
    )
    started_at = forms.DateTimeField(widget=DateTimeInput(), label="Restore started")
    finished_at = forms.DateTimeField(widget=DateTimeInput(), label="Service restored and checked")
    succeeded = forms.BooleanField(required=False, label="The restore succeeded")
    integrity_verified = forms.BooleanField(
        required=False,
        label="Integrity of the restored data verified",
        help_text="Without a check of the restored data the test cannot meet its objectives: it counts as missed.",
    )
    integrity_method = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when integrity is ticked as verified: how the restored data was checked "
        "(e.g. record counts, checksums).",
    )
    issues_found = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    evidence_file = forms.FileField(required=False, label="Evidence (optional)")
    risk = forms.ModelChoiceField(
        queryset=Risk.objects.none(),
        required=False,
        label="Risk in the risk register",
        help_text="Linked to the corrective action if the test misses an objective.",
    )

    def __init__(self, *args: Any, organization: Organization, asset: Asset | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = Membership.objects.current().filter(organization=organization).values("user_id")
        self.fields["asset"].queryset = assets_with_objectives(organization)  # type: ignore[attr-defined]
        self.fields["performed_by"].queryset = User.objects.filter(pk__in=members).order_by("email")  # type: ignore[attr-defined]
        self.fields["backup_result"].queryset = recent_runs(organization, asset)  # type: ignore[attr-defined]
        self.fields["risk"].queryset = open_risks(organization)  # type: ignore[attr-defined]


class RestoreFilterForm(forms.Form):
    asset = forms.ModelChoiceField(queryset=Asset.objects.none(), required=False, to_field_name="public_id")
    outcome = forms.ChoiceField(choices=[("", "Any outcome"), *RestoreOutcome.choices], required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = assets_with_objectives(organization)  # type: ignore[attr-defined]


class RestoreImportForm(forms.Form):
    file = forms.FileField(help_text="CSV, XLSX, or JSON (an array of objects, or one object per line).")
