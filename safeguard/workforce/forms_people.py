"""Forms of the roster pages: shape only; the rules live in services/people.py and services/roster.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings

from safeguard.core.forms.file_imports import FileField
from safeguard.core.imports import LocalTimeError, aware, end_of_day
from safeguard.core.models import Organization
from safeguard.core.time_zones import time_zone_choices
from safeguard.workforce.models import IssuedItem, Person, RosterSource, WorkerType

STATUS_CHOICES = [(Person.Status.ACTIVE.value, "Active"), (Person.Status.LEAVE.value, "On leave")]


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"


class TimeZoneField(forms.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "An Area/City name, e.g. America/Chicago.")
        super().__init__(choices=time_zone_choices(), **kwargs)


class PersonFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search", help_text="Name, employee ID or email.")
    status = forms.ChoiceField(choices=[("", "Any status"), *Person.Status.choices], required=False)
    department = forms.ChoiceField(choices=[("", "Any department")], required=False)
    worker_type = forms.ChoiceField(choices=[("", "Any worker type"), *WorkerType.choices], required=False)

    def __init__(self, *args: Any, departments: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["department"])
        field.choices = [("", "Any department"), *((name, name) for name in departments)]


class PersonForm(forms.Form):
    employee_id = forms.CharField(max_length=64, label="Employee ID", help_text="The HR system's identifier.")
    given_name = forms.CharField(max_length=100, required=False)
    family_name = forms.CharField(max_length=100, required=False)
    email = forms.EmailField(required=False, label="Work email")
    user_name = forms.CharField(max_length=200, required=False, help_text="The identity provider's login name.")
    department = forms.CharField(max_length=100, required=False)
    job_role = forms.CharField(max_length=100, required=False)
    manager = forms.CharField(max_length=64, required=False, help_text="The manager's employee ID.")
    worker_type = forms.ChoiceField(choices=WorkerType.choices, initial=WorkerType.EMPLOYEE)
    status = forms.ChoiceField(
        choices=STATUS_CHOICES, initial=Person.Status.ACTIVE, help_text="Terminated follows from the termination."
    )
    hire_date = forms.DateField(required=False, widget=DateInput)
    termination_date = forms.DateField(required=False, widget=DateInput)
    termination_time = forms.TimeField(
        required=False, widget=TimeInput, help_text="Leave empty when only the day is known: it ends that evening."
    )
    time_zone = TimeZoneField(label="Time zone of the termination time")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.fields["time_zone"].initial = settings.TIME_ZONE

    @staticmethod
    def initial_for(person: Person, time_zone: str) -> dict[str, Any]:
        initial: dict[str, Any] = {
            name: getattr(person, name)
            for name in ("employee_id", "given_name", "family_name", "email", "user_name", "department", "job_role")
        }
        initial.update(
            manager=person.manager.employee_id if person.manager else "",
            worker_type=person.worker_type,
            status=person.status if person.status != Person.Status.TERMINATED else Person.Status.ACTIVE,
            hire_date=person.hire_date,
            time_zone=time_zone,
        )
        if person.termination_at:
            local = person.termination_at.astimezone(ZoneInfo(time_zone))
            initial.update(termination_date=local.date(), termination_time=local.time().replace(second=0))
        return initial

    def clean_manager(self) -> Person | None:
        employee_id = self.cleaned_data["manager"].strip()
        if not employee_id:
            return None
        manager = Person.objects.filter(organization=self.organization, employee_id=employee_id).first()
        if manager is None:
            raise forms.ValidationError(f"No one on the roster has the employee ID {employee_id}.")
        return manager

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, clock, zone_name = data.get("termination_date"), data.get("termination_time"), data.get("time_zone")
        hired = data.get("hire_date")
        if clock and not day:
            self.add_error("termination_date", "A termination time needs its date.")
        elif day and hired and day < hired:  # on the calendar the dates were typed in
            self.add_error("termination_date", f"The termination ({day}) is before the hire date ({hired}).")
        elif day and zone_name:
            zone = ZoneInfo(zone_name)
            try:
                data["termination_at"] = aware(datetime.combine(day, clock), zone) if clock else end_of_day(day, zone)
            except LocalTimeError as error:
                self.add_error("termination_time", str(error))
        else:
            data["termination_at"] = None
        return data

    def person_values(self) -> dict[str, Any]:
        """The person fields, leaving the termination alone when none of its inputs changed (the form shows it
        to the minute: saving it back must not move it)."""
        names = ("employee_id", "given_name", "family_name", "email", "user_name", "department", "job_role")
        values = {name: self.cleaned_data[name] for name in names}
        values.update({name: self.cleaned_data[name] for name in ("manager", "worker_type", "status", "hire_date")})
        termination_inputs = ("termination_date", "termination_time", "time_zone")
        if not self.initial or any(name in self.changed_data for name in termination_inputs):
            values["termination_at"] = self.cleaned_data.get("termination_at")
        return values


class IssuedItemForm(forms.Form):
    kind = forms.ChoiceField(choices=IssuedItem.Kind.choices)
    label = forms.CharField(max_length=200, help_text="Asset tag, serial number or key number.")
    issued_on = forms.DateField(required=False, widget=DateInput)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RecoverForm(forms.Form):
    note = forms.CharField(required=False, max_length=2000, label="Note", help_text="Optional: who returned it.")


class RosterImportForm(forms.Form):
    file = FileField()
    source = forms.ModelChoiceField(
        queryset=RosterSource.objects.none(),
        to_field_name="public_id",
        required=False,
        empty_label="— a new source —",
        help_text="The HR system the file comes from: its column mapping is remembered.",
    )
    new_source_name = forms.CharField(max_length=100, required=False, label="New source's name")
    time_zone = TimeZoneField(label="New source's time zone", help_text="How its termination times are read.")
    initial_load = forms.BooleanField(
        required=False,
        label="Initial load",
        help_text="Record the people without opening joiner, mover or leaver workflows.",
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["source"]).queryset = RosterSource.objects.filter(
            organization=organization
        )
        self.fields["time_zone"].initial = settings.TIME_ZONE

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("source") and not (data.get("new_source_name") or "").strip():
            self.add_error("new_source_name", "Choose a source, or name a new one.")
        return data


class RosterSourceForm(forms.Form):
    name = forms.CharField(max_length=100)
    time_zone = TimeZoneField()
