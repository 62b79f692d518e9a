"""The review forms: filtering the list, and signing one review (the rules live in services/reviews.py)."""

from __future__ import annotations

from django import forms

from safeguard.activity.models import ActivityReview
from safeguard.activity.queries_reviews import STATE_LABELS


class ReviewFilterForm(forms.Form):
    state = forms.ChoiceField(
        choices=[("", "Any state"), *[(state.value, label) for state, label in STATE_LABELS.items()]], required=False
    )


class ReviewSignForm(forms.Form):
    conclusion = forms.ChoiceField(choices=ActivityReview.Conclusion.choices, widget=forms.RadioSelect)
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Required when issues were found: what, and how they were followed up (alerts, incidents).",
    )
    confirm = forms.BooleanField(label="I sign the statement above.")
