"""Forms of the phishing pages: shape only; the rules live in services/phishing.py and the importers."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, cast

from django import forms
from django.utils import timezone

from safeguard.core.forms.file_imports import FileField
from safeguard.core.models import Organization
from safeguard.training.models import PhishingCampaign, PhishingOutcome
from safeguard.training.phishing_import import KIND_EVENTS, KIND_GENERIC, KIND_JSON, KIND_RESULTS, MAX_BYTES

FORMATS = [
    (KIND_RESULTS, "GoPhish results (CSV: one row per recipient, statuses only)"),
    (KIND_EVENTS, "GoPhish raw events (CSV: the timeline, with times)"),
    (KIND_JSON, "GoPhish campaign results (JSON from its API)"),
    (KIND_GENERIC, "Another vendor's CSV or XLSX (one row per recipient)"),
]
YES_NO_ANY = [("", "Any"), ("yes", "Yes"), ("no", "No")]
NEW = ""


class PhishingImportForm(forms.Form):
    file_format = forms.ChoiceField(choices=FORMATS, label="Format")
    campaign = forms.ChoiceField(
        required=False,
        help_text="The campaign the results belong to. A GoPhish events or JSON file whose campaign was imported "
        "before is added to it on its own.",
    )
    name = forms.CharField(
        required=False,
        max_length=200,
        label="New campaign's name",
        help_text="For a new campaign; a GoPhish JSON file's own name is used when left blank.",
    )
    vendor = forms.CharField(
        required=False, max_length=100, help_text="For another vendor's file in a new campaign, e.g. KnowBe4."
    )
    time_zone = forms.CharField(
        required=False,
        max_length=64,
        help_text="For another vendor's file: how to read times written without an offset, e.g. America/Chicago. "
        "Blank: the installation's zone.",
    )
    launched_on = forms.DateField(
        required=False,
        label="Launched on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Only for a file without send times (e.g. statuses only) into a campaign without a launch date: "
        "the day its emails went out. The remedial training rule and the trend need it.",
    )
    file = FileField(
        label="File",
        help_text=f"CSV (UTF-8), XLSX or, for GoPhish's API answer, JSON; at most {MAX_BYTES // (1024 * 1024)} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.json"}),
    )

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        campaigns = PhishingCampaign.objects.filter(organization=organization).order_by("-launched_at", "name")
        cast(forms.ChoiceField, self.fields["campaign"]).choices = [
            (NEW, "A new campaign"),
            *((str(c.public_id), f"{c.name} ({c.get_source_display()})") for c in campaigns),
        ]

    def options(self) -> dict[str, str]:
        values = self.cleaned_data
        launched = values["launched_on"].isoformat() if values.get("launched_on") else ""
        shared = {"time_zone": values["time_zone"], "launched_on": launched}
        if values["campaign"]:
            return {"campaign": values["campaign"], **shared}
        return {"name": values["name"], "vendor": values["vendor"], **shared}


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The lure: template, sender, landing page, who was targeted.",
    )
    launched_on = forms.DateField(
        required=False,
        label="Launched on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Set by imports from the first email sent; give it by hand when the file had no send times.",
    )

    def values(self, campaign: PhishingCampaign) -> dict[str, Any]:
        """The changes for the service; the launch only when its day changed (an import knows the minute)."""
        values: dict[str, Any] = {"name": self.cleaned_data["name"], "description": self.cleaned_data["description"]}
        day = self.cleaned_data.get("launched_on")
        before = timezone.localdate(campaign.launched_at) if campaign.launched_at else None
        if day != before:
            values["launched_at"] = timezone.make_aware(datetime.combine(day, time.min)) if day else None
        return values


class CampaignDeleteForm(forms.Form):
    confirm = forms.BooleanField(label="Yes, delete this campaign (it holds no results)")


class ResultFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), ("clicked_any", "Clicked or submitted data"), *PhishingOutcome.choices],
    )
    reported = forms.ChoiceField(required=False, choices=YES_NO_ANY)
    on_roster = forms.ChoiceField(
        required=False, choices=[("", "Any"), ("yes", "On the roster"), ("no", "Not on the roster")], label="Roster"
    )
    department = forms.CharField(required=False, max_length=100)
    q = forms.CharField(required=False, max_length=200, label="Search", help_text="Part of an email or a name.")

    def applied(self) -> dict[str, Any]:
        """The valid filters (a bad value is dropped; the others still apply)."""
        self.is_valid()
        values = dict(getattr(self, "cleaned_data", {}))
        for name in ("reported", "on_roster"):
            values[name] = {"yes": True, "no": False}.get(values.get(name) or "")
        return values


PERIODS = [("12", "Last 12 months"), ("24", "Last 24 months"), ("36", "Last 36 months"), ("all", "Every campaign")]


class PeriodForm(forms.Form):
    months = forms.ChoiceField(choices=PERIODS, required=False, label="Period")

    def months_back(self) -> int | None:
        self.is_valid()
        chosen = getattr(self, "cleaned_data", {}).get("months") or "12"
        return None if chosen == "all" else int(chosen)
