"""164.308(a)(1)(ii)(B): treatments in force for risks at or above the threshold, actions on time, acceptances
signed and current."""

from __future__ import annotations

from datetime import date, timedelta

from safeguard.core.audit import Actor
from safeguard.risk.checks_management import risks_treated
from safeguard.risk.models import MitigationAction, Risk, RiskAcceptance, RiskAnalysis, Treatment
from safeguard.risk.services.method import method_update
from safeguard.tracker.models import Status
from tests.conftest import Cast
from tests.risk_factories import acceptance, approved_analysis, asset, risk

TODAY = date(2026, 6, 1)


def action(cast: Cast, target: Risk, *, due_on: date, status: str = MitigationAction.Status.OPEN) -> MitigationAction:
    return MitigationAction.objects.create(
        organization=cast.org,
        risk=target,
        title=f"Fix {target.reference}",
        owner=cast.official,
        due_on=due_on,
        acceptance_criteria="Verified by a scan.",
        status=status,
    )


def analysed(cast: Cast) -> RiskAnalysis:
    ehr = asset(cast.org, "EHR", since=date(2025, 1, 1))
    return approved_analysis(cast.org, cast.official, approved_on=date(2026, 3, 2), scope=[ehr])


def test_no_risks_and_no_analysis_is_not_met(cast: Cast) -> None:
    result = risks_treated(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert "starts from a risk analysis" in result.reason


def test_an_approved_analysis_with_no_risks_is_met(cast: Cast) -> None:
    analysed(cast)
    assert risks_treated(cast.org, TODAY).status == Status.MET


def test_an_untreated_risk_at_the_threshold_is_named(cast: Cast) -> None:
    analysis = analysed(cast)
    risk(cast.org, 1, likelihood=1, impact=5, analysis=analysis)  # score 5: medium, the default threshold
    risk(cast.org, 2, likelihood=1, impact=2, analysis=analysis)  # low: needs no treatment
    result = risks_treated(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert result.reason == "1 risk at or above the treatment threshold without a treatment in force (R-0001)."
    assert [record.id for record in result.records] == [str(Risk.objects.get(number=1).public_id)]


def test_low_risks_without_treatment_do_not_count(cast: Cast) -> None:
    analysis = analysed(cast)
    risk(cast.org, 1, likelihood=2, impact=2, analysis=analysis)
    risk(cast.org, 2, likelihood=4, impact=4, analysis=analysis, treatment=Treatment.MITIGATE)
    result = risks_treated(cast.org, TODAY)
    assert result.status == Status.MET
    assert "(2 open risks)" in result.reason


def test_some_treated_and_some_not_is_partial(cast: Cast) -> None:
    analysis = analysed(cast)
    risk(cast.org, 1, likelihood=4, impact=4, analysis=analysis, treatment=Treatment.TRANSFER)
    risk(cast.org, 2, likelihood=4, impact=4, analysis=analysis)
    assert risks_treated(cast.org, TODAY).status == Status.PARTIALLY_MET


def test_a_closed_risk_needs_no_treatment(cast: Cast) -> None:
    analysis = analysed(cast)
    risk(cast.org, 1, likelihood=5, impact=5, analysis=analysis, status=Risk.Status.CLOSED)
    assert risks_treated(cast.org, TODAY).status == Status.MET


def test_accept_without_a_signed_acceptance_is_not_a_treatment(cast: Cast) -> None:
    analysis = analysed(cast)
    risk(cast.org, 1, likelihood=4, impact=4, analysis=analysis, treatment=Treatment.ACCEPT)
    assert risks_treated(cast.org, TODAY).status == Status.NOT_MET


def test_a_current_acceptance_is_met_and_its_expiry_is_the_lapse_date(cast: Cast) -> None:
    analysis = analysed(cast)
    accepted = risk(cast.org, 1, likelihood=4, impact=4, analysis=analysis, treatment=Treatment.ACCEPT)
    acceptance(cast.org, cast.official, accepted, expires_on=date(2026, 12, 31))
    result = risks_treated(cast.org, TODAY)
    assert result.status == Status.MET
    assert result.lapses_on == date(2026, 12, 31)


def test_an_expired_acceptance_is_not_met_on_its_expiry_day(cast: Cast) -> None:
    analysis = analysed(cast)
    accepted = risk(cast.org, 1, likelihood=4, impact=4, analysis=analysis, treatment=Treatment.ACCEPT)
    acceptance(cast.org, cast.official, accepted, expires_on=TODAY)
    result = risks_treated(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert result.reason == "1 risk acceptance expired (R-0001 on 2026-06-01)."


def test_a_renewed_acceptance_replaces_the_expired_one(cast: Cast) -> None:
    analysis = analysed(cast)
    accepted = risk(cast.org, 1, likelihood=4, impact=4, analysis=analysis, treatment=Treatment.ACCEPT)
    acceptance(cast.org, cast.official, accepted, expires_on=TODAY - timedelta(days=1))
    acceptance(cast.org, cast.official, accepted, expires_on=TODAY + timedelta(days=300))
    assert risks_treated(cast.org, TODAY).status == Status.MET


def test_a_withdrawn_acceptance_does_not_count(cast: Cast) -> None:
    analysis = analysed(cast)
    accepted = risk(cast.org, 1, likelihood=4, impact=4, analysis=analysis, treatment=Treatment.ACCEPT)
    signed = acceptance(cast.org, cast.official, accepted, expires_on=TODAY + timedelta(days=300))
    RiskAcceptance.objects.filter(pk=signed.pk).update(withdrawn_at=signed.accepted_at)
    assert risks_treated(cast.org, TODAY).status == Status.NOT_MET


def test_an_action_thirty_days_overdue_is_tolerated_and_thirty_one_is_not(cast: Cast) -> None:
    analysis = analysed(cast)
    mitigated = risk(cast.org, 1, likelihood=4, impact=4, analysis=analysis, treatment=Treatment.MITIGATE)
    late = action(cast, mitigated, due_on=TODAY - timedelta(days=30))
    assert risks_treated(cast.org, TODAY).status == Status.MET
    MitigationAction.objects.filter(pk=late.pk).update(due_on=TODAY - timedelta(days=31))
    result = risks_treated(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert result.reason == ("1 mitigation action more than 30 days overdue (R-0001 “Fix R-0001” due 2026-05-01).")


def test_finished_and_cancelled_actions_are_never_overdue(cast: Cast) -> None:
    analysis = analysed(cast)
    mitigated = risk(cast.org, 1, likelihood=4, impact=4, analysis=analysis, treatment=Treatment.MITIGATE)
    action(cast, mitigated, due_on=TODAY - timedelta(days=90), status=MitigationAction.Status.CANCELLED)
    assert risks_treated(cast.org, TODAY).status == Status.MET


def test_the_next_lapse_is_when_an_open_action_would_pass_the_grace_period(cast: Cast) -> None:
    analysis = analysed(cast)
    mitigated = risk(cast.org, 1, likelihood=4, impact=4, analysis=analysis, treatment=Treatment.MITIGATE)
    action(cast, mitigated, due_on=date(2026, 7, 1))
    assert risks_treated(cast.org, TODAY).lapses_on == date(2026, 8, 1)


def test_each_risk_is_judged_by_the_threshold_of_its_own_analysis(cast: Cast) -> None:
    analysis = analysed(cast)
    RiskAnalysis.objects.filter(pk=analysis.pk).update(method=analysis.method | {"treatment_threshold": "high"})
    risk(cast.org, 1, likelihood=1, impact=5, analysis=analysis)  # medium: under this analysis's threshold
    assert risks_treated(cast.org, TODAY).status == Status.MET


def test_risks_outside_any_analysis_follow_the_organizations_method(cast: Cast) -> None:
    analysed(cast)
    risk(cast.org, 1, likelihood=1, impact=5)  # medium, no analysis
    assert risks_treated(cast.org, TODAY).status == Status.NOT_MET
    method_update(organization=cast.org, actor=Actor(user=cast.official), treatment_threshold="high")
    assert risks_treated(cast.org, TODAY).status == Status.MET


def test_another_organizations_untreated_risks_do_not_count(cast: Cast) -> None:
    analysed(cast)
    risk(cast.other_org, 1, likelihood=5, impact=5)
    assert risks_treated(cast.org, TODAY).status == Status.MET
