"""The break-glass register's rules: accounts, uses and their review deadlines, the review (never by who used it),
and the link from an unjustified use to its sanction, each audited."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from safeguard.access.models import AccessSettings, BreakGlassAccount, BreakGlassActivation
from safeguard.access.services.breakglass import (
    ReviewState,
    activation_link_sanction,
    activation_record,
    activation_rows,
    breakglass_account_create,
    breakglass_account_deactivate,
    breakglass_account_reactivate,
    breakglass_account_update,
    in_state,
    review_state,
)
from safeguard.core.chores import as_of
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from tests import access_factories as make
from tests.conftest import Cast
from tests.test_breakglass_support import (
    RECORDS,
    SANCTION_SECRET,
    account,
    actor,
    desk,
    member,
    orm_use,
    reviewed,
    sanction,
    system,
    use,
)

Source = BreakGlassActivation.Source


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


# ---- accounts ---------------------------------------------------------------------------------------------------


def test_an_account_gets_the_organization_default_of_24_hours_and_is_audited(cast: Cast) -> None:
    bg = account(cast)

    assert bg.review_hours == 24
    assert list(bg.custodians.all()) == [cast.official]
    [event] = events("access.breakglass_account.created")
    assert event.object_id == str(bg.public_id)
    assert event.changes["username"] == [None, "bg-ehr-1"]
    assert event.changes["custodians"] == [None, ["so@clinic.test"]]
    assert event.changes["system"] == [None, str(bg.system.public_id)]


def test_the_default_time_limit_comes_from_the_access_settings(cast: Cast) -> None:
    AccessSettings.objects.create(organization=cast.org, break_glass_review_hours=8)

    assert account(cast).review_hours == 8
    assert account(cast, username="bg-2", review_hours=48).review_hours == 48


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"username": "  "}, "username", "Give the emergency account's username as the system knows it."),
        ({"review_hours": 0}, "review_hours", "The review time limit is between 1 and 168 hours."),
        ({"review_hours": 169}, "review_hours", "The review time limit is between 1 and 168 hours."),
    ],
)
def test_bad_account_values_are_refused(cast: Cast, values: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ServiceError) as refused:
        account(cast, **values)  # type: ignore[arg-type]

    assert (refused.value.field, refused.value.message) == (field, message)
    assert not BreakGlassAccount.objects.exists()
    assert not events("access.breakglass_account.created")


def test_the_purpose_is_required(cast: Cast) -> None:

    with pytest.raises(ServiceError) as refused:
        breakglass_account_create(
            organization=cast.org, actor=actor(cast.owner), system=system(cast), username="bg", purpose=" "
        )
    assert refused.value.field == "purpose"


def test_the_username_is_unique_per_system_ignoring_case(cast: Cast) -> None:
    ehr = system(cast)
    account(cast, target=ehr, username="bg-ehr-1")

    with pytest.raises(ServiceError) as refused:
        account(cast, target=ehr, username="BG-EHR-1")
    assert refused.value.message == "EHR already has a break-glass account named 'BG-EHR-1'."

    assert account(cast, target=system(cast, "PACS"), username="bg-ehr-1").system.asset.name == "PACS"


def test_the_system_must_be_the_organizations(cast: Cast) -> None:
    theirs = system(cast, "Their EHR", org=cast.other_org)

    with pytest.raises(ServiceError) as refused:
        breakglass_account_create(
            organization=cast.org, actor=actor(cast.owner), system=theirs, username="bg", purpose="Downtime"
        )
    assert (refused.value.field, refused.value.message) == ("system", "Pick a system of this organization.")


@pytest.mark.parametrize("who", ["auditor", "outsider"])
def test_custodians_are_current_members_who_are_not_auditors(cast: Cast, who: str) -> None:
    with pytest.raises(ServiceError) as refused:
        account(cast, custodians=(cast.official, getattr(cast, who)))

    assert refused.value.field == "custodians"
    assert getattr(cast, who).email in refused.value.message
    assert not BreakGlassAccount.objects.exists()


def test_changing_custodians_is_audited_with_before_and_after(cast: Cast) -> None:
    bg = account(cast)

    breakglass_account_update(
        organization=cast.org, actor=actor(cast.owner), account=bg, custodians=[cast.owner, cast.official]
    )

    assert set(bg.custodians.all()) == {cast.owner, cast.official}
    [event] = events("access.breakglass_account.updated")
    assert event.changes == {"custodians": [["so@clinic.test"], ["owner@clinic.test", "so@clinic.test"]]}


def test_an_update_that_changes_nothing_writes_no_event(cast: Cast) -> None:
    bg = account(cast)

    breakglass_account_update(
        organization=cast.org, actor=actor(cast.owner), account=bg, username="bg-ehr-1", custodians=[cast.official]
    )

    assert not events("access.breakglass_account.updated")


def test_the_system_is_fixed_once_the_account_was_used(cast: Cast) -> None:
    bg = account(cast)
    use(cast, bg)

    with pytest.raises(ServiceError) as refused:
        breakglass_account_update(
            organization=cast.org, actor=actor(cast.owner), account=bg, system=system(cast, "PACS")
        )
    assert refused.value.message == "This account has recorded uses: its system cannot change."


def test_retiring_and_reinstating_are_audited_and_not_repeated(cast: Cast) -> None:
    bg = account(cast)

    breakglass_account_deactivate(organization=cast.org, actor=actor(cast.owner), account=bg)
    with pytest.raises(ServiceError, match="already retired"):
        breakglass_account_deactivate(organization=cast.org, actor=actor(cast.owner), account=bg)
    breakglass_account_reactivate(organization=cast.org, actor=actor(cast.owner), account=bg)

    bg.refresh_from_db()
    assert bg.is_active
    assert events("access.breakglass_account.deactivated")[0].changes == {"is_active": [True, False]}
    assert events("access.breakglass_account.reactivated")[0].changes == {"is_active": [False, True]}


# ---- uses and their deadlines -------------------------------------------------------------------------------------


def test_the_review_falls_due_24_hours_after_the_start_by_default(cast: Cast) -> None:
    started = timezone.now() - timedelta(hours=5)

    activation = use(cast, account(cast), started_at=started)

    assert activation.review_due_at == started + timedelta(hours=24)
    assert activation.recorded_by == desk(cast)
    [event] = events("access.breakglass_activation.recorded")
    assert event.changes["review_due_at"][1] == (started + timedelta(hours=24)).isoformat(timespec="microseconds")
    assert event.changes["records_accessed"] == [None, RECORDS]
    assert event.changes["source"] == [None, "manual"]


def test_an_account_with_its_own_limit_sets_its_own_deadline(cast: Cast) -> None:
    started = timezone.now() - timedelta(hours=1)

    activation = use(cast, account(cast, review_hours=4), started_at=started)

    assert activation.review_due_at == started + timedelta(hours=4)


def test_a_new_limit_does_not_move_deadlines_already_set(cast: Cast) -> None:
    bg = account(cast)
    activation = use(cast, bg)

    breakglass_account_update(organization=cast.org, actor=actor(cast.owner), account=bg, review_hours=2)

    activation.refresh_from_db()
    assert activation.review_due_at == activation.started_at + timedelta(hours=24)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"started_at": timezone.now() + timedelta(hours=1)}, "started_at", "A use cannot start in the future."),
        (
            {"started_at": datetime(2025, 3, 1, 12), "ended_at": None},  # noqa: DTZ001  (the naive time is the point)
            "started_at",
            "Give the start of the use as a date and time with its time zone.",
        ),
        (
            {"ended_at": timezone.now() - timedelta(hours=4)},
            "ended_at",
            "A use cannot end before it started.",
        ),
        (
            {"ended_at": timezone.now() + timedelta(hours=4)},
            "ended_at",
            "Leave the end blank while the use goes on: it cannot be in the future.",
        ),
        ({"used_by_name": ""}, "used_by", "Say who used the account: a person on the roster or their name."),
        ({"reason": "  "}, "reason", "Say why the account was used, as stated at the time."),
    ],
)
def test_bad_uses_are_refused(cast: Cast, values: dict[str, object], field: str, message: str) -> None:
    bg = account(cast)

    with pytest.raises(ServiceError) as refused:
        use(cast, bg, **values)  # type: ignore[arg-type]

    assert (refused.value.field, refused.value.message) == (field, message)
    assert not BreakGlassActivation.objects.exists()
    assert not events("access.breakglass_activation.recorded")


def test_a_roster_person_and_a_typed_name_are_not_both_given(cast: Cast) -> None:
    nurse = make.person(cast.org, "E100")

    with pytest.raises(ServiceError) as refused:
        use(cast, account(cast), used_by=nurse, used_by_name="Someone")
    assert refused.value.message == "Name the person on the roster or type a name, not both."


def test_the_person_and_the_account_must_be_the_organizations(cast: Cast) -> None:
    stranger = make.person(cast.other_org, "X1")
    theirs = account(cast, target=system(cast, "Their EHR", org=cast.other_org))

    with pytest.raises(ServiceError) as person_refused:
        use(cast, account(cast), used_by=stranger, used_by_name="")

    with pytest.raises(ServiceError) as account_refused:
        activation_record(
            organization=cast.org,
            actor=actor(cast.owner),
            account=theirs,
            started_at=timezone.now(),
            used_by_name="Dr Lee",
            reason="Downtime",
        )
    assert person_refused.value.field == "used_by"
    assert account_refused.value.field == "account"


def test_activity_review_records_a_use_without_who_or_why(cast: Cast) -> None:

    bg = account(cast)
    started = timezone.now() - timedelta(hours=2)

    activation = activation_record(
        organization=cast.org, actor=actor(None), account=bg, started_at=started, source=Source.ACTIVITY
    )

    assert activation.source == Source.ACTIVITY
    assert activation.recorded_by is None
    assert (activation.used_by, activation.used_by_name, activation.reason) == (None, "", "")
    [event] = events("access.breakglass_activation.recorded")
    assert event.actor_label == "system:activity-review"


# ---- the review -------------------------------------------------------------------------------------------------


def test_a_review_exactly_at_the_deadline_is_in_time(cast: Cast) -> None:
    activation = use(cast, account(cast), started_at=timezone.now() - timedelta(hours=30))

    done = reviewed(cast, activation, reviewed_at=activation.review_due_at)

    assert review_state(done, timezone.now()) == ReviewState.REVIEWED
    assert events("access.breakglass_activation.reviewed")[0].changes["late"] == [None, False]


def test_a_review_a_moment_after_the_deadline_is_accepted_and_stays_late(cast: Cast) -> None:
    activation = use(cast, account(cast), started_at=timezone.now() - timedelta(hours=30))

    done = reviewed(cast, activation, reviewed_at=activation.review_due_at + timedelta(microseconds=1))

    assert review_state(done, timezone.now()) == ReviewState.LATE
    [event] = events("access.breakglass_activation.reviewed")
    assert event.changes["late"] == [None, True]
    assert event.changes["justified"] == [None, True]
    assert event.changes["reviewed_by"] == [None, str(cast.official.public_id)]


def test_an_unreviewed_use_is_due_until_its_deadline_then_overdue(cast: Cast) -> None:
    activation = use(cast, account(cast), started_at=timezone.now() - timedelta(hours=2))
    deadline = activation.review_due_at

    assert review_state(activation, deadline) == ReviewState.DUE
    assert review_state(activation, deadline + timedelta(microseconds=1)) == ReviewState.OVERDUE


def test_the_state_query_agrees_with_the_rule(cast: Cast) -> None:
    bg = account(cast)
    now = timezone.now()
    due = use(cast, bg, started_at=now - timedelta(hours=1))
    overdue = use(cast, bg, started_at=now - timedelta(hours=30))
    late = reviewed(cast, use(cast, bg, started_at=now - timedelta(hours=50)))
    in_time = reviewed(cast, use(cast, bg, started_at=now - timedelta(hours=10)))
    rows = activation_rows(cast.org)

    for state, expected in [
        (ReviewState.DUE, due),
        (ReviewState.OVERDUE, overdue),
        (ReviewState.LATE, late),
        (ReviewState.REVIEWED, in_time),
    ]:
        assert list(in_state(rows, state, now)) == [expected]
        assert review_state(expected, now) == state


def test_self_review_is_refused(cast: Cast) -> None:
    official_on_roster = make.person(cast.org, "E7", name="Sam Official", email="SO@clinic.test")
    activation = use(cast, account(cast), used_by=official_on_roster, used_by_name="")

    with pytest.raises(ServiceError) as refused:
        reviewed(cast, activation, by=cast.official)

    assert refused.value.message == "You used this account: someone else must review the use."
    activation.refresh_from_db()
    assert activation.reviewed_at is None
    assert not events("access.breakglass_activation.reviewed")
    assert reviewed(cast, activation, by=cast.owner).reviewed_by == cast.owner


@pytest.mark.parametrize("who", ["manager", "auditor", "workforce"])
def test_only_members_who_manage_the_program_review(cast: Cast, who: str) -> None:
    activation = use(cast, account(cast))

    with pytest.raises(ServiceError) as refused:
        reviewed(cast, activation, by=member(cast, who))
    assert refused.value.message == "Only a member who manages the program can review a break-glass use."


def test_a_review_needs_notes_comes_after_the_use_and_happens_once(cast: Cast) -> None:
    activation = use(cast, account(cast))

    with pytest.raises(ServiceError) as no_notes:
        reviewed(cast, activation, notes="  ")
    with pytest.raises(ServiceError) as too_early:
        reviewed(cast, activation, reviewed_at=activation.started_at - timedelta(minutes=1))
    reviewed(cast, activation)
    with pytest.raises(ServiceError) as again:
        reviewed(cast, activation, by=cast.owner, justified=False)

    assert (no_notes.value.field, no_notes.value.message) == ("notes", "Write what you checked and what you found.")
    assert too_early.value.message == "A review cannot come before the use."
    assert again.value.message.startswith("This use was already reviewed by so@clinic.test on ")
    assert len(events("access.breakglass_activation.reviewed")) == 1


# ---- following up an unjustified use --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["official", "privacy", "owner"])
def test_sanction_managers_link_the_sanction(cast: Cast, who: str) -> None:
    activation = reviewed(cast, use(cast, account(cast)), justified=False, by=cast.owner)
    record = sanction(cast)

    linked = activation_link_sanction(
        organization=cast.org, actor=actor(member(cast, who)), activation=activation, sanction=record
    )

    assert linked.sanction == record
    [event] = events("access.breakglass_activation.sanction_linked")
    assert event.changes == {"sanction": [None, str(record.public_id)]}
    assert SANCTION_SECRET not in f"{event.changes} {event.object_repr}"
    assert "Robin" not in str(event.changes)


@pytest.mark.parametrize("who", ["manager", "reviewer", "auditor", "workforce", "outsider"])
def test_others_cannot_link_a_sanction(cast: Cast, who: str) -> None:
    activation = reviewed(cast, use(cast, account(cast)), justified=False)

    with pytest.raises(ServiceError) as refused:
        activation_link_sanction(
            organization=cast.org, actor=actor(member(cast, who)), activation=activation, sanction=sanction(cast)
        )

    assert refused.value.message == "Only a member who manages sanctions can link a sanction."
    activation.refresh_from_db()
    assert activation.sanction is None
    assert not events("access.breakglass_activation.sanction_linked")


def test_only_an_unjustified_use_links_to_a_sanction_of_the_organization(cast: Cast) -> None:
    justified = reviewed(cast, use(cast, account(cast)))
    unreviewed = use(cast, account(cast, username="bg-2"))
    unjustified = reviewed(cast, use(cast, account(cast, username="bg-3")), justified=False)

    for activation in (justified, unreviewed):
        with pytest.raises(ServiceError) as refused:
            activation_link_sanction(
                organization=cast.org, actor=actor(cast.official), activation=activation, sanction=sanction(cast)
            )
        assert refused.value.message == "Only a use reviewed as unjustified is followed up in the sanctions log."
    with pytest.raises(ServiceError) as foreign:
        activation_link_sanction(
            organization=cast.org,
            actor=actor(cast.official),
            activation=unjustified,
            sanction=sanction(cast, org=cast.other_org),
        )
    assert (foreign.value.field, foreign.value.message) == ("sanction", "No such sanction in this organization.")


def test_correcting_the_link_records_both_ids_and_relinking_the_same_writes_nothing(cast: Cast) -> None:
    activation = reviewed(cast, use(cast, account(cast)), justified=False)
    first, second = sanction(cast), sanction(cast)
    link = {"organization": cast.org, "actor": actor(cast.official), "activation": activation}

    activation_link_sanction(**link, sanction=first)
    activation_link_sanction(**link, sanction=second)
    activation_link_sanction(**link, sanction=second)

    changes = [event.changes for event in events("access.breakglass_activation.sanction_linked")]
    assert changes == [
        {"sanction": [None, str(first.public_id)]},
        {"sanction": [str(first.public_id), str(second.public_id)]},
    ]


# ---- the moment daily jobs judge by ------------------------------------------------------------------------------


def test_a_daily_job_for_another_day_judges_at_its_last_instant(cast: Cast) -> None:
    moment = as_of(date(2025, 3, 10))

    assert timezone.localtime(moment).date() == date(2025, 3, 10)
    assert (moment + timedelta(microseconds=1)).date() == date(2025, 3, 11)
    bg = account(cast)
    due_at_midnight = orm_use(bg, moment + timedelta(microseconds=1) - timedelta(hours=24))
    assert review_state(due_at_midnight, moment) == ReviewState.DUE
