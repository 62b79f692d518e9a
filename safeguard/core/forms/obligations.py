"""Obligation forms: shape only; the owner, citation and cadence rules live in services.obligations."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from safeguard.core.models import Evidence, Membership, Organization, User
from safeguard.core.models.obligations import Cadence
from safeguard.core.roles import Role


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name()
        return f"{name} <{obj.email}>" if name else obj.email


class ObligationForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    citation = forms.CharField(
        max_length=40,
        required=False,
        help_text="Optional: the requirement this duty serves, e.g. 164.308(a)(1)(ii)(A).",
        widget=forms.TextInput(attrs={"list": "catalog-citations", "autocomplete": "off"}),
    )
    cadence = forms.ChoiceField(choices=Cadence.choices)
    owner = OwnerChoiceField(queryset=User.objects.none(), to_field_name="public_id")
    due_on = forms.DateField(label="Due date", widget=forms.DateInput(attrs={"type": "date"}))
    remind_days_before = forms.IntegerField(
        label="Remind this many days before", min_value=0, max_value=365, initial=14
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = Membership.objects.current().filter(organization=organization).exclude(role=Role.AUDITOR)
        cast(OwnerChoiceField, self.fields["owner"]).queryset = User.objects.filter(
            pk__in=members.values("user_id")
        ).order_by("email")

    def clean_citation(self) -> str:
        return str(self.cleaned_data["citation"]).strip()


class ObligationCompleteForm(forms.Form):
    # The occurrence being completed, as the page showed it: a repeated submission no longer matches.
    due_on = forms.DateField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "This page is out of date: reload it and submit again.",
            "invalid": "This page is out of date: reload it and submit again.",
        },
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="What was done, by whom, where."
    )
    evidence = forms.ModelChoiceField(
        queryset=Evidence.objects.none(),
        to_field_name="public_id",
        required=False,
        label="Existing evidence",
        empty_label="(none)",
    )
    evidence_file = forms.FileField(label="Or upload a file as evidence", required=False, allow_empty_file=True)

    def __init__(self, *args: Any, organization: Organization, pick_evidence: bool, **kwargs: Any) -> None:
        """`pick_evidence`: whether the member may see (and so choose among) the organization's evidence."""
        super().__init__(*args, **kwargs)
        if pick_evidence:
            cast(forms.ModelChoiceField, self.fields["evidence"]).queryset = Evidence.objects.filter(
                organization=organization, is_deleted=False
            ).order_by("-created_at")
        else:
            del self.fields["evidence"]
