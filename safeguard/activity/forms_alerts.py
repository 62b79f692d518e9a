"""Forms of the alert pages: filters, triage, escalation into an incident, suppressions and escalation levels.
Shape only; the rules are in the services."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguard.activity.models import AlertStatus, DetectionRule, Severity
from safeguard.activity.queries_alerts import AlertFilters
from safeguard.activity.services.escalation import NOTIFIABLE_ROLES
from safeguard.core.models import User
from safeguard.core.roles import Role
from safeguard.incidents.models import Incident, IncidentSeverity

STATUS_FILTERS = [("", "Any"), ("open", "Open (new or triaged)"), *AlertStatus.choices]
TRIAGE_STATUSES = [
    ("", "Keep"),
    (AlertStatus.TRIAGED, "Triaged"),
    (AlertStatus.FALSE_POSITIVE, "False positive"),
    (AlertStatus.BENIGN, "Benign true positive"),
]


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)
    severity = forms.ChoiceField(choices=[("", "Any"), *Severity.choices], required=False)
    rule = forms.CharField(required=False, max_length=100, help_text="The rule's name.")
    assignee = forms.CharField(required=False, max_length=254, help_text="An email, “me” or “none”.")
    source = forms.CharField(required=False, max_length=100)
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filters(self) -> AlertFilters:
        if not self.is_valid():
            return AlertFilters()
        data = self.cleaned_data
        return AlertFilters(
            status=data["status"],
            severity=data["severity"],
            rule=data["rule"],
            assignee=data["assignee"],
            source=data["source"],
            since=data["since"],
            until=data["until"],
        )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} <{obj.email}>"


class TriageForm(forms.Form):
    status = forms.ChoiceField(choices=TRIAGE_STATUSES, required=False)
    assignee = UserChoiceField(queryset=User.objects.none(), required=False, empty_label="(keep)")
    unassign = forms.BooleanField(required=False, label="Unassign")
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)

    def __init__(self, *args: Any, triagers: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(pk__in=[user.pk for user in triagers])  # type: ignore[attr-defined]


class BulkTriageForm(TriageForm):
    alerts = forms.CharField(widget=forms.HiddenInput, required=False)


class EscalateForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    incident = forms.ModelChoiceField(
        queryset=Incident.objects.none(), required=False, empty_label="(open a new incident)"
    )
    title = forms.CharField(required=False, max_length=200, help_text="New incident: blank takes the alert's title.")
    severity = forms.ChoiceField(choices=[("", "From the alert"), *IncidentSeverity.choices], required=False)
    owner = UserChoiceField(queryset=User.objects.none(), required=False)
    is_suspected_breach = forms.BooleanField(required=False, label="Unsecured PHI may have been disclosed")

    def __init__(self, *args: Any, triagers: list[User], open_incidents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = User.objects.filter(pk__in=[user.pk for user in triagers])  # type: ignore[attr-defined]
        self.fields["incident"].queryset = open_incidents  # type: ignore[attr-defined]


class SuppressionForm(forms.Form):
    rule = forms.ModelChoiceField(queryset=DetectionRule.objects.none(), to_field_name="name")
    group_text = forms.CharField(required=False, max_length=500, help_text="Blank: every group key of the rule.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    ends_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), help_text="Blank: until revoked."
    )

    def __init__(self, *args: Any, organization: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].queryset = DetectionRule.objects.filter(organization=organization)  # type: ignore[attr-defined]


class EscalationLevelForm(forms.Form):
    severity = forms.ChoiceField(choices=Severity.choices)
    notify_user = UserChoiceField(queryset=User.objects.none(), required=False)
    notify_role = forms.ChoiceField(
        choices=[("", "(a person)"), *[(role.value, role.label) for role in Role if role in NOTIFIABLE_ROLES]],
        required=False,
    )
    ack_minutes = forms.IntegerField(min_value=1)
    remind_every_minutes = forms.IntegerField(min_value=1, required=False)

    def __init__(self, *args: Any, triagers: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["notify_user"].queryset = User.objects.filter(pk__in=[user.pk for user in triagers])  # type: ignore[attr-defined]
