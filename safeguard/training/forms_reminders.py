"""Security reminder forms: shape only; the rules live in services/reminders.py."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.utils import timezone

from safeguard.core.models import Organization
from safeguard.training.models import ROSTER_AUDIENCES, AudienceKind, SecurityReminder, Topic

SEPARATORS = re.compile(r"[\n,;]")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class TopicChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(cast(Topic, obj).name)


class ValuesField(forms.CharField):
    """Departments, job roles or worker types: one per line, or separated by commas."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [part.strip() for part in SEPARATORS.split(text) if part.strip()]


class ReminderForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="The email's subject too, e.g. “Lock your screen”.")
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        label="Text",
        help_text="Markdown. Short and practical: one habit, why it matters, what to do.",
    )
    topics = TopicChoiceField(
        queryset=Topic.objects.none(), to_field_name="public_id", widget=forms.CheckboxSelectMultiple, required=False
    )
    audience = forms.ChoiceField(choices=[(kind, AudienceKind(kind).label) for kind in ROSTER_AUDIENCES])
    audience_values = ValuesField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        label="Which ones",
        help_text="For departments, job roles or worker types: one per line, or separated by commas.",
    )
    send_email = forms.BooleanField(
        required=False, initial=True, label="Also email it", help_text="Each person with a work email on the roster."
    )
    scheduled_for = forms.DateTimeField(
        widget=DateTimeInput(),
        required=False,
        label="Send at",
        help_text="Blank: now. A time in the past means “at the next run” once scheduled.",
    )
    repeat_months = forms.IntegerField(
        min_value=0, max_value=12, initial=0, label="Repeat every (months)", help_text="0: send it once."
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topics = cast(TopicChoiceField, self.fields["topics"])
        topics.queryset = Topic.objects.filter(organization=organization).order_by("name")


def reminder_initial(reminder: SecurityReminder) -> dict[str, Any]:
    return {
        "title": reminder.title,
        "body": reminder.body,
        "topics": [topic.public_id for topic in reminder.topics.all()],
        "audience": reminder.audience,
        "audience_values": "\n".join(reminder.audience_values),
        "send_email": reminder.send_email,
        "scheduled_for": timezone.localtime(reminder.scheduled_for),
        "repeat_months": reminder.repeat_months,
    }


class ReminderFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *SecurityReminder.Status.choices], required=False)


class ScheduleForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        widget=DateTimeInput(),
        required=False,
        label="Send at",
        help_text="Blank: the time the draft holds. A time in the past: at the next run.",
    )
