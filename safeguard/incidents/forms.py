"""The incident edit form: shape only, the rules are in services.py."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguard.core.models import User
from safeguard.incidents.models import IncidentSeverity, IncidentStatus


class IncidentForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    severity = forms.ChoiceField(choices=IncidentSeverity.choices)
    status = forms.ChoiceField(choices=IncidentStatus.choices)
    owner = forms.ModelChoiceField(queryset=User.objects.none())
    is_suspected_breach = forms.BooleanField(required=False, label="Unsecured PHI may have been disclosed")

    def __init__(self, *args: Any, owners: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(pk__in=[user.pk for user in owners])  # type: ignore[attr-defined]


class IncidentFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any"), ("open", "Open"), *IncidentStatus.choices], required=False)
