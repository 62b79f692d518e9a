"""The training settings form: it parses numbers and text; the limits live in services/settings.py."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguard.training.services.settings import NUMBER_LIMITS, SIGNATORY_MAX


class TrainingSettingsForm(forms.Form):
    completion_threshold = forms.IntegerField(
        label="Training completion threshold (%)",
        help_text="Share of the active workforce that must be trained on time, and must have completed each topic "
        "the Security Rule names, for the tracker to count training as met.",
    )
    ack_threshold = forms.IntegerField(
        label="Sanction policy acknowledgement threshold (%)",
        help_text="Share of the active workforce that must have acknowledged the current sanction policy.",
    )
    reminder_cadence_months = forms.IntegerField(
        label="A security reminder every (months)",
        help_text="The tracker expects at least one reminder sent in each period of this many months.",
    )
    reminder_periods = forms.IntegerField(
        label="Periods the reminder check looks back over",
        help_text="E.g. 3 with a cadence of 1: a reminder in each of the last 3 months.",
    )
    remind_days_before = forms.IntegerField(
        label="Remind people this many days before a due date",
        help_text="0: on the due date itself.",
    )
    escalate_days_after = forms.IntegerField(
        label="Tell the manager this many days after a due date",
        help_text="When an assignment is still open this long after it was due.",
    )
    certificate_signatory = forms.CharField(
        label="Certificate signatory",
        max_length=SIGNATORY_MAX,
        required=False,
        help_text="Name and title printed on certificates, e.g. “Dana Reyes, Security Official”.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (low, high, _) in NUMBER_LIMITS.items():
            self.fields[name].widget.attrs.update({"min": low, "max": high})
