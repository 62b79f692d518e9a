"""Recording and assessing risks through the services: ratings on the right matrix, numbering per organization,
assets in scope, library entries, and when a risk may be re-rated."""

from __future__ import annotations

import pytest

from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Risk, Threat, ThreatSource, Vulnerability, VulnerabilityArea
from safeguard.risk.services.analyses import analysis_return
from safeguard.risk.services.method import method_update
from safeguard.risk.services.risks import assessment_warnings, risk_assess, risk_create
from tests.conftest import Cast
from tests.test_risk_analysis_support import actor, approved, asset, in_review, record, start


def refusal(cast: Cast, **values: object) -> ServiceError:
    before = (Risk.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ServiceError) as refused:
        record(cast, **values)  # type: ignore[arg-type]
    assert (Risk.objects.count(), AuditEvent.objects.count()) == before
    return refused.value


def test_a_risk_is_rated_and_levelled_by_the_analysis_method(cast: Cast) -> None:
    analysis = start(cast)

    risk = record(cast, analysis, likelihood=4, impact=5, residual_likelihood=2, residual_impact=3)

    assert (risk.inherent_score, risk.inherent_level, risk.inherent_rank) == (20, "critical", 3)
    assert (risk.residual_score, risk.residual_level, risk.residual_rank) == (6, "medium", 1)
    assert risk.reference == "R-0001"
    assert AuditEvent.objects.get(action="risk.created").changes["inherent_level"] == [None, "critical"]


def test_a_rating_outside_the_matrix_is_refused_on_its_field(cast: Cast) -> None:
    analysis = start(cast)

    error = refusal(cast, analysis=analysis, likelihood=7)

    assert error.field == "likelihood"
    assert error.message == "likelihood 7 is outside the 5×5 matrix (1–5)."
    assert refusal(cast, analysis=analysis, residual_impact=0).field == "residual_impact"


def test_the_3x3_profile_rates_on_three_levels(cast: Cast) -> None:
    method_update(organization=cast.org, actor=actor(cast.owner), profile="3x3")
    analysis = start(cast)

    assert [record(cast, analysis, likelihood=lk, impact=im).inherent_level for lk, im in ((1, 2), (1, 3), (2, 3))] == [
        "low",
        "medium",
        "high",
    ]
    error = refusal(cast, analysis=analysis, likelihood=3, impact=4)
    assert (error.field, error.message) == ("impact", "impact 4 is outside the 3×3 matrix (1–3).")


def test_a_risk_between_analyses_follows_the_organizations_method(cast: Cast) -> None:
    method_update(organization=cast.org, actor=actor(cast.owner), profile="3x3")
    assert refusal(cast, analysis=None, likelihood=5).field == "likelihood"
    assert record(cast, None, likelihood=3, impact=3).inherent_level == "high"


def test_numbers_run_per_organization(cast: Cast) -> None:
    record(cast, None, "First")
    record(cast, None, "Second")
    elsewhere = risk_create(organization=cast.other_org, actor=actor(cast.outsider), analysis=None, title="Theirs")

    assert list(Risk.objects.filter(organization=cast.org).values_list("number", flat=True)) == [1, 2]
    assert elsewhere.number == 1


def test_assets_must_be_in_the_analysis_scope(cast: Cast) -> None:
    server = asset(cast, "EHR server")
    analysis = start(cast)
    later = asset(cast, "Added after the start")

    error = refusal(cast, analysis=analysis, assets=[later])

    assert error.field == "assets"
    assert "“Added after the start” is not in the scope" in error.message
    assert list(record(cast, analysis, assets=[server]).assets.all()) == [server]


def test_assets_and_library_entries_must_be_the_organizations(cast: Cast) -> None:
    theirs = asset(cast, "Their server", other=True)
    threat = Threat.objects.create(organization=cast.other_org, name="X", source_type=ThreatSource.ACCIDENTAL)
    assert refusal(cast, analysis=None, assets=[theirs]).field == "assets"
    assert refusal(cast, analysis=None, threat=threat).field == "threat"


def test_a_deactivated_entry_cannot_be_chosen_for_a_new_risk(cast: Cast) -> None:
    weakness = Vulnerability.objects.create(
        organization=cast.org, name="Old weakness", area=VulnerabilityArea.TECHNICAL, is_active=False
    )
    error = refusal(cast, analysis=None, vulnerability=weakness)
    assert error.field == "vulnerability"
    assert "deactivated" in error.message


def test_requirements_are_catalog_citations(cast: Cast) -> None:
    risk = record(cast, None, requirements=["164.312(a)(1)", "164.308(a)(1)(ii)(A)"])
    assert sorted(r.citation for r in risk.requirements.all()) == ["164.308(a)(1)(ii)(A)", "164.312(a)(1)"]
    error = refusal(cast, analysis=None, requirements=["164.999"])
    assert (error.field, error.message) == ("requirements", "Unknown citation '164.999': it is not in the catalog.")


def test_the_owner_must_be_a_current_member_and_not_an_auditor(cast: Cast) -> None:
    assert record(cast, None, owner=cast.official).owner == cast.official
    assert refusal(cast, analysis=None, owner=cast.auditor).field == "owner"
    assert refusal(cast, analysis=None, owner=cast.outsider).field == "owner"


def test_a_residual_score_above_the_inherent_is_only_a_warning(cast: Cast) -> None:
    risk = record(cast, None, likelihood=2, impact=2, residual_likelihood=3, residual_impact=3)
    assert risk.residual_score == 9
    assert assessment_warnings(risk) == [
        "R-0001: the residual score (9) is higher than the inherent score (4); "
        "planned controls should not make the risk worse."
    ]


# --- assessing ----------------------------------------------------------------------------------------------------


def test_assess_rerates_and_audits_the_changes(cast: Cast) -> None:
    server = asset(cast, "EHR server")
    analysis = start(cast)
    risk = record(cast, analysis, likelihood=1, impact=1)

    risk_assess(organization=cast.org, actor=actor(cast.official), risk=risk, likelihood=5, impact=4, assets=[server])

    risk.refresh_from_db()
    assert (risk.inherent_score, risk.inherent_level) == (20, "critical")
    event = AuditEvent.objects.get(action="risk.assessed")
    assert event.changes["likelihood"] == [1, 5]
    assert event.changes["inherent_level"] == ["low", "critical"]
    assert event.changes["assets"] == [[], ["EHR server"]]


def test_assess_with_nothing_changed_writes_no_audit_event(cast: Cast) -> None:
    risk = record(cast, None)
    before = AuditEvent.objects.count()
    risk_assess(organization=cast.org, actor=actor(cast.owner), risk=risk, title=risk.title, likelihood=3)
    assert AuditEvent.objects.count() == before


def test_assess_refuses_a_rating_outside_the_matrix(cast: Cast) -> None:
    risk = record(cast, start(cast))
    with pytest.raises(ServiceError) as refused:
        risk_assess(organization=cast.org, actor=actor(cast.owner), risk=risk, impact=9)
    assert refused.value.field == "impact"
    risk.refresh_from_db()
    assert risk.impact == 4


def test_assess_refuses_fields_that_belong_to_the_treatment(cast: Cast) -> None:
    risk = record(cast, None)
    with pytest.raises(ServiceError, match="Unknown fields: owner, treatment"):
        risk_assess(organization=cast.org, actor=actor(cast.owner), risk=risk, treatment="accept", owner=cast.owner)


def test_a_risk_in_review_is_rerated_only_after_the_analysis_returns_to_draft(cast: Cast) -> None:
    analysis = in_review(cast)
    risk = Risk.objects.get(analysis=analysis)

    with pytest.raises(ServiceError) as refused:
        risk_assess(organization=cast.org, actor=actor(cast.owner), risk=risk, likelihood=1)
    assert refused.value.message == (
        "R-0001 is part of the analysis in review (“2026 risk analysis”); return the analysis to draft to re-rate it."
    )

    analysis_return(organization=cast.org, actor=actor(cast.official), analysis=analysis, reason="Re-rate R-0001.")
    assert risk_assess(organization=cast.org, actor=actor(cast.owner), risk=risk, likelihood=1).likelihood == 1


def test_a_risk_of_an_approved_analysis_is_rerated_in_the_next_one(cast: Cast) -> None:
    first = approved(cast)
    risk = Risk.objects.get(analysis=first)

    with pytest.raises(ServiceError) as refused:
        risk_assess(organization=cast.org, actor=actor(cast.owner), risk=risk, likelihood=1)
    assert refused.value.message == (
        "R-0001 is part of the approved analysis “2026 risk analysis”; start a new analysis to re-rate it."
    )

    start(cast, "2027 risk analysis")
    risk.refresh_from_db()
    assert risk_assess(organization=cast.org, actor=actor(cast.owner), risk=risk, likelihood=1).inherent_score == 4


def test_assets_a_carried_risk_already_names_stay_allowed(cast: Cast) -> None:
    fax = asset(cast, "Fax server")
    first = approved(cast)
    risk = Risk.objects.get(analysis=first)
    risk.assets.add(fax)
    fax.status = "retired"
    fax.save()
    start(cast, "2027")  # the retired fax server is not in the new scope
    risk.refresh_from_db()

    assessed = risk_assess(organization=cast.org, actor=actor(cast.owner), risk=risk, assets=[fax], likelihood=2)

    assert list(assessed.assets.all()) == [fax]
