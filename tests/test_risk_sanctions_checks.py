"""The sanction-policy check (164.308(a)(1)(ii)(C)): approved, reviewed within 12 months, and a log in use."""

from __future__ import annotations

from datetime import UTC, date, datetime

from safeguard.core.models import Signature
from safeguard.risk.checks_sanctions import sanction_policy
from safeguard.risk.models import SanctionPolicy
from safeguard.risk.services.sanctions import sanction_log_review
from safeguard.tracker.models import Status
from safeguard.tracker.registry import checks_for
from tests.conftest import Cast
from tests.test_risk_sanctions_support import VIOLATION, actor, approved, draft, orm_sanction

REVIEWED = date(2025, 10, 1)
LAPSES = date(2026, 10, 1)  # the first day the review no longer counts


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


def reviewed_on(policy: SanctionPolicy, day: date) -> SanctionPolicy:
    SanctionPolicy.objects.filter(pk=policy.pk).update(approved_at=at_noon(day), last_reviewed_at=at_noon(day))
    policy.refresh_from_db()
    return policy


def log_reviewed_on(cast: Cast, day: date) -> Signature:
    signature = sanction_log_review(organization=cast.org, actor=actor(cast.official), statement="Nothing to record.")
    Signature.objects.filter(pk=signature.pk).update(signed_at=at_noon(day))
    return signature


def test_the_check_is_registered_for_the_sanction_policy_citation() -> None:
    assert "risk.sanction_policy" in {c.name for c in checks_for("164.308(a)(1)(ii)(C)")}


def test_no_policy_at_all_is_not_met(cast: Cast) -> None:
    result = sanction_policy(cast.org, REVIEWED)

    assert result.status == Status.NOT_MET
    assert result.reason == "No sanction policy is recorded."
    assert result.records == () and result.lapses_on is None
    assert "approve" in result.next_action


def test_a_draft_alone_is_not_met_and_points_at_the_draft(cast: Cast) -> None:
    policy = draft(cast)

    result = sanction_policy(cast.org, REVIEWED)

    assert result.status == Status.NOT_MET
    assert "version 1 is a draft" in result.reason
    assert [r.id for r in result.records] == [str(policy.public_id)]
    assert result.records[0].url == f"/o/clinic/risk/sanction-policy/{policy.public_id}/"


def test_a_superseded_version_alone_does_not_count(cast: Cast) -> None:
    policy = reviewed_on(approved(cast), REVIEWED)
    SanctionPolicy.objects.filter(pk=policy.pk).update(status=SanctionPolicy.Status.SUPERSEDED)
    log_reviewed_on(cast, REVIEWED)

    assert sanction_policy(cast.org, REVIEWED).status == Status.NOT_MET


def test_the_latest_approved_version_is_the_one_judged(cast: Cast) -> None:
    reviewed_on(approved(cast), date(2024, 1, 10))
    current = reviewed_on(approved(cast, "Revised"), REVIEWED)
    log_reviewed_on(cast, REVIEWED)

    result = sanction_policy(cast.org, date(2026, 1, 1))

    assert result.status == Status.MET
    assert "v2" in result.reason
    assert result.records[0].id == str(current.public_id)


def test_the_day_before_the_lapse_is_still_met(cast: Cast) -> None:
    reviewed_on(approved(cast), REVIEWED)
    log_reviewed_on(cast, date(2026, 6, 1))

    result = sanction_policy(cast.org, date(2026, 9, 30))

    assert result.status == Status.MET
    assert result.lapses_on == LAPSES
    assert result.reason == (
        "The sanction policy v1 is approved and was reviewed on 2025-10-01, and the sanctions log is in use."
    )


def test_twelve_months_after_the_review_it_is_not_met_and_the_reason_names_the_date(cast: Cast) -> None:
    reviewed_on(approved(cast), REVIEWED)
    log_reviewed_on(cast, date(2026, 6, 1))

    result = sanction_policy(cast.org, LAPSES)

    assert result.status == Status.NOT_MET
    assert result.reason == "The sanction policy v1 was last reviewed on 2025-10-01, 12 months ago or more."
    assert "Review the sanction policy" in result.next_action


def test_an_approved_current_policy_with_an_unused_log_is_partially_met(cast: Cast) -> None:
    reviewed_on(approved(cast), REVIEWED)

    result = sanction_policy(cast.org, date(2026, 1, 1))

    assert result.status == Status.PARTIALLY_MET
    assert "shows no use in the last 12 months" in result.reason
    assert result.lapses_on == LAPSES
    assert {r.type for r in result.records} == {"risk.sanctionpolicy", "risk.sanctionlog"}


def test_a_sanction_decided_within_12_months_shows_the_log_in_use(cast: Cast) -> None:
    reviewed_on(approved(cast), REVIEWED)
    orm_sanction(cast, decided_on=date(2025, 3, 15))

    on_the_last_day = sanction_policy(cast.org, date(2026, 3, 14))
    on_the_lapse_day = sanction_policy(cast.org, date(2026, 3, 15))

    assert (on_the_last_day.status, on_the_last_day.lapses_on) == (Status.MET, date(2026, 3, 15))
    assert on_the_lapse_day.status == Status.PARTIALLY_MET


def test_a_signed_log_review_within_12_months_shows_the_log_in_use(cast: Cast) -> None:
    reviewed_on(approved(cast), REVIEWED)
    log_reviewed_on(cast, date(2025, 2, 1))

    assert sanction_policy(cast.org, date(2026, 1, 31)).status == Status.MET
    assert sanction_policy(cast.org, date(2026, 2, 1)).status == Status.PARTIALLY_MET


def test_records_dated_after_the_day_judged_do_not_count(cast: Cast) -> None:
    reviewed_on(approved(cast), REVIEWED)
    orm_sanction(cast, decided_on=date(2026, 2, 1))

    assert sanction_policy(cast.org, date(2026, 1, 1)).status == Status.PARTIALLY_MET


def test_another_organizations_log_does_not_count(cast: Cast) -> None:
    reviewed_on(approved(cast), REVIEWED)
    orm_sanction(cast, decided_on=date(2025, 12, 1), organization=cast.other_org, decided_by=cast.outsider)

    assert sanction_policy(cast.org, date(2026, 1, 1)).status == Status.PARTIALLY_MET


def test_the_verdict_never_reveals_a_sanction(cast: Cast) -> None:
    reviewed_on(approved(cast), REVIEWED)
    record = orm_sanction(cast, decided_on=date(2025, 12, 1))

    result = sanction_policy(cast.org, date(2026, 1, 1))

    text = " ".join([result.reason, result.next_action, *(f"{r.id} {r.label} {r.url}" for r in result.records)])
    assert result.status == Status.MET
    assert VIOLATION not in text and "Jordan" not in text and str(record.public_id) not in text
    assert "2025-12-01" not in text
