"""Running a risk analysis through its services: start freezes scope and method, open risks carry forward, one
open analysis at a time, scope changes in draft, review, and the security official's signed approval."""

from __future__ import annotations

import pytest

from safeguard.core.models import AuditEvent, Obligation, Signature
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.signatures import content_hash
from safeguard.risk.models import AnalysisScopeItem, ReanalysisTrigger, Risk, RiskAnalysis, Threat, Vulnerability
from safeguard.risk.services.analyses import (
    analysis_approve,
    analysis_return,
    analysis_scope_add,
    analysis_scope_remove,
    analysis_submit,
    analysis_update,
)
from safeguard.risk.services.method import method_update
from safeguard.risk.services.risks import risk_assess
from safeguard.risk.services.triggers import reanalysis_flag
from tests.conftest import Cast, make_member
from tests.test_risk_analysis_support import actor, approved, asset, in_review, record, start

Status = RiskAnalysis.Status


# --- start --------------------------------------------------------------------------------------------------------


def test_start_freezes_the_assets_in_service_and_the_method(cast: Cast) -> None:
    asset(cast, "EHR server")
    asset(cast, "Billing")
    asset(cast, "New portal", status="planned")
    asset(cast, "Old fax", status="retired")

    analysis = start(cast)

    assert sorted(analysis.scope_items.values_list("name", flat=True)) == ["Billing", "EHR server"]
    assert analysis.method["profile"] == "5x5"
    assert analysis.method["reanalysis_months"] == 12
    assert analysis.status == Status.DRAFT
    assert analysis.started_by == cast.owner


def test_later_method_edits_and_new_assets_do_not_change_a_started_analysis(cast: Cast) -> None:
    asset(cast, "EHR server")
    analysis = start(cast)

    method_update(organization=cast.org, actor=actor(cast.owner), profile="3x3")
    asset(cast, "Added later")
    analysis.refresh_from_db()

    assert analysis.method["profile"] == "5x5"
    assert len(analysis.method["likelihood_levels"]) == 5
    assert list(analysis.scope_items.values_list("name", flat=True)) == ["EHR server"]
    # A risk in it is still rated on the frozen 5×5 scales.
    assert record(cast, analysis, likelihood=5, impact=5).inherent_level == "critical"


def test_scope_items_keep_the_name_and_kind_the_asset_had_at_the_start(cast: Cast) -> None:
    server = asset(cast, "EHR server")
    analysis = start(cast)
    server.name, server.kind = "Renamed", "database"
    server.save()

    item = AnalysisScopeItem.objects.get(analysis=analysis)

    assert (item.name, item.kind, item.status) == ("EHR server", "server", "in_service")


def test_methodology_defaults_to_the_organizations_and_may_be_given(cast: Cast) -> None:
    method_update(organization=cast.org, actor=actor(cast.owner), methodology="Interviews and scans.")
    assert start(cast, "First").methodology == "Interviews and scans."
    RiskAnalysis.objects.update(status=Status.APPROVED)
    assert start(cast, "Second", methodology="  Our own words.  ").methodology == "Our own words."


def test_start_carries_every_open_risk_forward_and_rerates_it_under_the_frozen_method(cast: Cast) -> None:
    first = approved(cast, "2025 analysis")
    carried = Risk.objects.get(analysis=first)
    closed = record(cast, None, "Closed one")
    Risk.objects.filter(pk=closed.pk).update(status=Risk.Status.CLOSED)
    between = record(cast, None, "Recorded between analyses", likelihood=2, impact=2)
    method_update(organization=cast.org, actor=actor(cast.owner), profile="3x3")
    between.refresh_from_db()  # re-rated on the 3×3 scales by the method change
    assert (between.likelihood, between.inherent_level) == (2, "medium")

    second = start(cast, "2026 analysis")

    assert set(Risk.objects.filter(analysis=second)) == {carried, between}
    carried.refresh_from_db()
    # Rated 3 × 4 on the 5×5 scales: impact 4 is not on the 3×3 scale, so the pair is cleared to be redone.
    assert (carried.likelihood, carried.impact, carried.inherent_score) == (None, None, None)
    closed.refresh_from_db()
    assert closed.analysis is None
    started = AuditEvent.objects.get(action="risk.analysis.started", object_id=str(second.public_id))
    assert started.changes["risks"] == [None, [carried.reference, between.reference]]
    # The approved analysis keeps the document it was approved with.
    first.refresh_from_db()
    assert first.approved_content is not None
    assert [row["reference"] for row in first.approved_content["risks"]] == [carried.reference]


def test_only_one_analysis_may_be_open_at_a_time(cast: Cast) -> None:
    start(cast, "2026 risk analysis")

    with pytest.raises(ServiceError) as refused:
        start(cast, "Another")

    assert "finish or approve “2026 risk analysis” first" in refused.value.message.lower()
    assert RiskAnalysis.objects.count() == 1


def test_an_analysis_in_review_also_blocks_a_new_one(cast: Cast) -> None:
    in_review(cast)
    with pytest.raises(ServiceError, match="only one analysis can be open"):
        start(cast, "Another")


def test_a_new_analysis_may_start_once_the_last_is_approved(cast: Cast) -> None:
    approved(cast, "2025")
    assert start(cast, "2026").status == Status.DRAFT


def test_start_seeds_the_library(cast: Cast) -> None:
    start(cast)
    assert Threat.objects.filter(organization=cast.org).count() > 20
    assert Vulnerability.objects.filter(organization=cast.org).count() > 20


def test_start_refuses_a_blank_title_and_writes_nothing(cast: Cast) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        start(cast, "  ")
    assert refused.value.field == "title"
    assert not RiskAnalysis.objects.exists()
    assert AuditEvent.objects.count() == before


# --- draft changes ----------------------------------------------------------------------------------------------


def test_title_and_methodology_change_in_draft_only(cast: Cast) -> None:
    analysis = start(cast)
    analysis_update(organization=cast.org, actor=actor(cast.owner), analysis=analysis, title="Renamed")
    assert RiskAnalysis.objects.get().title == "Renamed"
    record(cast, analysis)
    analysis_submit(organization=cast.org, actor=actor(cast.owner), analysis=analysis)

    with pytest.raises(ServiceError, match="Only an analysis that is draft can be changed"):
        analysis_update(organization=cast.org, actor=actor(cast.owner), analysis=analysis, title="Again")


def test_scope_add_and_remove_in_draft(cast: Cast) -> None:
    analysis = start(cast)
    planned = asset(cast, "Portal", status="planned")

    analysis_scope_add(organization=cast.org, actor=actor(cast.owner), analysis=analysis, asset=planned)
    assert list(analysis.scope_items.values_list("name", flat=True)) == ["Portal"]
    with pytest.raises(ServiceError, match="already in the scope"):
        analysis_scope_add(organization=cast.org, actor=actor(cast.owner), analysis=analysis, asset=planned)

    analysis_scope_remove(organization=cast.org, actor=actor(cast.owner), analysis=analysis, asset=planned)
    assert not analysis.scope_items.exists()


def test_scope_refuses_retired_and_other_organizations_assets(cast: Cast) -> None:
    analysis = start(cast)
    with pytest.raises(ServiceError, match="retired"):
        analysis_scope_add(
            organization=cast.org, actor=actor(cast.owner), analysis=analysis, asset=asset(cast, "Old", "retired")
        )
    with pytest.raises(ServiceError, match="No such asset"):
        analysis_scope_add(
            organization=cast.org, actor=actor(cast.owner), analysis=analysis, asset=asset(cast, "X", other=True)
        )


def test_an_asset_named_by_a_risk_stays_in_the_scope(cast: Cast) -> None:
    server = asset(cast, "EHR server")
    analysis = start(cast)
    risk = record(cast, analysis, assets=[server])

    with pytest.raises(ServiceError) as refused:
        analysis_scope_remove(organization=cast.org, actor=actor(cast.owner), analysis=analysis, asset=server)

    assert risk.reference in refused.value.message
    assert analysis.scope_items.count() == 1


# --- review -----------------------------------------------------------------------------------------------------


def test_submit_refuses_an_analysis_without_risks(cast: Cast) -> None:
    analysis = start(cast)
    with pytest.raises(ServiceError, match="Record at least one risk"):
        analysis_submit(organization=cast.org, actor=actor(cast.owner), analysis=analysis)
    assert RiskAnalysis.objects.get().status == Status.DRAFT


def test_submit_names_the_unrated_risks(cast: Cast) -> None:
    analysis = start(cast)
    record(cast, analysis, "Rated")
    record(cast, analysis, "No impact", impact=None)
    record(cast, analysis, "Nothing", likelihood=None, impact=None)

    with pytest.raises(ServiceError) as refused:
        analysis_submit(organization=cast.org, actor=actor(cast.owner), analysis=analysis)

    assert "R-0002, R-0003 have no likelihood and impact" in refused.value.message
    assert RiskAnalysis.objects.get().status == Status.DRAFT


def test_submit_then_return_with_a_reason(cast: Cast) -> None:
    analysis = in_review(cast)
    assert analysis.status == Status.IN_REVIEW and analysis.submitted_at is not None

    with pytest.raises(ServiceError) as refused:
        analysis_return(organization=cast.org, actor=actor(cast.official), analysis=analysis, reason=" ")
    assert refused.value.field == "reason"

    returned = analysis_return(
        organization=cast.org, actor=actor(cast.official), analysis=analysis, reason="Rate the laptops again."
    )
    assert (returned.status, returned.submitted_at) == (Status.DRAFT, None)
    event = AuditEvent.objects.get(action="risk.analysis.returned")
    assert event.changes["reason"] == [None, "Rate the laptops again."]


def test_return_refuses_a_draft(cast: Cast) -> None:
    analysis = start(cast)
    with pytest.raises(ServiceError, match="Only an analysis that is in review can be returned"):
        analysis_return(organization=cast.org, actor=actor(cast.official), analysis=analysis, reason="x")


# --- approval ---------------------------------------------------------------------------------------------------


def test_approval_stores_the_signed_document_and_its_hash(cast: Cast) -> None:
    asset(cast, "EHR server")
    analysis = in_review(cast)

    analysis_approve(organization=cast.org, actor=actor(cast.official), analysis=analysis, statement="I approve.")

    analysis.refresh_from_db()
    signature = analysis.approval
    assert signature is not None and analysis.approved_content is not None
    assert analysis.status == Status.APPROVED
    assert analysis.approved_at == signature.signed_at
    assert content_hash(analysis.approved_content) == signature.content_sha256
    assert (signature.signer, signature.signer_role) == (cast.official, Role.SECURITY_OFFICIAL)
    assert signature.meaning == Signature.Meaning.APPROVED
    assert (signature.target_type, signature.target_id) == ("risk.riskanalysis", str(analysis.public_id))
    assert signature.statement == "I approve."
    assert [item["name"] for item in analysis.approved_content["scope"]] == ["EHR server"]
    assert analysis.approved_content["risks"][0]["reference"] == "R-0001"
    assert AuditEvent.objects.filter(action="risk.analysis.approved", object_id=str(analysis.public_id)).exists()


def test_approval_resolves_open_triggers_and_completes_their_obligations(cast: Cast) -> None:
    trigger = reanalysis_flag(
        organization=cast.org, actor=actor(cast.owner), kind="significant_change", reason="New EHR vendor."
    )
    assert trigger is not None and trigger.obligation is not None
    analysis = in_review(cast)

    analysis_approve(organization=cast.org, actor=actor(cast.official), analysis=analysis, statement="I approve.")

    trigger.refresh_from_db()
    assert trigger.resolved_by == analysis
    assert Obligation.objects.get(pk=trigger.obligation.pk).status == Obligation.Status.DONE
    assert not ReanalysisTrigger.objects.filter(resolved_by__isnull=True).exists()


def test_an_owner_who_is_not_the_security_official_cannot_approve(cast: Cast) -> None:
    analysis = in_review(cast)
    before = AuditEvent.objects.count()

    with pytest.raises(ServiceError) as refused:
        analysis_approve(organization=cast.org, actor=actor(cast.owner), analysis=analysis, statement="I approve.")

    assert "security official" in refused.value.message.lower()
    assert RiskAnalysis.objects.get().status == Status.IN_REVIEW
    assert not Signature.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_former_security_official_cannot_approve(cast: Cast) -> None:
    former = make_member(cast.org, "former-so@clinic.test", Role.SECURITY_OFFICIAL, is_active=False).user
    analysis = in_review(cast)
    with pytest.raises(ServiceError, match="security official"):
        analysis_approve(organization=cast.org, actor=actor(former), analysis=analysis, statement="I approve.")


def test_approval_refuses_a_draft(cast: Cast) -> None:
    analysis = start(cast)
    record(cast, analysis)
    with pytest.raises(ServiceError, match="Only an analysis that is in review can be approved"):
        analysis_approve(organization=cast.org, actor=actor(cast.official), analysis=analysis, statement="Yes.")


def test_approval_names_risks_that_lost_their_rating(cast: Cast) -> None:
    analysis = in_review(cast)
    Risk.objects.filter(analysis=analysis).update(likelihood=None, inherent_score=None, inherent_level="")

    with pytest.raises(ServiceError, match="R-0001 has no likelihood and impact"):
        analysis_approve(organization=cast.org, actor=actor(cast.official), analysis=analysis, statement="Yes.")
    assert not Signature.objects.exists()


def test_approval_needs_a_statement(cast: Cast) -> None:
    analysis = in_review(cast)
    with pytest.raises(ServiceError) as refused:
        analysis_approve(organization=cast.org, actor=actor(cast.official), analysis=analysis, statement=" ")
    assert refused.value.field == "statement"


def test_an_approved_analysis_is_immutable(cast: Cast) -> None:
    analysis = approved(cast)
    risk = Risk.objects.get(analysis=analysis)

    with pytest.raises(ServiceError, match="start a new analysis to re-rate it"):
        risk_assess(organization=cast.org, actor=actor(cast.owner), risk=risk, likelihood=1)
    with pytest.raises(ServiceError, match="can be changed"):
        analysis_update(organization=cast.org, actor=actor(cast.owner), analysis=analysis, title="Rewritten")
    with pytest.raises(ServiceError, match="can be returned"):
        analysis_return(organization=cast.org, actor=actor(cast.owner), analysis=analysis, reason="Again")
    with pytest.raises(ServiceError, match="can be approved"):
        analysis_approve(organization=cast.org, actor=actor(cast.official), analysis=analysis, statement="Again")
    with pytest.raises(ServiceError, match="risks can be added only to a draft"):
        record(cast, analysis, "Late addition")
    risk.refresh_from_db()
    assert risk.likelihood == 3
    assert Signature.objects.count() == 1
