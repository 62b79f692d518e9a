"""Assignment rule and assignment forms: shape only; the rules live in services/assignment_rules.py and
services/assignments.py."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.utils import timezone

from safeguard.access.forms_profiles import RosterPersonField
from safeguard.core.models import Organization
from safeguard.training.models import Assignment, AudienceKind, Cadence, Course


class DateInput(forms.DateInput):
    input_type = "date"


class CourseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        course = cast(Course, obj)
        return f"{course.title} ({course.code})"


def _course_field(**extra: Any) -> CourseChoiceField:
    return CourseChoiceField(queryset=Course.objects.none(), to_field_name="public_id", **extra)


def _org_courses(form: forms.Form, organization: Organization, *, published_only: bool) -> None:
    courses = Course.objects.filter(organization=organization).order_by("title", "code")
    if published_only:
        courses = courses.filter(status=Course.Status.PUBLISHED)
    cast(CourseChoiceField, form.fields["course"]).queryset = courses


def split_values(text: str) -> list[str]:
    """One value a line, or several on a line separated by commas."""
    return [part.strip() for part in re.split(r"[,\n]", text or "") if part.strip()]


class RuleForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="E.g. “Annual refresher for everyone”.")
    course = _course_field(help_text="Only published courses are assigned.")
    audience = forms.ChoiceField(choices=AudienceKind.choices)
    audience_values = forms.CharField(
        label="Departments, job roles or worker types",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="For an audience by department, job role or worker type: one a line (or separated by commas), "
        "spelled as the roster spells them. Leave empty for the other audiences.",
    )
    cadence = forms.ChoiceField(choices=Cadence.choices, initial=Cadence.ONCE)
    due_days = forms.IntegerField(
        label="Days to complete",
        initial=30,
        help_text="From the hire date, the click, the sanction, or the day it is assigned (1–365).",
    )
    calendar_month = forms.IntegerField(
        label="Yearly due month", required=False, help_text="For “every year by a fixed date”: 1–12."
    )
    calendar_day = forms.IntegerField(label="Yearly due day", required=False, help_text="Day of the month.")
    notice_days = forms.IntegerField(
        label="Notice (days)",
        initial=30,
        help_text="For a yearly course: how many days before the due date the next round is assigned (1–180).",
    )
    starts_on = forms.DateField(
        widget=DateInput,
        label="Starts on",
        help_text="Hires, clicks and sanctions from this day on are assigned; earlier ones are not.",
    )
    active = forms.BooleanField(required=False, initial=True, help_text="Assigns people as soon as it is saved.")

    def __init__(self, *args: Any, organization: Organization, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _org_courses(self, organization, published_only=not editing)
        if editing:
            del self.fields["active"]  # switched on and off from the rule's page
        else:
            self.fields["starts_on"].initial = timezone.localdate()

    def clean_audience_values(self) -> list[str]:
        return split_values(self.cleaned_data.get("audience_values", ""))


class RuleDeactivateForm(forms.Form):
    cancel_open = forms.BooleanField(
        required=False,
        label="Also cancel its open assignments",
        help_text="Otherwise the people it assigned still owe the course by their due dates.",
    )


class AssignmentCreateForm(forms.Form):
    person = RosterPersonField(label="Person", help_text="Their employee id or work email.")
    course = _course_field()
    due_on = forms.DateField(widget=DateInput, label="Due on")
    reason = forms.CharField(max_length=300, help_text="Why, e.g. “Moved to billing: needs the billing course”.")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _org_courses(self, organization, published_only=True)
        cast(RosterPersonField, self.fields["person"]).organization = organization
        self.fields["person"].required = True


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class ExtendForm(forms.Form):
    due_on = forms.DateField(widget=DateInput, label="New due date")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class AssignmentFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *Assignment.Status.choices], required=False)
    course = _course_field(required=False, empty_label="Any course")
    department = forms.CharField(max_length=100, required=False)
    person = forms.CharField(max_length=200, required=False, help_text="Name, employee id or email.")
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _org_courses(self, organization, published_only=False)
