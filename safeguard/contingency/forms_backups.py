"""Backup forms: shape only; the rules (unique job names, retention against the RPO, mappings) live in
contingency.services.backups and services.backup_import*."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from safeguard.contingency.models import BackupMethod
from safeguard.contingency.services.backup_import_fields import FIELDS
from safeguard.contingency.services.backup_import_files import FORMATS
from safeguard.core.forms.obligations import OwnerChoiceField
from safeguard.core.models import Organization, User
from safeguard.risk.forms_common import member_choices
from safeguard.risk.models import Asset


class AssetField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Asset) -> str:
        return obj.name


def _assets(organization: Organization) -> Any:
    return Asset.objects.filter(organization=organization).exclude(status=Asset.Status.RETIRED).order_by("name")


class BackupPolicyForm(forms.Form):
    asset = AssetField(queryset=Asset.objects.none(), to_field_name="public_id", empty_label="Choose an asset")
    job_name = forms.CharField(
        max_length=200, help_text="As the backup tool names the job: imported results are matched by it."
    )
    method = forms.ChoiceField(choices=BackupMethod.choices)
    schedule = forms.CharField(max_length=200, help_text="When it runs, e.g. 'daily 01:00'.")
    interval_hours = forms.IntegerField(
        min_value=1, initial=24, help_text="Hours between runs: a run is missing when none started within them."
    )
    retention_days = forms.IntegerField(min_value=1, help_text="How long restore points are kept.")
    encrypted_at_rest = forms.BooleanField(required=False, label="Encrypted at rest")
    immutable_copy = forms.BooleanField(
        required=False, label="Immutable copy", help_text="Cannot be altered or deleted before it expires."
    )
    offline_copy = forms.BooleanField(
        required=False, label="Offline copy", help_text="Disconnected from the network (air gap, tape, vault)."
    )
    offsite_location = forms.CharField(max_length=200, required=False)
    responsible = OwnerChoiceField(
        queryset=User.objects.none(), to_field_name="public_id", required=False, empty_label="(nobody named)"
    )
    business_associate = forms.CharField(
        max_length=200, required=False, help_text="The vendor that runs the backups for you, if any."
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(
        self, *args: Any, organization: Organization, editing: bool = False, keep: User | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["asset"]  # a policy stays with its asset: its results were made there
        else:
            cast(AssetField, self.fields["asset"]).queryset = _assets(organization)
        cast(OwnerChoiceField, self.fields["responsible"]).queryset = member_choices(organization, keep=keep)


class BackupPolicyFilterForm(forms.Form):
    asset = AssetField(queryset=Asset.objects.none(), to_field_name="public_id", required=False, empty_label="Any")
    active = forms.ChoiceField(choices=[("", "Any"), ("yes", "Active"), ("no", "Deactivated")], required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(AssetField, self.fields["asset"]).queryset = Asset.objects.filter(organization=organization).order_by(
            "name"
        )


class BackupUploadForm(forms.Form):
    file = forms.FileField(help_text="CSV with a header row, or NDJSON (one run per line), UTF-8.")
    file_format = forms.ChoiceField(
        label="Format",
        choices=[("", "From the file name"), *((name, name.upper()) for name in FORMATS)],
        required=False,
    )


class BackupMappingForm(forms.Form):
    """One choice per field of ours among the file's columns (or keys)."""

    def __init__(self, *args: Any, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "(not in the file)"), *((header, header) for header in headers)]
        for field in FIELDS:
            self.fields[field.name] = forms.ChoiceField(
                label=field.label, choices=choices, required=False, help_text="Required." if field.required else ""
            )

    def mapping(self) -> dict[str, str]:
        return {name: column for name, column in self.cleaned_data.items() if column}
