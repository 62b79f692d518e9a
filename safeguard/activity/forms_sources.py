"""Forms of the source pages: a source with its CSV mapping (a text box per column field the parser reads, the
source's own action names one per line, a time format), an ingestion token's name, and an upload. The mapping's
rules are the parser's (parsers/ehr_csv_mapping.py); the others are in services/sources.py."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguard.activity.models import LogSource, SourceFormat, SourceKind
from safeguard.activity.parsers import ehr_csv_mapping as csv_mapping
from safeguard.core.models import Membership, Organization, User
from safeguard.risk.models import Asset

MAP_PREFIX = "map_"
ALIAS_OF = {field: alias for alias, field in csv_mapping.ALIASES.items()}
ACTION_HELP = (
    "One per line: the export's action name = activity, e.g. “Chart Copy Requested = export”; “* = other” takes "
    f"every name no table knows. Activities: {', '.join(csv_mapping.ACTIVITIES)}."
)


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
        for name in csv_mapping.COLUMN_FIELDS:
            self.fields[MAP_PREFIX + name] = forms.CharField(
                required=False, max_length=200, label=f"Column for {name}", help_text=_column_help(name)
            )
        self.fields["actions"] = forms.CharField(
            required=False, widget=forms.Textarea(attrs={"rows": 5}), label="Action names", help_text=ACTION_HELP
        )
        self.fields["time_format"] = forms.CharField(
            required=False,
            max_length=100,
            help_text="For times that are not ISO 8601: a strptime format, e.g. %m/%d/%Y %I:%M:%S %p.",
        )

    @classmethod
    def initial_for(cls, source: LogSource) -> dict[str, Any]:
        values = {name: getattr(source, name) for name in ("name", "kind", "format", "contains_ephi", "time_zone")}
        for name in ("expected_daily_events", "silent_after_hours", "review_every_days", "review_grace_days"):
            values[name] = getattr(source, name)
        values.update(asset=source.asset_id, reviewer=source.reviewer_id)
        mapping = source.mapping or {}
        values.update(
            {
                MAP_PREFIX + csv_mapping.ALIASES.get(key, key): header
                for key, header in mapping.items()
                if key not in csv_mapping.SETTINGS
            }
        )
        # Sorted, catch-all last: PostgreSQL's jsonb does not keep the order the names were written in.
        actions = sorted((mapping.get("actions") or {}).items(), key=lambda item: (item[0] == "*", item[0].lower()))
        values["actions"] = "\n".join(f"{name} = {activity}" for name, activity in actions)
        values["time_format"] = mapping.get("time_format") or ""
        return values

    def clean_actions(self) -> dict[str, str]:
        """`name = activity` lines; the name may itself hold "=": the activity is after the last one."""
        actions: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["actions"].splitlines(), start=1):
            if not line.strip():
                continue
            name, equals, activity = line.rpartition("=")
            if not equals or not name.strip():
                raise forms.ValidationError(
                    f"Line {number}: write the action name = activity, e.g. “Open Chart = read”."
                )
            actions[name.strip()] = activity.strip()
        try:
            return csv_mapping.check_actions(actions)
        except csv_mapping.MappingError as error:
            raise forms.ValidationError(error.message) from None

    def clean_time_format(self) -> str:
        try:
            return csv_mapping.check_time_format(self.cleaned_data["time_format"])
        except csv_mapping.MappingError as error:
            raise forms.ValidationError(error.message) from None

    def values(self) -> dict[str, Any]:
        settings = csv_mapping.SETTINGS
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if not name.startswith(MAP_PREFIX) and name not in settings
        }
        data["mapping"] = {
            name[len(MAP_PREFIX) :]: value.strip()
            for name, value in self.cleaned_data.items()
            if name.startswith(MAP_PREFIX) and value.strip()
        }
        data["mapping"].update({name: self.cleaned_data[name] for name in settings if self.cleaned_data[name]})
        data["silent_after_hours"] = data.get("silent_after_hours") or 24
        data["review_grace_days"] = 3 if data.get("review_grace_days") is None else data["review_grace_days"]
        return data

    def mapping_fields(self) -> list[forms.BoundField]:
        columns = [self[MAP_PREFIX + name] for name in csv_mapping.COLUMN_FIELDS]
        return columns + [self[name] for name in csv_mapping.SETTINGS]

    def main_fields(self) -> list[forms.BoundField]:
        return [
            self[name] for name in self.fields if not name.startswith(MAP_PREFIX) and name not in csv_mapping.SETTINGS
        ]


def _column_help(name: str) -> str:
    notes = []
    if name in csv_mapping.REQUIRED:
        notes.append("required for CSV")
    if name in ALIAS_OF:
        notes.append(f"an export's {ALIAS_OF[name]}")
    if name in csv_mapping.NOT_STORED:
        notes.append("checked in the header, not stored: the roster and patient flags supply it")
    return "; ".join(notes)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="The shipper that will use it, e.g. “Fluent Bit on ehr-01”.")


class UploadForm(forms.Form):
    file = forms.FileField(help_text="A log file in the source's format.")
