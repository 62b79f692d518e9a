"""Corrective action forms: shape only, the rules are in services/actions.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from safeguard.contingency.models import CorrectiveAction
from safeguard.contingency.services.actions import action_owner_choices
from safeguard.core.models import Organization, User
from safeguard.risk.models import Asset, Risk


class DateInput(forms.DateInput):
    input_type = "date"


def open_risks(organization: Organization) -> QuerySet[Risk]:
    return Risk.objects.filter(organization=organization, status=Risk.Status.OPEN).order_by("number")


class ActionForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.ModelChoiceField(queryset=User.objects.none())
    due_on = forms.DateField(label="Due", widget=DateInput())
    asset = forms.ModelChoiceField(queryset=Asset.objects.none(), required=False)
    risk = forms.ModelChoiceField(
        queryset=Risk.objects.none(), required=False, label="Risk in the risk register", help_text="Optional."
    )

    def __init__(self, *args: Any, organization: Organization, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = action_owner_choices(organization)  # type: ignore[attr-defined]
        self.fields["asset"].queryset = Asset.objects.filter(organization=organization)  # type: ignore[attr-defined]
        self.fields["risk"].queryset = open_risks(organization)  # type: ignore[attr-defined]
        if editing:
            del self.fields["asset"]
            self.fields["status"] = forms.ChoiceField(
                choices=[(s, CorrectiveAction.Status(s).label) for s in ("open", "in_progress")]
            )


class CompleteForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="What was done")
    completed_on = forms.DateField(required=False, widget=DateInput(), help_text="Blank: today.")
    evidence_file = forms.FileField(required=False, label="Proof (optional)")


class CancelForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class ActionFilterForm(forms.Form):
    STATES = (("open", "Open"), ("overdue", "Overdue"), ("closed", "Done or cancelled"), ("all", "All"))
    state = forms.ChoiceField(choices=STATES, required=False)
    origin = forms.ChoiceField(choices=[("", "Any origin"), *CorrectiveAction.Origin.choices], required=False)
    mine = forms.BooleanField(required=False, label="Mine only")
