"""Forms of the risk analysis, risk assessment, method and library pages: shape only; the rules live in services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q, QuerySet

from safeguard.catalog.models import Requirement
from safeguard.core.forms.obligations import OwnerChoiceField
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.risk.methods import PROFILES
from safeguard.risk.models import Asset, Risk, Threat, ThreatSource, Treatment, Vulnerability, VulnerabilityArea
from safeguard.risk.scoring import Method, label_of, level_names
from safeguard.risk.services.analyses import APPROVAL_STATEMENT

TEXTAREA = forms.Textarea(attrs={"rows": 3})


class AnalysisForm(forms.Form):
    title = forms.CharField(max_length=200)
    methodology = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text="How this analysis is done: scope, approach, sources. It becomes part of the signed record.",
    )


class AssetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Asset) -> str:
        return f"{obj.name} ({obj.get_kind_display()}, {obj.get_status_display().lower()})"


class ScopeAssetForm(forms.Form):
    asset = AssetChoiceField(queryset=Asset.objects.none(), to_field_name="public_id")

    def __init__(self, *args: Any, assets: QuerySet[Asset], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(AssetChoiceField, self.fields["asset"]).queryset = assets


class ReturnForm(forms.Form):
    reason = forms.CharField(widget=TEXTAREA, max_length=5000, help_text="What needs another look before approval.")


class ApproveForm(forms.Form):
    statement = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, initial=APPROVAL_STATEMENT)
    confirm = forms.BooleanField(
        label="I approve this risk analysis",
        help_text="Your signature records your name, role, the time, and a fingerprint (SHA-256) of the document.",
    )


class RiskFilterForm(forms.Form):
    level = forms.ChoiceField(required=False)
    treatment = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, method: Method, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        levels = [(name, label_of(method, name)) for name in level_names(method)]
        cast(forms.ChoiceField, self.fields["level"]).choices = [("", "Any level"), ("unrated", "Not rated"), *levels]
        cast(forms.ChoiceField, self.fields["treatment"]).choices = [
            ("", "Any treatment"),
            ("none", "Not decided"),
            *[(value, label) for value, label in Treatment.choices if value],
        ]


def rating_choices(levels: list[dict[str, Any]]) -> list[tuple[Any, str]]:
    """Each level as "3 — Possible: could happen about once a year", so the definition is read while rating."""
    return [("", "Not rated")] + [
        (level["value"], f"{level['value']} — {level['label']}: {level.get('definition', '')}".rstrip(": "))
        for level in levels
    ]


class LibraryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Threat | Vulnerability) -> str:
        return obj.name if obj.is_active else f"{obj.name} (deactivated)"


class RequirementChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Requirement) -> str:
        return f"{obj.citation} {obj.title}"


def _rating_field(label: str, levels: list[dict[str, Any]]) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, choices=rating_choices(levels), coerce=int, empty_value=None, required=False
    )


class RiskForm(forms.Form):
    """A risk's assessment. `assets`: the assets it may name; `risk`: the risk being re-assessed, if any."""

    title = forms.CharField(max_length=200)
    assets = forms.ModelMultipleChoiceField(
        queryset=Asset.objects.none(), to_field_name="public_id", required=False, widget=forms.SelectMultiple
    )
    threat = LibraryChoiceField(queryset=Threat.objects.none(), to_field_name="public_id", required=False)
    vulnerability = LibraryChoiceField(queryset=Vulnerability.objects.none(), to_field_name="public_id", required=False)
    description = forms.CharField(widget=TEXTAREA, required=False, help_text="What could happen, and how.")
    existing_controls = forms.CharField(widget=TEXTAREA, required=False, help_text="Security measures in place now.")
    planned_controls = forms.CharField(widget=TEXTAREA, required=False, help_text="Measures that will reduce it.")
    requirements = RequirementChoiceField(
        queryset=Requirement.objects.none(), to_field_name="citation", required=False, label="Related requirements"
    )
    owner = OwnerChoiceField(queryset=User.objects.none(), to_field_name="public_id", required=False)

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        method: Method,
        assets: QuerySet[Asset],
        risk: Risk | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelMultipleChoiceField, self.fields["assets"]).queryset = assets
        for name, model in (("threat", Threat), ("vulnerability", Vulnerability)):
            # A deactivated entry stays selectable on the risk that already names it.
            offered = Q(is_active=True) | Q(pk=getattr(risk, f"{name}_id", None))
            cast(LibraryChoiceField, self.fields[name]).queryset = model.objects.filter(
                offered, organization=organization
            ).order_by("name")
        cast(RequirementChoiceField, self.fields["requirements"]).queryset = Requirement.objects.leaves().order_by(
            "position"
        )
        likelihoods, impacts = method["likelihood_levels"], method["impact_levels"]
        self.fields["likelihood"] = _rating_field("Likelihood", likelihoods)
        self.fields["impact"] = _rating_field("Impact", impacts)
        self.fields["residual_likelihood"] = _rating_field("Residual likelihood", likelihoods)
        self.fields["residual_impact"] = _rating_field("Residual impact", impacts)
        self.order_fields(
            [
                "title",
                "assets",
                "threat",
                "vulnerability",
                "description",
                "existing_controls",
                "likelihood",
                "impact",
                "planned_controls",
                "residual_likelihood",
                "residual_impact",
                "requirements",
                "owner",
            ]
        )
        if risk is not None:
            # The owner changes with the treatment, on the register.
            del self.fields["owner"]
        else:
            members = Membership.objects.current().filter(organization=organization).exclude(role=Role.AUDITOR)
            cast(OwnerChoiceField, self.fields["owner"]).queryset = User.objects.filter(
                pk__in=members.values("user_id")
            ).order_by("email")


# --- the method ---------------------------------------------------------------------------------------------------


class ProfileForm(forms.Form):
    profile = forms.ChoiceField(
        choices=[("5x5", "5 × 5 (default)"), ("3x3", "3 × 3 (low / medium / high, as in the HHS SRA Tool)")],
        help_text="Switching replaces the scales and thresholds with the profile's; labels you changed are lost.",
    )

    def clean_profile(self) -> str:
        profile = str(self.cleaned_data["profile"])
        if profile not in PROFILES:
            raise forms.ValidationError("Unknown profile.")
        return profile


class MethodForm(forms.Form):
    """The current method's levels, thresholds and settings, one field per cell (the number of levels comes from
    the profile)."""

    treatment_threshold = forms.ChoiceField(
        help_text="Risks at or above this level must be mitigated, accepted, transferred or avoided."
    )
    reanalysis_months = forms.IntegerField(
        min_value=1, max_value=36, label="Re-analysis interval (months)", help_text="How long an approval lasts."
    )
    methodology = forms.CharField(widget=forms.Textarea(attrs={"rows": 12}))

    def __init__(self, *args: Any, method: Method, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.method = method
        for scale in ("likelihood", "impact"):
            for level in method[f"{scale}_levels"]:
                value = level["value"]
                self.fields[f"{scale}_{value}_label"] = forms.CharField(max_length=60, label=f"{scale.title()} {value}")
                self.fields[f"{scale}_{value}_definition"] = forms.CharField(
                    max_length=300, required=False, label=f"{scale.title()} {value} definition"
                )
                self.initial.setdefault(f"{scale}_{value}_label", level["label"])
                self.initial.setdefault(f"{scale}_{value}_definition", level.get("definition", ""))
        for index, threshold in enumerate(method["thresholds"]):
            self.fields[f"threshold_{index}_label"] = forms.CharField(max_length=40, label=f"Level {index + 1} label")
            self.fields[f"threshold_{index}_min_score"] = forms.IntegerField(
                min_value=1, max_value=100, label=f"Level {index + 1} from score"
            )
            self.initial.setdefault(f"threshold_{index}_label", threshold["label"])
            self.initial.setdefault(f"threshold_{index}_min_score", threshold["min_score"])
        cast(forms.ChoiceField, self.fields["treatment_threshold"]).choices = [
            (str(t["level"]), str(t["label"])) for t in method["thresholds"]
        ]
        self.initial.setdefault("treatment_threshold", method["treatment_threshold"])

    def scale_rows(self, scale: str) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"{scale}_{level['value']}_label"], self[f"{scale}_{level['value']}_definition"])
            for level in self.method[f"{scale}_levels"]
        ]

    def threshold_rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (str(t["level"]), self[f"threshold_{index}_label"], self[f"threshold_{index}_min_score"])
            for index, t in enumerate(self.method["thresholds"])
        ]

    def definition(self) -> dict[str, Any]:
        """The cleaned values as method_update's keyword arguments."""
        data = self.cleaned_data
        scales = {
            f"{scale}_levels": [
                {
                    "value": level["value"],
                    "label": data[f"{scale}_{level['value']}_label"].strip(),
                    "definition": data[f"{scale}_{level['value']}_definition"].strip(),
                }
                for level in self.method[f"{scale}_levels"]
            ]
            for scale in ("likelihood", "impact")
        }
        thresholds = [
            {
                "level": t["level"],
                "label": data[f"threshold_{index}_label"].strip(),
                "min_score": data[f"threshold_{index}_min_score"],
            }
            for index, t in enumerate(self.method["thresholds"])
        ]
        return {
            **scales,
            "thresholds": thresholds,
            "treatment_threshold": data["treatment_threshold"],
            "reanalysis_months": data["reanalysis_months"],
            "methodology": data["methodology"],
        }


# --- the library --------------------------------------------------------------------------------------------------


class ThreatForm(forms.Form):
    name = forms.CharField(max_length=200)
    source_type = forms.ChoiceField(choices=ThreatSource.choices, label="Source")
    description = forms.CharField(widget=TEXTAREA, required=False)
    is_active = forms.BooleanField(
        required=False, initial=True, label="Active", help_text="Offered when recording new risks."
    )


class VulnerabilityForm(forms.Form):
    name = forms.CharField(max_length=200)
    area = forms.ChoiceField(choices=VulnerabilityArea.choices, label="Safeguard area")
    description = forms.CharField(widget=TEXTAREA, required=False)
    is_active = forms.BooleanField(
        required=False, initial=True, label="Active", help_text="Offered when recording new risks."
    )
