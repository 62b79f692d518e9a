"""Forms of the learner's pages and of the completion records: shape only; the rules live in the services."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from django import forms

from safeguard.core.forms.file_imports import FileField
from safeguard.core.models import Organization
from safeguard.training.models import Completion, Course, Question
from safeguard.workforce.models import Person


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class CourseField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        course = cast(Course, obj)
        retired = " (retired)" if course.status == Course.Status.RETIRED else ""
        return f"{course.code}: {course.title}{retired}"


def recordable_courses(organization: Organization) -> Any:
    """Courses a completion may be recorded for: published or retired, never a draft."""
    return Course.objects.filter(organization=organization).exclude(status=Course.Status.DRAFT).order_by("code")


def find_person(organization: Organization, text: str) -> Person | None:
    """The roster person an employee id, a work email or a public id names."""
    text = text.strip()
    if not text:
        return None
    people = Person.objects.filter(organization=organization)
    try:
        return people.filter(public_id=UUID(text)).first()
    except ValueError:
        pass
    by_id = people.filter(employee_id__iexact=text).first()
    if by_id is not None:
        return by_id
    by_email = list(people.filter(email__iexact=text)[:2])
    return by_email[0] if len(by_email) == 1 else None


class QuizForm(forms.Form):
    """One field per question of an attempt, in the attempt's order, its choices in the attempt's order. Fields are
    optional here: the service names the first unanswered question ("Answer question 3")."""

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for number, question in enumerate(questions, start=1):
            choices = [(str(choice.public_id), choice.text) for choice in getattr(question, "shown_choices", [])]
            label = f"{number}. {question.text}"
            if question.kind == Question.Kind.MULTIPLE:
                self.fields[str(question.public_id)] = forms.MultipleChoiceField(
                    choices=choices,
                    required=False,
                    label=label,
                    widget=forms.CheckboxSelectMultiple,
                    help_text="Choose every answer that is right.",
                )
            else:
                self.fields[str(question.public_id)] = forms.ChoiceField(
                    choices=choices, required=False, label=label, widget=forms.RadioSelect
                )

    def answers(self) -> dict[str, list[str]]:
        picked: dict[str, list[str]] = {}
        for name, value in self.cleaned_data.items():
            picked[name] = [str(item) for item in value] if isinstance(value, list) else ([value] if value else [])
        return picked


class CompletionFilterForm(forms.Form):
    course = CourseField(queryset=Course.objects.none(), to_field_name="public_id", required=False)
    person = forms.CharField(
        required=False, max_length=200, label="Person", help_text="Employee id, or part of a name or email."
    )
    source = forms.ChoiceField(choices=[("", "Any"), *Completion.Source.choices], required=False)
    completed_from = forms.DateField(required=False, widget=DateInput(), label="Completed from")
    completed_to = forms.DateField(required=False, widget=DateInput(), label="Completed to")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(CourseField, self.fields["course"]).queryset = Course.objects.filter(organization=organization).order_by(
            "code"
        )


class CompletionRecordForm(forms.Form):
    person = forms.CharField(max_length=254, help_text="Their employee id or work email, as on the roster.")
    course = CourseField(queryset=Course.objects.none(), to_field_name="public_id")
    completed_at = forms.DateTimeField(
        widget=DateTimeInput(), label="Completed at", help_text="In the installation's time zone."
    )
    score = forms.IntegerField(required=False, help_text="Percent, when there was a test.")
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Where it happened, e.g. “Classroom session with the security official”.",
    )
    evidence_file = forms.FileField(
        required=False,
        allow_empty_file=True,
        label="Evidence file",
        help_text="A sign-in sheet or a vendor's certificate: kept as evidence and linked to the completion.",
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organization = organization
        cast(CourseField, self.fields["course"]).queryset = recordable_courses(organization)

    def clean_person(self) -> Person:
        text = self.cleaned_data["person"]
        found = find_person(self.organization, text)
        if found is None:
            raise forms.ValidationError(f"No one on the roster has the employee id or email “{text.strip()}”.")
        return found


class CompletionImportForm(forms.Form):
    file = FileField()
