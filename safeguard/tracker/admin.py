"""Tracker records for operators, read-only: verdicts and snapshots are computed, the rest is written by services."""

from django.contrib import admin

from safeguard.core.admin import ReadOnlyAdmin
from safeguard.tracker.models import AddressableDecision, Attestation, DailySnapshot, EvaluationRun, Verdict


@admin.register(Verdict)
class VerdictAdmin(ReadOnlyAdmin):
    list_display = ("requirement", "organization", "status", "basis", "lapses_on", "evaluated_at")
    list_filter = ("status", "basis")
    search_fields = ("organization__slug", "requirement__citation")
    list_select_related = ("organization", "requirement")


@admin.register(EvaluationRun)
class EvaluationRunAdmin(ReadOnlyAdmin):
    list_display = ("organization", "state", "trigger", "requested_at", "finished_at", "evaluated", "changed")
    list_filter = ("state",)
    search_fields = ("organization__slug", "trigger")
    list_select_related = ("organization",)


@admin.register(DailySnapshot)
class DailySnapshotAdmin(ReadOnlyAdmin):
    list_display = ("organization", "day", "overall_percent")
    search_fields = ("organization__slug",)
    list_select_related = ("organization",)
    date_hierarchy = "day"


@admin.register(Attestation)
class AttestationAdmin(ReadOnlyAdmin):
    list_display = ("requirement", "organization", "attested_by", "attested_at", "expires_on", "withdrawn_at")
    search_fields = ("organization__slug", "requirement__citation")
    list_select_related = ("organization", "requirement", "attested_by")


@admin.register(AddressableDecision)
class AddressableDecisionAdmin(ReadOnlyAdmin):
    list_display = ("requirement", "organization", "decision", "review_on", "signature", "superseded_at")
    list_filter = ("decision",)
    search_fields = ("organization__slug", "requirement__citation")
    list_select_related = ("organization", "requirement", "signature__signer")
