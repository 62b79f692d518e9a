"""The events page's filters: shape only; searching is queries_events.py's."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguard.activity.models import LogSource
from safeguard.activity.queries_events import EventFilters
from safeguard.core.models import Organization


class DateInput(forms.DateInput):
    input_type = "date"


class EventFilterForm(forms.Form):
    source = forms.ModelChoiceField(
        queryset=LogSource.objects.none(), required=False, to_field_name="public_id", empty_label="Every source"
    )
    user = forms.CharField(required=False, max_length=200, help_text="As the log writes it; case is ignored.")
    patient = forms.CharField(required=False, max_length=200, label="Patient id", help_text="The MRN as written.")
    date_from = forms.DateField(required=False, label="From", widget=DateInput)
    date_to = forms.DateField(required=False, label="To", widget=DateInput, help_text="Included.")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = LogSource.objects.filter(organization=organization)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "Must not be before the start date.")
        return cleaned

    def filters(self) -> EventFilters:
        """The valid filters (a bad value is dropped; the others still apply)."""
        self.is_valid()
        values = getattr(self, "cleaned_data", {})
        return EventFilters(
            source=values.get("source"),
            user=(values.get("user") or "").strip(),
            patient=(values.get("patient") or "").strip(),
            date_from=values.get("date_from"),
            date_to=values.get("date_to") if "date_to" not in self.errors else None,
        )
