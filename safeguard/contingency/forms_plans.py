"""Plan forms: shape only; the rules live in safeguard.contingency.services.plans and plan_sections.

The list sections are edited as text, one item per line with the parts separated by “|” (communication templates,
which have a body of several lines, are blocks separated by a line of three dashes). The formats are shown under
each field and in the user documentation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from django import forms

from safeguard.contingency.models import Exercise, PlanKind
from safeguard.contingency.plan_sections import CONTACT_KEYS, ROLE_KEYS
from safeguard.contingency.services.plans import REVIEW_CADENCES
from safeguard.core.models import Organization
from safeguard.core.models.obligations import Cadence
from safeguard.incidents.models import Incident
from safeguard.risk.models import Asset

SEPARATOR = "|"
TEMPLATE_BREAK = "---"
ROLES_HELP = (
    "One role per line: Role | Person | Alternate | Duties. "
    "For example: Incident commander | Dana Ortiz | Sam Lee | Declares the emergency."
)
CONTACTS_HELP = (
    "One contact per line: Name | Organization | Kind | Role | Phone | E-mail | Called by. Kind is internal, vendor "
    "or business associate; Called by names the contact who phones this one (blank at the top of the call tree)."
)
TEMPLATES_HELP = (
    "One template per block, blocks separated by a line “---”. The first line of a block is Audience | Subject, "
    "the lines after it the message."
)


def _join(rows: Sequence[dict[str, str]], keys: Sequence[str]) -> str:
    lines = []
    for row in rows:
        parts = [row.get(key, "") for key in keys]
        while parts and not parts[-1]:
            parts.pop()
        lines.append(f" {SEPARATOR} ".join(parts))
    return "\n".join(lines)


def roles_text(rows: Sequence[dict[str, str]]) -> str:
    return _join(rows, ROLE_KEYS)


def contacts_text(rows: Sequence[dict[str, str]]) -> str:
    shown = [{**row, "kind": row.get("kind", "").replace("_", " ")} for row in rows]
    return _join(shown, CONTACT_KEYS)


def templates_text(rows: Sequence[dict[str, str]]) -> str:
    blocks = [f"{row.get('audience', '')} {SEPARATOR} {row.get('subject', '')}\n{row.get('body', '')}" for row in rows]
    return f"\n{TEMPLATE_BREAK}\n".join(blocks)


def _split_lines(text: str, keys: Sequence[str], what: str) -> list[dict[str, str]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split(SEPARATOR)]
        if len(parts) > len(keys):
            raise forms.ValidationError(
                f"Line {number}: a {what} has at most {len(keys)} parts separated by “{SEPARATOR}”, "
                f"this line has {len(parts)}."
            )
        rows.append(dict(zip(keys, parts + [""] * (len(keys) - len(parts)), strict=True)))
    return rows


def parse_roles(text: str) -> list[dict[str, str]]:
    return _split_lines(text, ROLE_KEYS, "role")


def parse_contacts(text: str) -> list[dict[str, str]]:
    rows = _split_lines(text, CONTACT_KEYS, "contact")
    for row in rows:
        row["kind"] = row["kind"].lower().replace(" ", "_")
    return rows


def parse_templates(text: str) -> list[dict[str, str]]:
    templates, block, first_line = [], [], 1
    lines = [*text.splitlines(), TEMPLATE_BREAK]
    for number, line in enumerate(lines, start=1):
        if line.strip() != TEMPLATE_BREAK:
            block.append(line)
            continue
        while block and not block[0].strip():
            block.pop(0)
            first_line += 1
        if block:
            head, *body = block
            if SEPARATOR not in head:
                raise forms.ValidationError(
                    f"Line {first_line}: start a template with Audience {SEPARATOR} Subject on its first line."
                )
            audience, subject = (part.strip() for part in head.split(SEPARATOR, 1))
            templates.append({"audience": audience, "subject": subject, "body": "\n".join(body).strip()})
        block, first_line = [], number + 1
    return templates


class ListField(forms.CharField):
    """A textarea parsed into a list of items by `parse` (a ValidationError names the line at fault)."""

    def __init__(self, parse: Callable[[str], list[dict[str, str]]], **kwargs: Any) -> None:
        self.parse = parse
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 6, "class": "mono"}))
        super().__init__(required=False, strip=False, **kwargs)

    def clean(self, value: Any) -> list[dict[str, str]]:
        return self.parse(super().clean(value) or "")


class PlanForm(forms.Form):
    kind = forms.ChoiceField(choices=PlanKind.choices)
    title = forms.CharField(max_length=200)
    review_cadence = forms.ChoiceField(
        choices=[(value, Cadence(value).label) for value in REVIEW_CADENCES], initial=Cadence.ANNUAL
    )


class AssetChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class PlanVersionForm(forms.Form):
    activation_criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, help_text="When the plan is invoked, and by whom."
    )
    roles = ListField(parse_roles, label="Roles and alternates", help_text=ROLES_HELP)
    contacts = ListField(parse_contacts, label="Contacts and call tree", help_text=CONTACTS_HELP)
    manual_procedures = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        label="Manual procedures (first 24–72 hours)",
        help_text="What staff do by hand while systems are down: downtime forms, paper charts, phone orders.",
    )
    templates = ListField(parse_templates, label="Communication templates", help_text=TEMPLATES_HELP)
    return_criteria = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, label="Return-to-normal criteria"
    )
    covered_assets = AssetChoices(
        queryset=Asset.objects.none(),
        to_field_name="public_id",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The systems this plan recovers or works around; the recovery order is derived from them.",
    )
    revision_reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label="What changed and why"
    )
    caused_by_exercise = forms.ModelChoiceField(
        queryset=Exercise.objects.none(), to_field_name="public_id", required=False, label="Caused by exercise"
    )
    caused_by_incident = forms.ModelChoiceField(
        queryset=Incident.objects.none(), to_field_name="public_id", required=False, label="Caused by incident"
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(AssetChoices, self.fields["covered_assets"]).queryset = Asset.objects.filter(
            organization=organization
        ).order_by("name")
        cast(forms.ModelChoiceField, self.fields["caused_by_exercise"]).queryset = Exercise.objects.filter(
            organization=organization
        ).order_by("-held_on")
        cast(forms.ModelChoiceField, self.fields["caused_by_incident"]).queryset = Incident.objects.filter(
            organization=organization
        ).order_by("-opened_at")


def version_initial(version: Any) -> dict[str, Any]:
    return {
        "activation_criteria": version.activation_criteria,
        "roles": roles_text(version.roles),
        "contacts": contacts_text(version.contacts),
        "manual_procedures": version.manual_procedures,
        "templates": templates_text(version.templates),
        "return_criteria": version.return_criteria,
        "covered_assets": list(version.covered_assets.all()),
        "revision_reason": version.revision_reason,
        "caused_by_exercise": version.caused_by_exercise,
        "caused_by_incident": version.caused_by_incident,
    }


class ApproveForm(forms.Form):
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        required=False,
        help_text="Optional: what you checked before approving.",
    )


class ReviewForm(forms.Form):
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        help_text="What you reviewed; the version stands as written. To change it, start a new draft instead.",
    )
