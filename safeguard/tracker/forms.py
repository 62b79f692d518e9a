"""Tracker forms: they check the shape of the input only; the rules live in safeguard.tracker.services."""

from typing import Any, cast

from django import forms

from safeguard.catalog.models import Safeguard
from safeguard.tracker.models import AddressableDecision, Status


class DateInput(forms.DateInput):
    input_type = "date"


class RequirementFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), ("open", "Needs attention (not met, partially met, unknown)"), *Status.choices],
    )
    safeguard = forms.ChoiceField(required=False, choices=[("", "All safeguards"), *Safeguard.choices])


class AttestationForm(forms.Form):
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="What is in place, and how you know.",
    )
    expires_on = forms.DateField(widget=DateInput, help_text="When this statement must be reviewed again.")
    evidence_file = forms.FileField(required=False, label="Evidence file (optional)")
    evidence_title = forms.CharField(required=False, max_length=200, label="Evidence title")
    evidence_effective_date = forms.DateField(
        required=False, widget=DateInput, label="Evidence effective date", help_text="Defaults to today."
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=AddressableDecision.Decision.choices)
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="The assessment behind the decision (164.306(d)(3)(ii)).",
    )
    alternative_measure = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        help_text="The equivalent measure in place, or why no alternative is reasonable and appropriate.",
    )
    review_on = forms.DateField(widget=DateInput, help_text="When the decision must be reviewed again.")


class AttestationEvidenceForm(forms.Form):
    """Evidence for one attestation: pick what the organization already holds, or upload a file."""

    evidence = forms.ChoiceField(required=False, label="Existing evidence")
    evidence_file = forms.FileField(required=False, allow_empty_file=True, label="Or upload a file")
    evidence_title = forms.CharField(
        required=False,
        max_length=200,
        label="Title of the uploaded file",
        help_text="Defaults to “Evidence for” and the citation.",
    )
    evidence_effective_date = forms.DateField(
        required=False, widget=DateInput, label="Effective date of the uploaded file", help_text="Defaults to today."
    )

    def __init__(self, *args: Any, evidence_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["evidence"]).choices = [("", "(none)"), *evidence_choices]
