"""Register forms: shape only; treatment, action, acceptance and trigger rules live in risk.services."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone

from safeguard.core.forms.obligations import OwnerChoiceField
from safeguard.core.models import Evidence, Organization, User
from safeguard.risk.forms_common import member_choices
from safeguard.risk.models import Asset, MitigationAction, Risk, RiskAnalysis, Treatment
from safeguard.risk.queries_register import NOT_DECIDED
from safeguard.risk.scoring import Method

ANY = [("", "Any")]
SORT_CHOICES = [
    ("number", "Reference"),
    ("residual", "Residual rating, highest first"),
    ("inherent", "Inherent rating, highest first"),
]
SIGNIFICANT_CHANGES = [
    ("merger", "Merger, acquisition or change of ownership"),
    ("ehr", "New or replaced EHR or other major system"),
    ("relocation", "Relocation or a new site"),
    ("service", "New service line or way of delivering care"),
    ("vendor", "New or changed business associate handling ePHI"),
    ("other", "Another significant change"),
]


class AssetChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Asset) -> str:
        return obj.name


class AnalysisChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: RiskAnalysis) -> str:
        return f"{obj.title} ({obj.get_status_display().lower()})"


class RegisterFilterForm(forms.Form):
    q = forms.CharField(label="Search reference, title or description", required=False, max_length=200)
    status = forms.ChoiceField(choices=ANY + Risk.Status.choices, required=False)
    level = forms.ChoiceField(choices=ANY, required=False)
    rated = forms.ChoiceField(
        label="Level of", choices=[("residual", "Residual rating"), ("inherent", "Inherent rating")], required=False
    )
    treatment = forms.ChoiceField(
        choices=ANY + [(NOT_DECIDED, "Not decided")] + [c for c in Treatment.choices if c[0]], required=False
    )
    owner = OwnerChoiceField(queryset=User.objects.none(), to_field_name="public_id", required=False, empty_label="Any")
    asset = AssetChoiceField(
        queryset=Asset.objects.none(), to_field_name="public_id", required=False, empty_label="Any"
    )
    analysis = AnalysisChoiceField(
        queryset=RiskAnalysis.objects.none(), to_field_name="public_id", required=False, empty_label="Any"
    )
    overdue = forms.ChoiceField(
        label="Overdue actions", choices=ANY + [("yes", "Has overdue actions"), ("no", "None overdue")], required=False
    )
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)

    def __init__(self, *args: Any, organization: Organization, method: Method, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = ANY + [(t["level"], t["label"]) for t in method["thresholds"]]  # type: ignore[attr-defined]
        cast(OwnerChoiceField, self.fields["owner"]).queryset = (
            User.objects.filter(owned_risks__organization=organization).distinct().order_by("email")
        )
        cast(AssetChoiceField, self.fields["asset"]).queryset = Asset.objects.filter(
            organization=organization
        ).order_by("name")
        # Only what the choice labels show: an approved analysis carries its whole signed document.
        cast(AnalysisChoiceField, self.fields["analysis"]).queryset = (
            RiskAnalysis.objects.filter(organization=organization)
            .only("public_id", "title", "status", "started_at")
            .order_by("-started_at")
        )


class TreatForm(forms.Form):
    treatment = forms.ChoiceField(choices=Treatment.choices, required=False)
    owner = OwnerChoiceField(
        queryset=User.objects.none(),
        to_field_name="public_id",
        help_text="Who answers for this risk: a current member, not an auditor.",
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Why this treatment (kept in the audit trail).",
    )

    def __init__(self, *args: Any, organization: Organization, current_owner: User | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(OwnerChoiceField, self.fields["owner"]).queryset = member_choices(organization, keep=current_owner)


class NoteForm(forms.Form):
    prefix = "status"  # the close/reopen note, beside the treatment form's own note
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ActionForm(forms.Form):
    prefix: str | None = "action"  # shares the risk page with the treatment form, which also has an owner
    title = forms.CharField(max_length=200)
    owner = OwnerChoiceField(queryset=User.objects.none(), to_field_name="public_id")
    due_on = forms.DateField(label="Due date", widget=forms.DateInput(attrs={"type": "date"}))
    acceptance_criteria = forms.CharField(
        label="Done when",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What must be true, and shown as evidence, for the action to count as done.",
    )

    def __init__(self, *args: Any, organization: Organization, current_owner: User | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(OwnerChoiceField, self.fields["owner"]).queryset = member_choices(organization, keep=current_owner)


class ActionUpdateForm(ActionForm):
    prefix = None
    status = forms.ChoiceField(
        choices=[(MitigationAction.Status.OPEN, "Open"), (MitigationAction.Status.IN_PROGRESS, "In progress")]
    )

    def __init__(self, *args: Any, owner_only: bool = False, **kwargs: Any):
        """`owner_only`: the action's owner without the manage permission may change the status alone."""
        super().__init__(*args, **kwargs)
        if owner_only:
            for name in ("title", "owner", "due_on", "acceptance_criteria"):
                del self.fields[name]


class ActionCompleteForm(forms.Form):
    completed_on = forms.DateField(label="Completed on", widget=forms.DateInput(attrs={"type": "date"}), required=False)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="What was done, and how it meets the criteria.",
    )
    evidence = forms.ModelChoiceField(
        queryset=Evidence.objects.none(),
        to_field_name="public_id",
        required=False,
        label="Existing evidence",
        empty_label="(none)",
    )
    evidence_file = forms.FileField(label="Or upload a file as evidence", required=False, allow_empty_file=True)

    def __init__(self, *args: Any, organization: Organization, pick_evidence: bool, **kwargs: Any) -> None:
        """`pick_evidence`: whether the member may see (and so choose among) the organization's evidence."""
        kwargs.setdefault("initial", {"completed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        if pick_evidence:
            cast(forms.ModelChoiceField, self.fields["evidence"]).queryset = Evidence.objects.filter(
                organization=organization, is_deleted=False
            ).order_by("-created_at")
        else:
            del self.fields["evidence"]


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class AcceptanceForm(forms.Form):
    rationale = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Why the organization accepts this risk rather than reducing it: cost, compensating measures, "
        "how long, what would change the decision.",
    )
    expires_on = forms.DateField(
        label="Expires on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="At most three years from today; the risk must be decided again by then.",
    )
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text="Optional wording of your signature; a standard statement is used otherwise.",
    )
    confirm = forms.BooleanField(
        label="I accept this risk on behalf of the organization",
        error_messages={"required": "Tick the box to sign the acceptance."},
    )


class TriggerForm(forms.Form):
    change = forms.ChoiceField(label="What changed", choices=SIGNIFICANT_CHANGES)
    details = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What happened, when, and which systems, sites or people it touches.",
    )
    due_on = forms.DateField(
        label="Update the analysis by",
        widget=forms.DateInput(attrs={"type": "date"}),
        required=False,
        help_text="Optional: 30 days from today otherwise.",
    )

    def reason(self) -> str:
        label = dict(SIGNIFICANT_CHANGES)[self.cleaned_data["change"]]
        return f"{label}: {self.cleaned_data['details'].strip()}"
