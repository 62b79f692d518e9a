"""Sanction forms: shape only; the rules live in safeguard.risk.services.sanctions."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone

from safeguard.core.dates import EARLIEST
from safeguard.core.forms.obligations import OwnerChoiceField
from safeguard.core.models import Evidence, Organization, User
from safeguard.risk.forms_common import member_choices
from safeguard.risk.models import SanctionLevel


class DateInput(forms.DateInput):
    input_type = "date"


class SanctionPolicyForm(forms.Form):
    title = forms.CharField(max_length=200, initial="Sanction policy")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="The policy as the workforce will read it: what is sanctioned, the levels, who decides, appeals.",
    )
    document = forms.ModelChoiceField(
        queryset=Evidence.objects.none(),
        to_field_name="public_id",
        required=False,
        label="Document (existing evidence)",
        empty_label="(none)",
    )
    document_file = forms.FileField(label="Or upload the document", required=False, allow_empty_file=True)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["document"]).queryset = Evidence.objects.filter(
            organization=organization, is_deleted=False
        ).order_by("-created_at")


class SignForm(forms.Form):
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        help_text="What you are signing, in your words.",
    )


class LogReviewForm(forms.Form):
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        label="Period reviewed and finding",
        help_text="For example: “Reviewed January to June 2026: no violations called for a sanction.”",
    )


class SanctionForm(forms.Form):
    person_name = forms.CharField(max_length=200, label="Person sanctioned")
    person = OwnerChoiceField(
        queryset=User.objects.none(),
        to_field_name="public_id",
        required=False,
        label="Linked member",
        empty_label="(not a user of Safeguard)",
        help_text="Optional: link the person when they are, or were, a member here.",
    )
    occurred_on = forms.DateField(widget=DateInput, label="Violation date")
    decided_on = forms.DateField(widget=DateInput, label="Decision date")
    violation = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="What happened.")
    policy_breached = forms.CharField(max_length=200, label="Policy or procedure breached")
    incident_reference = forms.CharField(
        max_length=100, required=False, label="Incident reference", help_text="The incident's number, if any."
    )
    level = forms.ChoiceField(choices=SanctionLevel.choices)
    decided_by = OwnerChoiceField(queryset=User.objects.none(), to_field_name="public_id", label="Decided by")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(OwnerChoiceField, self.fields["person"]).queryset = member_choices(organization, former=True)
        cast(OwnerChoiceField, self.fields["decided_by"]).queryset = member_choices(organization)
        today = timezone.localdate().isoformat()
        for name in ("occurred_on", "decided_on"):
            self.fields[name].widget.attrs.update({"min": EARLIEST.isoformat(), "max": today})


class SanctionFilterForm(forms.Form):
    level = forms.ChoiceField(choices=[("", "Any level"), *SanctionLevel.choices], required=False)
    year = forms.IntegerField(
        required=False, min_value=EARLIEST.year, max_value=9999, label="Decided in", help_text="A year, e.g. 2026."
    )
