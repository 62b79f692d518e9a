"""The daily chore that raises the re-analysis duty before an approved analysis lapses, through scheduler_run."""

from __future__ import annotations

from datetime import date
from io import StringIO

from django.core.management import call_command
from django.db import transaction

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Obligation
from safeguard.risk.models import ReanalysisTrigger
from safeguard.risk.services.triggers import flag_lapsing_analyses, reanalysis_flag, triggers_resolve
from tests.conftest import Cast
from tests.risk_factories import approved_analysis, asset

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
    second = approved_analysis(cast.org, cast.official, approved_on=date(2027, 2, 1), scope=[ehr])
    with transaction.atomic():
        assert triggers_resolve(organization=cast.org, actor=Actor(user=cast.official), analysis=second) == 1
    trigger = ReanalysisTrigger.objects.get()
    assert trigger.resolved_by == second
    assert trigger.obligation is not None
    trigger.obligation.refresh_from_db()
    assert trigger.obligation.status == Obligation.Status.DONE
