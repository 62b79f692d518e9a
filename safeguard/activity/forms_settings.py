"""The activity settings form: it parses; the limits live in services/evaluation_settings.py."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguard.activity.services.evaluation_settings import NUMBER_LIMITS

WEEKDAYS = [
    (1, "Monday"),
    (2, "Tuesday"),
    (3, "Wednesday"),
    (4, "Thursday"),
    (5, "Friday"),
    (6, "Saturday"),
    (7, "Sunday"),
]


class ActivitySettingsForm(forms.Form):
    micro_batch_minutes = forms.IntegerField(label="Evaluate new events every (minutes)")
    nightly_rerun_days = forms.IntegerField(
        label="Nightly re-run covers (days)", help_text="Events that arrive late are evaluated again this far back."
    )
    event_retention_days = forms.IntegerField(
        label="Keep events (days)", help_text="2,190 days is six years, as long as the review records."
    )
    raw_retention_days = forms.IntegerField(label="Keep each event's raw line (days)")
    business_start_hour = forms.IntegerField(label="Business hours from (local hour, 0–23)")
    business_end_hour = forms.IntegerField(label="…to (local hour, 1–24)")
    business_weekdays = forms.TypedMultipleChoiceField(
        label="Business days", choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (low, high, _) in NUMBER_LIMITS.items():
            self.fields[name].widget.attrs.update({"min": low, "max": high})


class RunRequestForm(forms.Form):
    """A manual evaluation over a window of event time (on the runs page, beside the schedule's settings)."""

    start = forms.DateTimeField(label="Anchors from", help_text="Local time, e.g. 2026-01-05 00:00.")
    end = forms.DateTimeField(label="…until (not included)")
