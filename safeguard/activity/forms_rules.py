"""Forms of the rule pages. Shape only; the rules are in the services."""

from __future__ import annotations

from typing import Any

from django import forms

from safeguard.activity.models import DetectionRule, LogSource, SourceFormat
from safeguard.activity.services.rules import MAX_YAML_CHARS
from safeguard.core.models import Organization


class RuleFilterForm(forms.Form):
    mode = forms.ChoiceField(choices=[("", "Any mode"), *DetectionRule.Mode.choices], required=False)
    kind = forms.ChoiceField(choices=[("", "Any kind"), *DetectionRule.Kind.choices], required=False)


class RuleYamlForm(forms.Form):
    yaml = forms.CharField(
        required=False,
        max_length=MAX_YAML_CHARS,
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100, "spellcheck": "false"}),
        label="Sigma YAML",
        help_text="One or more documents separated by ---.",
    )
    file = forms.FileField(required=False, label="…or a YAML file")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None:
            try:
                data["yaml"] = upload.read(MAX_YAML_CHARS + 1).decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError("The file is not UTF-8 text.") from None
        if not (data.get("yaml") or "").strip():
            raise forms.ValidationError("Paste the YAML or choose a file.")
        return data


class RuleEditForm(forms.Form):
    yaml = forms.CharField(
        max_length=MAX_YAML_CHARS,
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100, "spellcheck": "false"}),
        label="Sigma YAML",
    )


class RuleModeForm(forms.Form):
    mode = forms.ChoiceField(choices=DetectionRule.Mode.choices)


class RuleTuningForm(forms.Form):
    threshold = forms.IntegerField(required=False, min_value=1, help_text="Correlations: the count that alerts.")
    timespan = forms.CharField(required=False, max_length=12, help_text="Correlations: e.g. 15m, 2h, 1d.")
    suppression_seconds = forms.IntegerField(
        required=False, min_value=0, help_text="One alert per group key per this many seconds; blank: the window."
    )


class RuleTestForm(forms.Form):
    yaml = forms.CharField(
        max_length=MAX_YAML_CHARS,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 100, "spellcheck": "false"}),
        label="Rule to test",
    )
    format = forms.ChoiceField(choices=SourceFormat.choices, label="The sample's format")
    source = forms.ModelChoiceField(
        queryset=LogSource.objects.none(),
        required=False,
        to_field_name="public_id",
        help_text="For CSV exports: the source whose column mapping reads the file.",
    )
    file = forms.FileField(label="Sample file")

    def __init__(self, *args: Any, organization: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = LogSource.objects.filter(organization=organization)  # type: ignore[attr-defined]
