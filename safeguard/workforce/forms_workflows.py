"""Forms of the workflow pages: shape only; the rules live in safeguard.workforce.services.tasks and .workflows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from safeguard.core.dates import EARLIEST
from safeguard.core.forms.obligations import OwnerChoiceField
from safeguard.core.imports import aware, parse_naive_datetime
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.core.time_zones import is_time_zone, time_zone_choices
from safeguard.workforce.models import Clearance, Workflow, WorkflowTask
from safeguard.workforce.services.workflows import SETTINGS_LIMITS

TaskKind = WorkflowTask.Kind
WINDOWS = [(30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "365 days")]


def read_moment(text: str, zone_name: str) -> datetime:
    """A date and time as a person types it, read in `zone_name` unless it carries its own offset. A wall time
    that a daylight-saving change skips or repeats is refused (ValueError with the reason)."""
    moment = parse_naive_datetime(text)
    if moment is None:
        raise ValueError(f"{text!r} is not a date and time: write e.g. 2026-03-08 14:30.")
    if moment.tzinfo is None and not is_time_zone(zone_name):
        raise ValueError(f"{zone_name!r} is not a time zone: use a name such as America/New_York.")
    return aware(moment, ZoneInfo(zone_name) if moment.tzinfo is None else ZoneInfo("UTC"))


def members_who_may_approve(organization: Organization) -> QuerySet[User]:
    members = Membership.objects.current().filter(organization=organization).exclude(role=Role.AUDITOR)
    return User.objects.filter(pk__in=members.values("user_id")).order_by("email")


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class WorkflowFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Workflow.Kind.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *Workflow.Status.choices], required=False)
    overdue = forms.BooleanField(required=False, label="Only with overdue tasks")


class TaskCompleteForm(forms.Form):
    effective_at = forms.CharField(
        required=False,
        label="When it was done",
        widget=DateTimeInput,
        help_text="Leave blank for now.",
    )
    time_zone = forms.ChoiceField(choices=(), required=False, label="Time zone of that time")
    clearance_result = forms.ChoiceField(
        choices=[("", "Choose…"), (Clearance.Result.PASSED, "Passed"), (Clearance.Result.FAILED, "Failed")],
        required=False,
        label="Result",
    )
    clearance_kind = forms.CharField(max_length=100, initial="Background check", required=False, label="Clearance")
    completed_on = forms.DateField(required=False, widget=DateInput, label="Result date")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000)

    def __init__(self, *args: Any, task: WorkflowTask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        effective_at = self.fields["effective_at"]
        if task.kind == TaskKind.DEPROVISION:
            zone = cast(forms.ChoiceField, self.fields["time_zone"])
            zone.choices = time_zone_choices()
            zone.initial = timezone.get_current_timezone_name()
            effective_at.label = "When the account was disabled"
            effective_at.help_text = "As the system's log shows it; blank for now. The leaver target is measured to it."
        else:
            # Only a disablement is measured to the minute; other times are read in the server's zone.
            del self.fields["time_zone"]
        if task.kind == TaskKind.CLEARANCE:
            self.fields["clearance_result"].required = True
            self.fields["completed_on"].required = True
            self.fields["completed_on"].widget.attrs.update(
                {"min": EARLIEST.isoformat(), "max": timezone.localdate().isoformat()}
            )
        else:
            for name in ("clearance_result", "clearance_kind", "completed_on"):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text = (data.get("effective_at") or "").strip()
        if not text:
            data["effective_at"] = None
            return data
        try:
            data["effective_at"] = read_moment(text, data.get("time_zone") or timezone.get_current_timezone_name())
        except ValueError as error:
            self.add_error("effective_at", str(error))
        return data

    def values(self) -> dict[str, Any]:
        """The service's arguments."""
        data = dict(self.cleaned_data)
        data.pop("time_zone", None)
        if "clearance_kind" in data:
            data["clearance_kind"] = data["clearance_kind"] or "Background check"
        return data


class TaskWaiveForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        help_text="Why this step is skipped: the recorded, approved exception.",
    )


class ClearanceForm(forms.Form):
    kind = forms.CharField(max_length=100, initial="Background check", help_text="What the clearance was.")
    result = forms.ChoiceField(choices=Clearance.Result.choices)
    completed_on = forms.DateField(
        required=False, widget=DateInput, label="Result date", help_text="When the result came back (not pending)."
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["completed_on"].widget.attrs.update(
            {"min": EARLIEST.isoformat(), "max": timezone.localdate().isoformat()}
        )


class AuthorizationForm(forms.Form):
    authorized_by = OwnerChoiceField(
        queryset=User.objects.none(),
        to_field_name="public_id",
        label="Approved by",
        help_text="The manager or official who approved the access.",
    )
    authorized_on = forms.DateField(widget=DateInput, label="Approved on")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        help_text="What access was approved, and where the original approval is kept.",
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(OwnerChoiceField, self.fields["authorized_by"]).queryset = members_who_may_approve(organization)
        self.fields["authorized_on"].widget.attrs.update(
            {"min": EARLIEST.isoformat(), "max": timezone.localdate().isoformat()}
        )


class WorkforceSettingsForm(forms.Form):
    leaver_sla_hours = forms.IntegerField(
        label="Leaver target (hours)",
        help_text="Hours from a termination within which every account must be disabled. The 2025 proposed rule "
        "would set 1 hour.",
    )
    joiner_due_days = forms.IntegerField(label="Joiner steps due after (days)")
    mover_due_days = forms.IntegerField(label="Mover access changes due after (days)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (low, high, _) in SETTINGS_LIMITS.items():
            self.fields[name].widget.attrs.update({"min": low, "max": high})


class LeaverSlaForm(forms.Form):
    days = forms.TypedChoiceField(choices=WINDOWS, coerce=int, required=False, label="Leavers of the last")
