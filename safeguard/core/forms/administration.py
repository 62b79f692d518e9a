"""Forms of the administration pages (members, settings) and the audit trail filters. Shape only: the rules
(an auditor needs an end date, an organization keeps an owner) live in services.organizations."""

from __future__ import annotations

from django import forms

from safeguard.core.models import Organization
from safeguard.core.roles import Role

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
END_DATE_HELP = "Last day of access. Required for auditors; leave empty for open-ended access, which owners must have."


class MemberAddForm(forms.Form):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    first_name = forms.CharField(max_length=150, required=False, help_text="Used only when the account is new.")
    last_name = forms.CharField(max_length=150, required=False, help_text="Used only when the account is new.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.WORKFORCE)
    access_ends_on = forms.DateField(label="Access ends on", required=False, widget=DATE_INPUT, help_text=END_DATE_HELP)


class MemberEditForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)
    access_ends_on = forms.DateField(label="Access ends on", required=False, widget=DATE_INPUT, help_text=END_DATE_HELP)


class OrgSettingsForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Organization.Kind.choices, label="Kind of organization")
    mfa_required = forms.BooleanField(
        label="Require a one-time code (MFA) at sign-in",
        required=False,
        help_text="Members must enter a code from their authenticator app before they see this organization.",
    )
    is_clearinghouse = forms.BooleanField(
        label="The organization is, or contains, a health care clearinghouse",
        required=False,
        help_text="When unticked, 164.308(a)(4)(ii)(A) (isolating clearinghouse functions) is not applicable.",
    )
    is_group_health_plan = forms.BooleanField(
        label="The organization is a group health plan whose plan sponsor receives ePHI",
        required=False,
        help_text="When unticked, the group health plan requirements of 164.314(b) are not applicable.",
    )


class AuditFilterForm(forms.Form):
    action = forms.CharField(
        max_length=80, required=False, help_text="The action or its beginning, e.g. “evidence.” or “membership.added”."
    )
    actor = forms.CharField(max_length=254, required=False, label="Actor email", help_text="Any part of it.")
    object_type = forms.CharField(
        max_length=80, required=False, label="Object type", help_text="Exact, e.g. “core.evidence”."
    )
    date_from = forms.DateField(label="From", required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label="To", required=False, widget=DATE_INPUT)

    def clean(self) -> dict[str, object] | None:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date comes before the start date.")
        return cleaned
