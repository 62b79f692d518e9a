"""Curriculum forms: topics, courses, prerequisites, lessons and quiz questions. Shape only: the rules (ranges,
a correct answer per question, no cycle of prerequisites…) live in services/curriculum.py and course_content.py,
so the pages and the API refuse the same things with the same words."""

from __future__ import annotations

import re
from typing import Any, cast
from uuid import UUID

from django import forms

from safeguard.core.models import Organization
from safeguard.training.models import Course, CourseKind, Delivery, Question, Topic
from safeguard.training.services.quiz_rules import MAX_CHOICES, ChoiceInput

MARKDOWN_HELP = "Markdown: headings (#), lists (-), **bold**, links. Scripts and raw HTML are removed."


class TopicChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(cast(Topic, obj).name)


class CourseChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        course = cast(Course, obj)
        status = "" if course.status == Course.Status.PUBLISHED else f" ({course.get_status_display().lower()})"
        return f"{course.code}: {course.title}{status}"


class TopicForm(forms.Form):
    key = forms.CharField(max_length=40, help_text="A stable name: lowercase letters, digits, _ and -.")
    name = forms.CharField(max_length=100)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    citations = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="The catalog requirements the topic serves, one per line or separated by commas, "
        "e.g. 164.308(a)(5)(ii)(B).",
    )

    def clean_citations(self) -> list[str]:
        return [part for part in re.split(r"[\s,;]+", str(self.cleaned_data["citations"])) if part]


class CourseForm(forms.Form):
    code = forms.CharField(
        max_length=40, help_text="Short and unique, e.g. SEC-101: import files name the course by it."
    )
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=CourseKind.choices)
    delivery = forms.ChoiceField(
        choices=Delivery.choices,
        initial=Delivery.IN_APP,
        help_text="Changes only while the course is a draft.",
    )
    external_url = forms.CharField(
        label="Link",
        max_length=200,
        required=False,
        help_text="External courses only: where people take it (https://…). Their completions are imported.",
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text=MARKDOWN_HELP)
    minutes = forms.IntegerField(initial=10, help_text="About how long the course takes.")
    pass_mark = forms.IntegerField(initial=80, label="Pass mark (%)", help_text="From 1 to 100.")
    max_attempts = forms.IntegerField(
        initial=3,
        label="Failed attempts allowed",
        help_text="From 0 (no limit) to 20; then a program manager must grant more.",
    )
    randomize = forms.BooleanField(
        required=False, initial=True, help_text="Shuffle the questions and their choices for each attempt."
    )
    topics = TopicChoiceField(
        queryset=Topic.objects.none(),
        to_field_name="public_id",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(TopicChoiceField, self.fields["topics"])
        field.queryset = Topic.objects.filter(organization=organization).order_by("name")


class CourseFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "Any kind"), *CourseKind.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *Course.Status.choices], required=False)
    topic = forms.ModelChoiceField(
        queryset=Topic.objects.none(), to_field_name="public_id", required=False, empty_label="Any topic"
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["topic"])
        field.queryset = Topic.objects.filter(organization=organization).order_by("name")


class PrerequisitesForm(forms.Form):
    prerequisites = CourseChoiceField(
        queryset=Course.objects.none(),
        to_field_name="public_id",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="A person completes these before starting this course.",
    )

    def __init__(self, *args: Any, course: Course, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(CourseChoiceField, self.fields["prerequisites"])
        field.queryset = (
            Course.objects.filter(organization_id=course.organization_id)
            .exclude(pk=course.pk)
            .exclude(status=Course.Status.RETIRED)
            .order_by("code")
        )


class LessonForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 16}), help_text=MARKDOWN_HELP, strip=False)


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Up"), ("down", "Down")])


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label="Yes, delete it")


class QuestionForm(forms.Form):
    """The question, then up to MAX_CHOICES choice rows; blank rows are left out."""

    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Question")
    kind = forms.ChoiceField(choices=Question.Kind.choices, initial=Question.Kind.SINGLE)
    explanation = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Shown after an attempt: why the right answer is right.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for n in range(1, MAX_CHOICES + 1):
            self.fields[f"choice_{n}_id"] = forms.UUIDField(required=False, widget=forms.HiddenInput)
            self.fields[f"choice_{n}_text"] = forms.CharField(max_length=500, required=False, label=f"Choice {n}")
            self.fields[f"choice_{n}_correct"] = forms.BooleanField(required=False, label="Correct")

    @staticmethod
    def initial_for(question: Question) -> dict[str, object]:
        initial: dict[str, object] = {
            "text": question.text,
            "kind": question.kind,
            "explanation": question.explanation,
        }
        for n, choice in enumerate(question.choices.all(), start=1):
            initial |= {f"choice_{n}_id": choice.public_id, f"choice_{n}_text": choice.text}
            initial[f"choice_{n}_correct"] = choice.correct
        return initial

    def choice_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (self[f"choice_{n}_id"], self[f"choice_{n}_text"], self[f"choice_{n}_correct"])
            for n in range(1, MAX_CHOICES + 1)
        ]

    def choices(self) -> list[ChoiceInput]:
        picked = []
        for n in range(1, MAX_CHOICES + 1):
            text = str(self.cleaned_data.get(f"choice_{n}_text") or "")
            if text.strip():
                public_id = cast(UUID | None, self.cleaned_data.get(f"choice_{n}_id"))
                picked.append(ChoiceInput(text, bool(self.cleaned_data.get(f"choice_{n}_correct")), public_id))
        return picked

    def values(self) -> dict[str, Any]:
        return {
            "text": self.cleaned_data["text"],
            "kind": self.cleaned_data["kind"],
            "explanation": self.cleaned_data["explanation"],
            "choices": self.choices(),
        }
