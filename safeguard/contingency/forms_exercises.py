"""Exercise forms: shape only, the rules are in services/exercises.py and services/actions.py."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguard.contingency.models import ContingencyPlan, Exercise
from safeguard.contingency.services.actions import action_owner_choices
from safeguard.core.models import Membership, Organization, User
from safeguard.risk.models import Asset


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


def _members(organization: Organization) -> Any:
    return User.objects.filter(pk__in=Membership.objects.filter(organization=organization).values("user_id")).order_by(
        "email"
    )


class ExerciseForm(forms.Form):
    kind = forms.ChoiceField(choices=Exercise.Kind.choices)
    title = forms.CharField(max_length=200)
    scenario = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    held_on = forms.DateField(label="Date", widget=DateInput())
    facilitator = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    participants = forms.ModelMultipleChoiceField(
        queryset=User.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    other_participants = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), help_text="Vendors, business associates, others."
    )
    plans = forms.ModelMultipleChoiceField(
        queryset=ContingencyPlan.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Plans exercised",
    )
    assets = forms.ModelMultipleChoiceField(
        queryset=Asset.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    outcomes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    lessons_learned = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    completed = forms.BooleanField(required=False, label="Held and written up")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = _members(organization)
        self.fields["facilitator"].queryset = members  # type: ignore[attr-defined]
        self.fields["participants"].queryset = members  # type: ignore[attr-defined]
        self.fields["plans"].queryset = ContingencyPlan.objects.filter(organization=organization)  # type: ignore[attr-defined]
        self.fields["assets"].queryset = Asset.objects.filter(organization=organization)  # type: ignore[attr-defined]


class TimelineEntryForm(forms.Form):
    at = forms.DateTimeField(label="When", widget=DateTimeInput())
    entry = forms.CharField(max_length=1000, label="What happened", widget=forms.Textarea(attrs={"rows": 2}))


class ExerciseActionForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(queryset=User.objects.none())
    due_on = forms.DateField(label="Due", widget=DateInput())

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = action_owner_choices(organization)  # type: ignore[attr-defined]
