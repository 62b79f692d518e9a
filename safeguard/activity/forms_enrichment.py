"""Forms of the enrichment pages: an alias, a work shift, a workstation, and a patient flag file. Shapes only:
the rules are in services/enrichment_records.py and patient_flag_import.py."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguard.activity.models import LogSource
from safeguard.core.models import Organization
from safeguard.workforce.models import Person

WEEKDAYS = [(1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun")]


def _people(organization: Organization) -> Any:
    return Person.objects.filter(organization=organization).order_by("family_name", "given_name", "pk")


class AliasForm(forms.Form):
    person = forms.ModelChoiceField(queryset=Person.objects.none())
    alias = forms.CharField(max_length=255, help_text="As the log writes it, e.g. an EHR user id or a VPN name.")
    source = forms.ModelChoiceField(
        queryset=LogSource.objects.none(), required=False, empty_label="Every source", help_text="Only in this log."
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people(organization)  # type: ignore[attr-defined]
        self.fields["source"].queryset = LogSource.objects.filter(organization=organization)  # type: ignore[attr-defined]


class ShiftForm(forms.Form):
    name = forms.CharField(max_length=100)
    person = forms.ModelChoiceField(queryset=Person.objects.none(), required=False, help_text="A person's own shift…")
    department = forms.CharField(max_length=100, required=False, help_text="…or a department's…")
    job_role = forms.CharField(max_length=100, required=False, help_text="…or a job role's.")
    start_hour = forms.IntegerField(min_value=0, max_value=23, help_text="Local hour, 0–23.")
    end_hour = forms.IntegerField(min_value=1, max_value=24, help_text="Earlier than the start: past midnight.")
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, initial=[1, 2, 3, 4, 5]
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = _people(organization)  # type: ignore[attr-defined]


class WorkstationForm(forms.Form):
    host = forms.CharField(max_length=255, help_text="As the logs name it.")
    site = forms.CharField(max_length=100, required=False)
    department = forms.CharField(max_length=100, required=False)
    time_zone = forms.CharField(max_length=64, required=False, help_text="Blank: the source's zone.")


class PatientFlagUploadForm(forms.Form):
    file = forms.FileField(
        help_text="CSV or XLSX: patient id (required), last name, VIP, restricted (yes/no), employee id, note."
    )
