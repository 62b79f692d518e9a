"""Forms of the source pages: a source with its CSV column mapping (a text box per field of ours), an
ingestion token's name, and an upload. Shapes only: the rules are in services/sources.py."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguard.activity.models import LogSource, SourceFormat, SourceKind
from safeguard.activity.services.sources import CSV_REQUIRED, MAPPING_FIELDS
from safeguard.core.models import Membership, Organization, User
from safeguard.risk.models import Asset

MAP_PREFIX = "map_"


class SourceForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=SourceKind.choices)
    format = forms.ChoiceField(choices=SourceFormat.choices)
    asset = forms.ModelChoiceField(queryset=Asset.objects.none(), required=False, help_text="The system it logs.")
    contains_ephi = forms.BooleanField(required=False, initial=True, label="Holds or gives access to ePHI")
    time_zone = forms.CharField(max_length=64, help_text="The facility's IANA zone, e.g. America/Chicago.")
    expected_daily_events = forms.IntegerField(required=False, min_value=0)
    silent_after_hours = forms.IntegerField(initial=24, min_value=1, max_value=720)
    review_every_days = forms.IntegerField(required=False, min_value=1, max_value=366, help_text="7 = weekly.")
    review_grace_days = forms.IntegerField(initial=3, min_value=0, max_value=90)
    reviewer = forms.ModelChoiceField(queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = Asset.objects.filter(organization=organization).order_by("name")  # type: ignore[attr-defined]
        members = Membership.objects.current().filter(organization=organization).values("user_id")
        self.fields["reviewer"].queryset = User.objects.filter(pk__in=members).order_by("email")  # type: ignore[attr-defined]
        for name in MAPPING_FIELDS:
            required = " (required for CSV)" if name in CSV_REQUIRED else ""
            self.fields[MAP_PREFIX + name] = forms.CharField(
                required=False, max_length=200, label=f"Column for {name}{required}"
            )

    @classmethod
    def initial_for(cls, source: LogSource) -> dict[str, Any]:
        values = {name: getattr(source, name) for name in ("name", "kind", "format", "contains_ephi", "time_zone")}
        for name in ("expected_daily_events", "silent_after_hours", "review_every_days", "review_grace_days"):
            values[name] = getattr(source, name)
        values.update(asset=source.asset_id, reviewer=source.reviewer_id)
        values.update({MAP_PREFIX + key: header for key, header in (source.mapping or {}).items()})
        return values

    def values(self) -> dict[str, Any]:
        data = {name: value for name, value in self.cleaned_data.items() if not name.startswith(MAP_PREFIX)}
        data["mapping"] = {
            name[len(MAP_PREFIX) :]: value.strip()
            for name, value in self.cleaned_data.items()
            if name.startswith(MAP_PREFIX) and value.strip()
        }
        data["silent_after_hours"] = data.get("silent_after_hours") or 24
        data["review_grace_days"] = 3 if data.get("review_grace_days") is None else data["review_grace_days"]
        return data

    def mapping_fields(self) -> list[forms.BoundField]:
        return [self[MAP_PREFIX + name] for name in MAPPING_FIELDS]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith(MAP_PREFIX)]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="The shipper that will use it, e.g. “Fluent Bit on ehr-01”.")


class UploadForm(forms.Form):
    file = forms.FileField(help_text="A log file in the source's format.")
