"""Role profile and access exception forms: shape only; the rules live in safeguard.access.services."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from django import forms

from safeguard.access.models import AccessException, System
from safeguard.access.queries import systems
from safeguard.access.rules import ANY_ROLE
from safeguard.core.models import Organization
from safeguard.workforce.models import Person


class DateInput(forms.DateInput):
    input_type = "date"


class SystemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(cast(System, obj).asset.name)


def _system_field(**extra: Any) -> SystemChoiceField:
    return SystemChoiceField(queryset=System.objects.none(), to_field_name="public_id", **extra)


def _org_systems(form: forms.Form, organization: Organization, *names: str) -> None:
    for name in names:
        cast(SystemChoiceField, form.fields[name]).queryset = systems(organization).order_by("asset__name")


def find_person(organization: Organization, text: str) -> Person | None:
    """The roster person an employee id, a work email or a public id names."""
    text = text.strip()
    if not text:
        return None
    people = Person.objects.filter(organization=organization).select_related("manager")
    try:
        return people.filter(public_id=UUID(text)).first()
    except ValueError:
        pass
    return people.filter(employee_id__iexact=text).first() or people.filter(email__iexact=text).first()


class RosterPersonField(forms.CharField):
    """A person named by employee id or work email: a select of a 20,000-person roster would not be usable."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 254)
        super().__init__(**kwargs)
        self.organization: Organization | None = None

    def clean(self, value: Any) -> Person | None:
        text = super().clean(value)
        if not text or self.organization is None:
            return None
        found = find_person(self.organization, text)
        if found is None:
            raise forms.ValidationError(f"No one on the roster has the employee id or work email “{text}”.")
        return found


class ProfileForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="What the job is called here, e.g. “Nurses”.")
    department = forms.CharField(
        max_length=100, required=False, help_text="As the roster writes it. Blank: people in every department."
    )
    job_role = forms.CharField(
        max_length=100, required=False, help_text="As the roster writes it. Blank: every job role in the department."
    )
    requires_clearance = forms.BooleanField(
        required=False,
        label="Requires a clearance",
        help_text="People in this profile need a background check result before their first access.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class GrantForm(forms.Form):
    system = _system_field()
    role = forms.CharField(
        max_length=200,
        help_text=f"The role or group as the system's user list names it; “{ANY_ROLE}” allows any role that is not "
        "privileged.",
    )
    privileged = forms.BooleanField(
        required=False, help_text="Allows privileged (administrative) accounts on the system too."
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _org_systems(self, organization, "system")


class GrantRemoveForm(forms.Form):
    system = _system_field(widget=forms.HiddenInput)
    role = forms.CharField(max_length=200, widget=forms.HiddenInput)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _org_systems(self, organization, "system")


class ExceptionRequestForm(forms.Form):
    person = RosterPersonField(label="Person", help_text="Their employee id or work email.")
    system = _system_field()
    role = forms.CharField(max_length=200, help_text="The one role beyond the profile, as the system names it.")
    privileged = forms.BooleanField(required=False, help_text="The access is privileged (administrative).")
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Why the job needs it, for how long, and who asked."
    )
    expires_on = forms.DateField(
        widget=DateInput, label="Expires on", help_text="The last day it is in force: after today, at most 365 days."
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _org_systems(self, organization, "system")
        cast(RosterPersonField, self.fields["person"]).organization = organization


class DecisionForm(forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, required=False)


class RejectForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=5000, help_text="Why: the requester will read it."
    )


class ExceptionFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *AccessException.Status.choices], required=False)
    expired = forms.TypedChoiceField(
        choices=[("", "Expired or not"), ("yes", "Expired only"), ("no", "Not expired")],
        coerce=lambda value: value == "yes",
        empty_value=None,
        required=False,
    )
    system = _system_field(required=False, empty_label="Any system")
    person = RosterPersonField(required=False, help_text="Employee id or work email.")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _org_systems(self, organization, "system")
        cast(RosterPersonField, self.fields["person"]).organization = organization


class BeyondProfileFilterForm(forms.Form):
    system = _system_field(required=False, empty_label="Every system")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _org_systems(self, organization, "system")


class ProfileDeleteForm(forms.Form):
    confirm = forms.BooleanField(label="Yes, delete this profile and its grants")
