"""The break-glass check (164.312(a)(2)(ii)): every use in the last 90 days reviewed within its time limit, the
accounts registered with custodians, and unjustified uses followed up in the sanctions log."""

from __future__ import annotations

from datetime import date, timedelta

from safeguard.access.checks_breakglass import break_glass_reviews, duration
from safeguard.access.models import BreakGlassAccount
from safeguard.tracker.models import Status
from safeguard.tracker.registry import checks_for
from tests.conftest import Cast
from tests.test_breakglass_support import account, at, orm_use, sanction, system

TODAY = date(2025, 3, 20)  # judged at its last instant: 2025-03-20 23:59:59.999999 UTC


def test_the_check_is_registered_for_the_emergency_access_citation() -> None:
    assert "access.break_glass_reviews" in {c.name for c in checks_for("164.312(a)(2)(ii)")}


def test_no_account_registered_is_unknown(cast: Cast) -> None:
    account(cast, target=system(cast, "Their EHR", org=cast.other_org))

    result = break_glass_reviews(cast.org, TODAY)

    assert result.status == Status.UNKNOWN
    assert result.reason == "No break-glass account is registered."
    assert result.next_action == "Register the emergency accounts of each ePHI system with their custodians."


def test_accounts_registered_and_no_use_is_met(cast: Cast) -> None:
    account(cast)
    account(cast, username="bg-pacs", target=system(cast, "PACS"))

    result = break_glass_reviews(cast.org, TODAY)

    assert result.status == Status.MET
    assert result.reason == (
        "No break-glass account was used in the last 90 days; 2 break-glass accounts are registered with custodians."
    )


def test_every_use_reviewed_in_time_is_met_and_counts_them(cast: Cast) -> None:
    bg = account(cast)
    first = orm_use(bg, at(1))
    orm_use(bg, at(5), reviewed_at=at(5, hour=20), justified=True)
    orm_use(bg, at(10), reviewed_at=at(11), justified=True)  # exactly at the deadline: in time
    first.reviewed_at, first.justified = first.review_due_at, True
    first.save()

    result = break_glass_reviews(cast.org, TODAY)

    assert result.status == Status.MET
    assert result.reason == (
        "All 3 uses of break-glass accounts in the last 90 days were reviewed within the time limit; "
        "1 break-glass account is registered with custodians."
    )
    assert result.records == ()


def test_an_overdue_review_is_not_met_and_says_how_overdue(cast: Cast) -> None:
    bg = account(cast)
    overdue = orm_use(bg, at(18, hour=10))  # due 03-19 10:00; judged 03-20 23:59

    result = break_glass_reviews(cast.org, TODAY)

    assert result.status == Status.NOT_MET
    assert result.reason == (
        "Of 1 use of break-glass accounts in the last 90 days, 1 was not reviewed in time. Overdue: the use of "
        "bg-ehr-1 on EHR at 2025-03-18 10:00 by Dr Robin Lee is not reviewed, 37 h past its deadline of "
        "2025-03-19 10:00."
    )
    assert [r.id for r in result.records] == [str(overdue.public_id)]
    assert result.records[0].url == f"/o/clinic/access/break-glass/uses/{overdue.public_id}/"


def test_a_late_review_is_not_met_and_says_how_late(cast: Cast) -> None:
    bg = account(cast)
    orm_use(bg, at(1), reviewed_at=at(4, hour=15), justified=True)  # due 03-02 12:00

    result = break_glass_reviews(cast.org, TODAY)

    assert result.status == Status.NOT_MET
    assert result.reason == (
        "Of 1 use of break-glass accounts in the last 90 days, 1 was not reviewed in time. Late: the use of "
        "bg-ehr-1 on EHR at 2025-03-01 12:00 by Dr Robin Lee was reviewed 2 days 3 h after its deadline of "
        "2025-03-02 12:00."
    )


def test_overdue_and_unlinked_together_list_both(cast: Cast) -> None:
    bg = account(cast)
    orm_use(bg, at(18, hour=10))
    orm_use(bg, at(2), reviewed_at=at(2, hour=18), justified=False)

    result = break_glass_reviews(cast.org, TODAY)

    assert result.status == Status.NOT_MET
    assert "Unjustified and not linked to a sanction: the use of bg-ehr-1 on EHR at 2025-03-02 12:00" in result.reason
    assert len(result.records) == 2


def test_an_unjustified_use_without_a_sanction_is_partially_met(cast: Cast) -> None:
    bg = account(cast)
    misuse = orm_use(bg, at(2), reviewed_at=at(2, hour=18), justified=False)

    result = break_glass_reviews(cast.org, TODAY)

    assert result.status == Status.PARTIALLY_MET
    assert result.reason == (
        "Every use in the last 90 days was reviewed in time or is within its limit, but: Unjustified and not linked "
        "to a sanction: the use of bg-ehr-1 on EHR at 2025-03-02 12:00 by Dr Robin Lee."
    )
    assert [r.id for r in result.records] == [str(misuse.public_id)]
    assert "sanction" in result.next_action

    misuse.sanction = sanction(cast)
    misuse.save()
    assert break_glass_reviews(cast.org, TODAY).status == Status.MET


def test_an_account_without_custodians_is_partially_met(cast: Cast) -> None:
    account(cast)
    lonely = account(cast, username="bg-pacs", target=system(cast, "PACS"), custodians=())

    result = break_glass_reviews(cast.org, TODAY)

    assert result.status == Status.PARTIALLY_MET
    assert result.reason.endswith("but: 1 break-glass account without a custodian: bg-pacs on PACS.")
    assert [r.id for r in result.records] == [str(lonely.public_id)]


def test_a_use_awaiting_review_is_met_until_its_deadline(cast: Cast) -> None:
    bg = account(cast)
    pending = orm_use(bg, at(20, hour=9))  # due 03-21 09:00

    result = break_glass_reviews(cast.org, TODAY)

    assert result.status == Status.MET
    assert result.reason == (
        "1 use in the last 90 days awaits review, due by 2025-03-21 09:00; "
        "1 break-glass account is registered with custodians."
    )
    assert result.lapses_on == date(2025, 3, 21)
    assert [r.id for r in result.records] == [str(pending.public_id)]
    assert break_glass_reviews(cast.org, date(2025, 3, 21)).status == Status.NOT_MET


def test_only_the_last_90_days_count(cast: Cast) -> None:
    bg = account(cast)
    orm_use(bg, at(20, hour=23, month=12, year=2024))  # 90 days before the end of 03-20, never reviewed
    orm_use(bg, at(21, hour=12, month=12, year=2024))  # inside the window, never reviewed

    result = break_glass_reviews(cast.org, TODAY)

    assert result.status == Status.NOT_MET
    assert result.reason.startswith("Of 1 use of break-glass accounts in the last 90 days")
    assert "2024-12-21 12:00" in result.reason


def test_uses_of_another_organization_do_not_count(cast: Cast) -> None:
    account(cast)
    theirs = account(cast, target=system(cast, "Their EHR", org=cast.other_org))
    orm_use(theirs, at(18))

    assert break_glass_reviews(cast.org, TODAY).status == Status.MET
    assert break_glass_reviews(cast.other_org, TODAY).status == Status.NOT_MET


def test_uses_of_retired_accounts_still_count_and_the_empty_register_is_noted(cast: Cast) -> None:
    bg = account(cast)
    orm_use(bg, at(1), reviewed_at=at(1, hour=13), justified=True)
    BreakGlassAccount.objects.filter(pk=bg.pk).update(is_active=False)

    result = break_glass_reviews(cast.org, TODAY)

    assert result.status == Status.PARTIALLY_MET
    assert "No break-glass account is registered any more: every one is retired" in result.reason


def test_a_long_list_names_ten_and_counts_the_rest(cast: Cast) -> None:
    bg = account(cast)
    for day in range(1, 13):
        orm_use(bg, at(day))

    result = break_glass_reviews(cast.org, TODAY)

    assert result.reason.count("Overdue:") == 10
    assert "; and 2 more." in result.reason
    assert len(result.records) == 12


def test_durations_read_as_hours_then_days() -> None:
    assert duration(timedelta(minutes=30)) == "under an hour"
    assert duration(timedelta(hours=47, minutes=59)) == "47 h"
    assert duration(timedelta(hours=48)) == "2 days"
    assert duration(timedelta(hours=75)) == "3 days 3 h"
