"""Emergency activation forms: shape only; the rules live in safeguard.contingency.services.activations."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.db.models import Q
from django.utils import timezone

from safeguard.access.models import BreakGlassActivation
from safeguard.contingency.models import EmergencyActivation, PlanVersion
from safeguard.contingency.queries_plans import BREAK_GLASS_MARGIN, invocable_versions
from safeguard.core.models import Organization
from safeguard.incidents.models import Incident
from safeguard.risk.models import Asset

RECENT_BREAK_GLASS = timedelta(days=30)  # offered on a new activation, before its window is known


class MomentInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class BreakGlassChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        use = cast(BreakGlassActivation, obj)
        who = use.used_by_name or (str(use.used_by) if use.used_by_id else "unknown user")
        when = timezone.localtime(use.started_at).strftime("%Y-%m-%d %H:%M")
        return f"{use.account.username} on {use.account.system} at {when}, by {who}"


class AssetChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ActivationForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="For example: “EHR outage after ransomware”.")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Why the plan was invoked.")
    started_at = forms.DateTimeField(widget=MomentInput(), label="Started")
    ended_at = forms.DateTimeField(widget=MomentInput(), required=False, label="Ended", help_text="Blank: ongoing.")
    plan_version = forms.ModelChoiceField(
        queryset=PlanVersion.objects.none(),
        to_field_name="public_id",
        required=False,
        label="Plan version invoked",
    )
    assets = AssetChoices(
        queryset=Asset.objects.none(),
        to_field_name="public_id",
        widget=forms.CheckboxSelectMultiple,
        label="Systems affected",
    )
    incident = forms.ModelChoiceField(
        queryset=Incident.objects.none(), to_field_name="public_id", required=False, label="Incident"
    )
    break_glass = BreakGlassChoices(
        queryset=BreakGlassActivation.objects.none(),
        to_field_name="public_id",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Break-glass uses",
        help_text="Emergency-access uses of the time: those that began during the activation are offered.",
    )

    def __init__(
        self, *args: Any, organization: Organization, activation: EmergencyActivation | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["plan_version"]).queryset = invocable_versions(organization)
        cast(AssetChoices, self.fields["assets"]).queryset = Asset.objects.filter(organization=organization).order_by(
            "name"
        )
        cast(forms.ModelChoiceField, self.fields["incident"]).queryset = Incident.objects.filter(
            organization=organization
        ).order_by("-opened_at")
        cast(BreakGlassChoices, self.fields["break_glass"]).queryset = _break_glass_offered(organization, activation)


def _break_glass_offered(organization: Organization, activation: EmergencyActivation | None) -> Any:
    uses = BreakGlassActivation.objects.filter(organization=organization).select_related("account__system", "used_by")
    if activation is None:
        return uses.filter(started_at__gte=timezone.now() - RECENT_BREAK_GLASS).order_by("-started_at")
    window = Q(started_at__gte=activation.started_at - BREAK_GLASS_MARGIN)
    if activation.ended_at is not None:
        window &= Q(started_at__lte=activation.ended_at)
    linked = Q(pk__in=activation.break_glass.values("pk"))
    return uses.filter(window | linked).order_by("started_at")


def activation_initial(activation: EmergencyActivation) -> dict[str, Any]:
    return {
        "title": activation.title,
        "reason": activation.reason,
        "started_at": timezone.localtime(activation.started_at),
        "ended_at": timezone.localtime(activation.ended_at) if activation.ended_at else None,
        "plan_version": activation.plan_version,
        "assets": list(activation.assets.all()),
        "incident": activation.incident,
        "break_glass": list(activation.break_glass.all()),
    }


class DecisionForm(forms.Form):
    at = forms.DateTimeField(widget=MomentInput(), required=False, label="When", help_text="Blank: now.")
    decision = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=5000)


class CloseForm(forms.Form):
    ended_at = forms.DateTimeField(widget=MomentInput(), label="Ended")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ended_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
