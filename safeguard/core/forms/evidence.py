"""Evidence forms: shape only; size, type and retention rules live in safeguard.core.services.evidence."""

from django import forms

FILE_REQUIRED = "Choose a file to upload."


class EvidenceFilterForm(forms.Form):
    q = forms.CharField(label="Search title or description", required=False, max_length=200)


class EvidenceUploadForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    effective_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="When the document took effect or the activity happened.",
    )
    retain_until = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        required=False,
        help_text="Leave empty for the minimum: six years after the later of the effective date and today.",
    )
    # Empty files reach the service, which explains the refusal itself.
    file = forms.FileField(allow_empty_file=True, error_messages={"required": FILE_REQUIRED})


class EvidenceVersionForm(forms.Form):
    file = forms.FileField(label="New version", allow_empty_file=True, error_messages={"required": FILE_REQUIRED})


class EvidenceRequirementLinkForm(forms.Form):
    citation = forms.CharField(
        label="Requirement citation", max_length=40, help_text="As in the catalog, e.g. 164.308(a)(1)(ii)(A)."
    )
