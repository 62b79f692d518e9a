"""Acknowledgement forms: shape only; the rules live in safeguard.training.services.acknowledgements."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any, cast

from django import forms
from django.utils import timezone

from safeguard.core.models import Organization
from safeguard.training.models import ROSTER_AUDIENCES, AckDocument, Topic
from safeguard.training.queries_acks import AckState
from safeguard.training.services.ack_documents import DUE_DAYS_MAX, SUMMARY_MAX, TITLE_MAX

WRITABLE_KINDS = [(kind.value, kind.label) for kind in (AckDocument.Kind.POLICY, AckDocument.Kind.QUICK_REFERENCE)]


class TopicField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Topic) -> str:
        return obj.name


class DocumentForm(forms.Form):
    title = forms.CharField(
        max_length=TITLE_MAX, help_text="E.g. “Acceptable use policy” or “Lost device: what to do”."
    )
    kind = forms.ChoiceField(
        choices=WRITABLE_KINDS,
        help_text="Everyone acknowledging every policy addressed to them completes a new hire's "
        "“acknowledges the security policies” step.",
    )
    topic = TopicField(queryset=Topic.objects.none(), to_field_name="public_id", required=False)
    audience = forms.ChoiceField(choices=[(kind.value, kind.label) for kind in ROSTER_AUDIENCES])
    audience_values = forms.CharField(
        required=False,
        label="Departments, job roles or worker types",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For an audience other than everyone: one per line, or separated by commas.",
    )
    due_days = forms.IntegerField(
        min_value=1, max_value=DUE_DAYS_MAX, initial=30, label="Days to acknowledge", help_text="From the request."
    )

    def __init__(self, *args: Any, organization: Organization, sanction: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(TopicField, self.fields["topic"]).queryset = Topic.objects.filter(organization=organization)
        if sanction:  # the sanction policy is for everyone, and stays a sanction policy
            for name in ("kind", "audience", "audience_values"):
                del self.fields[name]

    def clean_audience_values(self) -> list[str]:
        text = self.cleaned_data.get("audience_values") or ""
        return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


class VersionForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18}),
        label="Text",
        help_text="Markdown: headings (#), lists (-), **bold**, links. What people read and acknowledge.",
    )
    summary = forms.CharField(
        max_length=SUMMARY_MAX, required=False, label="What changed", help_text="From the previous version."
    )
    file_upload = forms.FileField(
        required=False, label="File", help_text="The formatted or signed document, kept as evidence."
    )


class PaperForm(forms.Form):
    person = forms.CharField(max_length=254, help_text="Their employee id or work email.")
    acknowledged_on = forms.DateField(
        label="Signed on", widget=forms.DateInput(attrs={"type": "date"}), help_text="The date on the signed page."
    )
    evidence_file = forms.FileField(label="Signed page", help_text="A scan or photo of the signed page.")
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)

    def signed_at(self) -> datetime:
        """Noon of the day signed (or now, signed today before noon), in the installation's time zone: paper gives a
        day, not a moment."""
        noon = datetime.combine(self.cleaned_data["acknowledged_on"], time(12), tzinfo=timezone.get_current_timezone())
        return min(noon, timezone.now())


class StatusFilterForm(forms.Form):
    ack_state = forms.ChoiceField(choices=[("", "Any status"), *AckState.choices], required=False, label="Status")
    department = forms.ChoiceField(choices=[("", "Any department")], required=False)

    def __init__(self, *args: Any, departments: list[str], current: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Any department"), *((name, name) for name in departments)]
        cast(forms.ChoiceField, self.fields["department"]).choices = choices
        # Pending and overdue belong to the current version; "missed" to one replaced since.
        states = (AckState.ACKNOWLEDGED, AckState.PENDING, AckState.OVERDUE) if current else AckState.ENDED
        shown = [("", "Any status"), *((state, AckState.labels[state]) for state in states)]
        cast(forms.ChoiceField, self.fields["ack_state"]).choices = shown


class AcknowledgeForm(forms.Form):
    confirm = forms.BooleanField(
        label="I have read and understood this document, and I will follow it.",
        error_messages={"required": "Tick the box to confirm you have read and understood the document."},
    )


def audience_text(values: list[str]) -> str:
    return "\n".join(values)
