"""The daily chore that raises the re-analysis duty before an approved analysis lapses, through scheduler_run."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Obligation, ObligationCompletion
from safeguard.risk.models import ReanalysisTrigger, RiskAnalysis
from safeguard.risk.services.triggers import flag_lapsing_analyses, reanalysis_flag, triggers_resolve
from tests.conftest import Cast
from tests.risk_factories import approved_analysis, asset, at

APPROVED = date(2026, 3, 2)  # lapses 2027-03-02; the duty is raised 60 days before, from 2027-01-01


def scheduler(today: date, *extra: str) -> str:
    out = StringIO()
    call_command("scheduler_run", "--today", today.isoformat(), *extra, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_nothing_is_raised_before_the_notice_period(cast: Cast) -> None:
    approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[asset(cast.org, "EHR", since=APPROVED)])
    assert flag_lapsing_analyses(date(2026, 12, 31), False) == []
    assert not ReanalysisTrigger.objects.exists()


def test_the_notice_raises_one_obligation_for_the_security_official_due_on_the_lapse_day(cast: Cast) -> None:
    approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[asset(cast.org, "EHR", since=APPROVED)])
    output = scheduler(date(2027, 1, 1))
    assert "risk.analysis_lapse: clinic: analysis of 2026-03-02 lapses on 2027-03-02" in output
    trigger = ReanalysisTrigger.objects.get()
    assert trigger.kind == ReanalysisTrigger.Kind.LAPSED
    assert trigger.obligation is not None
    assert (trigger.obligation.owner, trigger.obligation.due_on) == (cast.official, date(2027, 3, 2))
    assert trigger.obligation.citation == "164.308(a)(1)(ii)(A)"
    assert AuditEvent.objects.filter(action="risk.reanalysis.flagged", organization=cast.org).count() == 1
    scheduler(date(2027, 1, 2))
    assert ReanalysisTrigger.objects.count() == 1  # idempotent


def test_a_dry_run_reports_and_writes_nothing(cast: Cast) -> None:
    approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[asset(cast.org, "EHR", since=APPROVED)])
    output = scheduler(date(2027, 2, 1), "--dry-run")
    assert "[dry run] risk.analysis_lapse: clinic" in output
    assert not ReanalysisTrigger.objects.exists()
    assert not Obligation.objects.exists()


def test_a_significant_change_before_any_approval_still_raises_a_duty(cast: Cast) -> None:
    trigger = reanalysis_flag(
        organization=cast.org,
        actor=Actor(user=cast.official),
        kind=ReanalysisTrigger.Kind.SIGNIFICANT_CHANGE,
        reason="Merger with Hilltop Clinic",
        today=date(2026, 5, 1),
    )
    assert trigger is not None and trigger.obligation is not None
    assert trigger.obligation.due_on == date(2026, 5, 31)
    assert trigger.analysis is None


def test_asset_triggers_need_an_approved_analysis(cast: Cast) -> None:
    assert (
        reanalysis_flag(
            organization=cast.org,
            actor=Actor(user=cast.official),
            kind=ReanalysisTrigger.Kind.ASSET_ADDED,
            reason="New portal",
        )
        is None
    )
    assert not ReanalysisTrigger.objects.exists()


def test_approval_resolves_open_triggers_and_completes_their_duties(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", since=APPROVED)
    approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[ehr])
    flag_lapsing_analyses(date(2027, 1, 1), False)
    # Recorded on the story's day: the trigger takes the wall clock's, which passes 2027-02-01 (the approval).
    ReanalysisTrigger.objects.update(occurred_at=at(date(2027, 1, 1)))
    second = approved_analysis(cast.org, cast.official, approved_on=date(2027, 2, 1), scope=[ehr])
    with transaction.atomic():
        assert triggers_resolve(organization=cast.org, actor=Actor(user=cast.official), analysis=second) == 1
    trigger = ReanalysisTrigger.objects.get()
    assert trigger.resolved_by == second
    assert trigger.obligation is not None
    trigger.obligation.refresh_from_db()
    assert trigger.obligation.status == Obligation.Status.DONE


def test_approval_answers_only_what_the_analysis_could_have_seen(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", since=APPROVED)
    portal = asset(cast.org, "Portal", since=APPROVED)
    first = approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[ehr])
    official = Actor(user=cast.official)
    in_scope, out_of_scope, late = (
        ReanalysisTrigger.objects.create(
            organization=cast.org, kind=kind, reason=reason, asset=target, analysis=first, occurred_at=at(day)
        )
        for kind, reason, target, day in (
            (ReanalysisTrigger.Kind.ASSET_CHANGED, "EHR moved to a new host", ehr, date(2026, 4, 1)),
            (ReanalysisTrigger.Kind.ASSET_ADDED, "Portal entered service", portal, date(2026, 4, 1)),
            (ReanalysisTrigger.Kind.SIGNIFICANT_CHANGE, "Merger", None, date(2026, 6, 10)),
        )
    )
    second = approved_analysis(cast.org, cast.official, approved_on=date(2026, 6, 15), scope=[ehr])
    RiskAnalysis.objects.filter(pk=second.pk).update(submitted_at=at(date(2026, 6, 1)))
    second.refresh_from_db()
    with transaction.atomic():
        assert triggers_resolve(organization=cast.org, actor=official, analysis=second) == 1
    resolved = dict(ReanalysisTrigger.objects.values_list("reason", "resolved_by"))
    assert resolved == {in_scope.reason: second.pk, out_of_scope.reason: None, late.reason: None}


def test_a_resolved_trigger_completes_its_obligation_with_a_completion_record(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", since=APPROVED)
    approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[ehr])
    trigger = reanalysis_flag(
        organization=cast.org,
        actor=Actor(user=cast.official),
        kind=ReanalysisTrigger.Kind.SIGNIFICANT_CHANGE,
        reason="Relocated the server room",
    )
    assert trigger is not None and trigger.obligation is not None
    # Approved after the change was recorded (the factory stamps noon of the day given).
    second = approved_analysis(
        cast.org, cast.official, approved_on=timezone.localdate() + timedelta(days=1), scope=[ehr]
    )
    with transaction.atomic():
        triggers_resolve(organization=cast.org, actor=Actor(user=cast.official), analysis=second)
    completion = ObligationCompletion.objects.get(obligation=trigger.obligation)
    assert completion.completed_by == cast.official
    assert "Answered by the risk analysis" in completion.note


def test_each_imported_file_raises_its_own_trigger_but_an_asset_only_one(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", since=APPROVED)
    approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[ehr])
    official = Actor(user=cast.official)
    added = ReanalysisTrigger.Kind.ASSET_ADDED
    for reason in ("3 assets from a.csv", "2 assets from b.csv"):
        assert reanalysis_flag(organization=cast.org, actor=official, kind=added, reason=reason) is not None
    portal = asset(cast.org, "Portal", since=APPROVED)
    assert reanalysis_flag(organization=cast.org, actor=official, kind=added, reason="Portal", asset=portal)
    assert reanalysis_flag(organization=cast.org, actor=official, kind=added, reason="Portal", asset=portal) is None
    assert ReanalysisTrigger.objects.filter(kind=added).count() == 3
