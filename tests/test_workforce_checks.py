"""The workforce security checks: 164.308(a)(3)(ii)(C) leavers' accounts disabled within the target,
(A) everyone with ePHI access has a manager and an authorization record, (B) a passed clearance before the first
access for roles that require one. Each verdict, with its edge cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.access.checks_workforce import authorization_check, clearance_check
from safeguard.access.models import AccountStatus, Classification, MatchMethod, System
from safeguard.core.roles import Role
from safeguard.tracker.models import Status
from safeguard.tracker.registry import checks_for
from safeguard.workforce.checks import leaver_sla_check
from safeguard.workforce.models import Authorization, Clearance, Person, Workflow, WorkflowTask
from safeguard.workforce.services.sla import moment_of
from safeguard.workforce.services.tasks import task_complete
from tests import access_factories as factories
from tests.conftest import Cast, make_member
from tests.test_workflows_support import TaskKind, actor, joiner, leaver, task_of

TODAY = date(2025, 6, 15)
MOMENT = moment_of(TODAY)  # the end of TODAY: checks of another day than the current one judge at its end


@pytest.fixture
def ehr(cast: Cast) -> System:
    return factories.system(cast.org, "EHR")


def disable(cast: Cast, workflow: Workflow, after: timedelta) -> None:
    assert workflow.termination_at is not None
    task_complete(
        organization=cast.org,
        actor=actor(cast.official),
        task=task_of(workflow, TaskKind.DEPROVISION),
        effective_at=workflow.termination_at + after,
        now=MOMENT,
    )


def test_the_checks_are_registered_for_their_citations() -> None:
    assert "workforce.leaver_sla" in {c.name for c in checks_for("164.308(a)(3)(ii)(C)")}
    assert "access.authorization" in {c.name for c in checks_for("164.308(a)(3)(ii)(A)")}
    assert "access.clearance" in {c.name for c in checks_for("164.308(a)(3)(ii)(B)")}


# ---- 164.308(a)(3)(ii)(C): leavers ----------------------------------------------------------------------------


def test_no_roster_is_unknown(cast: Cast) -> None:
    result = leaver_sla_check(cast.org, TODAY)

    assert result.status == Status.UNKNOWN
    assert result.reason == "No workforce roster is recorded, so leavers cannot be followed."
    assert "roster" in result.next_action


def test_a_roster_where_nobody_left_is_met_and_says_so(cast: Cast) -> None:
    factories.person(cast.org, "E-1")
    factories.person(cast.org, "E-2")

    result = leaver_sla_check(cast.org, TODAY)

    assert result.status == Status.MET
    assert result.reason == (
        "The roster lists 2 people and nobody left in the last 90 days: there is no termination to judge."
    )
    assert result.lapses_on is None


def test_leavers_disabled_within_the_target_are_met(cast: Cast, ehr: System) -> None:
    disable(cast, leaver(cast, "E-1", MOMENT - timedelta(days=5), systems=[ehr], now=MOMENT), timedelta(hours=2))
    disable(cast, leaver(cast, "E-2", MOMENT - timedelta(days=6), systems=[ehr], now=MOMENT), timedelta(hours=20))

    result = leaver_sla_check(cast.org, TODAY)

    assert result.status == Status.MET
    assert result.reason == (
        "2 people left in the last 90 days and no account missed the target: 2 disabled within it "
        "(median 11 h, slowest 20 h)."
    )


def test_a_late_disablement_is_not_met_and_named_with_its_time(cast: Cast, ehr: System) -> None:
    late = leaver(cast, "E-1", MOMENT - timedelta(days=5), systems=[ehr], now=MOMENT, name="Dana Reyes")
    disable(cast, late, timedelta(hours=31, minutes=12))
    disable(cast, leaver(cast, "E-2", MOMENT - timedelta(days=6), systems=[ehr], now=MOMENT), timedelta(hours=1))

    result = leaver_sla_check(cast.org, TODAY)

    assert result.status == Status.NOT_MET
    assert result.reason == (
        "1 of the 2 accounts of 2 leavers missed the target in the last 90 days: "
        "Dana Reyes, Disable EHR account e-1: 31 h 12 min (target 24 h)."
    )
    assert [r.url for r in result.records] == [f"/o/clinic/workforce/workflows/{late.public_id}/"]
    assert "fix the termination procedure" in result.next_action


def test_an_account_still_enabled_past_its_target_is_not_met(cast: Cast, ehr: System) -> None:
    leaver(cast, "E-1", MOMENT - timedelta(hours=30), systems=[ehr], now=MOMENT, name="Sam Ortiz")

    result = leaver_sla_check(cast.org, TODAY)

    assert result.status == Status.NOT_MET
    assert "Sam Ortiz, Disable EHR account e-1: still enabled after 30 h (target 24 h)" in result.reason
    assert result.next_action.startswith("Disable Sam Ortiz's remaining account now")


def test_an_account_not_yet_due_is_met_until_its_due_day(cast: Cast, ehr: System) -> None:
    workflow = leaver(cast, "E-1", MOMENT - timedelta(hours=3), systems=[ehr], now=MOMENT)

    result = leaver_sla_check(cast.org, TODAY)

    assert result.status == Status.MET
    assert result.reason.endswith("no account missed the target: 1 still enabled, not yet due.")
    assert result.lapses_on == date(2025, 6, 16)
    assert task_of(workflow, TaskKind.DEPROVISION).due_at == MOMENT + timedelta(hours=21)


def test_leavers_without_any_listed_account_are_unknown(cast: Cast) -> None:
    leaver(cast, "E-1", MOMENT - timedelta(days=2), now=MOMENT)

    result = leaver_sla_check(cast.org, TODAY)

    assert result.status == Status.UNKNOWN
    assert result.reason == (
        "1 people left in the last 90 days, but no account is listed for any of them, so no disablement can be "
        "measured."
    )
    assert "account list" in result.next_action


def test_a_breach_older_than_90_days_no_longer_counts(cast: Cast, ehr: System) -> None:
    disable(cast, leaver(cast, "E-1", MOMENT - timedelta(days=91), systems=[ehr], now=MOMENT), timedelta(hours=40))

    assert leaver_sla_check(cast.org, TODAY).status == Status.MET


def test_more_than_ten_breaches_are_counted_not_all_named(cast: Cast, ehr: System) -> None:
    for number in range(12):
        leaver(cast, f"E-{number:02}", MOMENT - timedelta(days=3, hours=number), systems=[ehr], now=MOMENT)

    result = leaver_sla_check(cast.org, TODAY)

    assert result.reason.startswith("12 of the 12 accounts of 12 leavers missed the target")
    assert result.reason.endswith("; and 2 more.")
    assert len(result.records) == 10


# ---- 164.308(a)(3)(ii)(A): authorization and supervision --------------------------------------------------------


def account(target: System, who: Person, **values: object) -> None:
    factories.snapshot(target, [{"username": who.employee_id.lower(), "person": who, **values}])


def authorize(cast: Cast, who: Person) -> None:
    Authorization.objects.create(
        organization=cast.org, person=who, basis=Authorization.Basis.RECORDED, authorized_by=cast.owner
    )


def test_authorization_without_a_roster_is_unknown(cast: Cast) -> None:
    assert (
        authorization_check(cast.org, TODAY).reason
        == "No workforce roster is recorded, so nobody's access can be judged."
    )


def test_authorization_without_account_lists_is_unknown(cast: Cast) -> None:
    factories.person(cast.org, "E-1")

    result = authorization_check(cast.org, TODAY)

    assert (result.status, result.reason) == (
        Status.UNKNOWN,
        "No account list is imported for any system, so who has ePHI access is not known.",
    )


def test_authorization_with_no_matched_account_is_unknown(cast: Cast, ehr: System) -> None:
    factories.person(cast.org, "E-1")
    factories.snapshot(ehr, [{"username": "frontdesk"}])

    result = authorization_check(cast.org, TODAY)

    assert result.status == Status.UNKNOWN
    assert "Match the accounts" in result.next_action


def test_everyone_with_access_has_a_manager_and_an_authorization(cast: Cast, ehr: System) -> None:
    boss = factories.person(cast.org, "M-1")
    nurse = factories.person(cast.org, "E-1", manager=boss)
    authorize(cast, nurse)
    factories.snapshot(ehr, [{"username": "e-1", "person": nurse}])

    result = authorization_check(cast.org, TODAY)

    assert (result.status, result.reason) == (
        Status.MET,
        "All 1 people with ePHI access have a manager on the roster and an authorization record.",
    )


def test_missing_managers_and_authorizations_are_named_and_counted(cast: Cast, ehr: System) -> None:
    boss = factories.person(cast.org, "M-1", name="Morgan Lee")
    no_manager = factories.person(cast.org, "E-1", name="Ana Diaz")
    Authorization.objects.create(  # by a manager: it does not stand for the missing manager
        organization=cast.org,
        person=no_manager,
        basis=Authorization.Basis.RECORDED,
        authorized_by=make_member(cast.org, "lead@clinic.test", Role.MANAGER).user,
    )
    unauthorized = factories.person(cast.org, "E-2", name="Ben Cole", manager=boss)
    factories.snapshot(
        ehr, [{"username": "adiaz", "person": no_manager}, {"username": "bcole", "person": unauthorized}]
    )

    result = authorization_check(cast.org, TODAY)

    assert result.status == Status.NOT_MET
    assert result.reason == (
        "Of 2 people with ePHI access, 1 have no manager on the roster and no authorization by an owner or the "
        "security official (Ana Diaz); 1 have no authorization record (Ben Cole)."
    )
    assert [r.label for r in result.records] == ["Ben Cole", "Ana Diaz"]
    assert result.records[0].url == f"/o/clinic/workforce/people/{unauthorized.public_id}/authorizations/"


def test_the_head_of_the_roster_is_supervised_by_an_owners_authorization_but_not_their_own(
    cast: Cast, ehr: System
) -> None:
    head = factories.person(cast.org, "E-0", name="Grace Hall")  # nobody above her on the roster
    authorize(cast, head)  # by the owner
    factories.snapshot(ehr, [{"username": "ghall", "person": head}])
    assert authorization_check(cast.org, TODAY).status == Status.MET

    Authorization.objects.all().delete()
    head.email = cast.owner.email  # the owner herself
    head.save()
    authorize(cast, head)
    result = authorization_check(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert "no authorization by an owner or the security official (Grace Hall)" in result.reason


def test_only_active_people_with_enabled_confirmed_accounts_in_the_latest_lists_count(cast: Cast, ehr: System) -> None:
    boss = factories.person(cast.org, "M-1")
    counted = factories.person(cast.org, "E-1", manager=boss)
    authorize(cast, counted)
    disabled = factories.person(cast.org, "E-2")
    gone = factories.person(cast.org, "E-3", termination_at=datetime(2025, 5, 1, tzinfo=UTC))
    pending = factories.person(cast.org, "E-4")
    superseded = factories.person(cast.org, "E-5")
    factories.snapshot(ehr, [{"username": "e-5", "person": superseded}], taken_at=datetime(2025, 1, 1, tzinfo=UTC))
    factories.snapshot(
        ehr,
        [
            {"username": "e-1", "person": counted},
            {"username": "e-2", "person": disabled, "status": AccountStatus.DISABLED},
            {"username": "e-3", "person": gone},
            {
                "username": "e-4",
                "person": pending,
                "match_method": MatchMethod.NAME,
                "classification": Classification.PENDING,
            },
        ],
        taken_at=datetime(2025, 6, 1, tzinfo=UTC),
    )

    result = authorization_check(cast.org, TODAY)

    assert result.status == Status.MET
    assert result.reason.startswith("All 1 people with ePHI access")


def test_people_on_leave_count(cast: Cast, ehr: System) -> None:
    away = factories.person(cast.org, "E-1", status=Person.Status.LEAVE)
    factories.snapshot(ehr, [{"username": "e-1", "person": away}])

    assert authorization_check(cast.org, TODAY).status == Status.NOT_MET


def test_more_than_ten_names_are_cut(cast: Cast, ehr: System) -> None:
    people = [factories.person(cast.org, f"E-{n:02}", name=f"Pat N{n:02}") for n in range(12)]
    factories.snapshot(ehr, [{"username": p.employee_id, "person": p} for p in people])

    result = authorization_check(cast.org, TODAY)

    assert "12 have no authorization record (Pat N00, Pat N01" in result.reason
    assert "Pat N09 and 2 more)" in result.reason
    assert len(result.records) == 10


@pytest.mark.parametrize("count", [3, 20])
def test_authorization_check_queries_are_flat(cast: Cast, ehr: System, count: int) -> None:
    people = [factories.person(cast.org, f"E-{n:02}") for n in range(count)]
    factories.snapshot(ehr, [{"username": p.employee_id, "person": p} for p in people])

    with CaptureQueriesContext(connection) as queries:
        authorization_check(cast.org, TODAY)

    assert len(queries) == 6


# ---- 164.308(a)(3)(ii)(B): clearance --------------------------------------------------------------------------


def nurses_need_clearance(cast: Cast, ehr: System) -> None:
    factories.profile(cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "clinician", False)], requires_clearance=True)


def clear(cast: Cast, who: Person, result: str, completed_on: date | None) -> None:
    Clearance.objects.create(
        organization=cast.org, person=who, result=result, completed_on=completed_on, recorded_by=cast.official
    )


def test_clearance_without_a_profile_requiring_one_is_unknown(cast: Cast, ehr: System) -> None:
    factories.profile(cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "clinician", False)])

    result = clearance_check(cast.org, TODAY)

    assert (result.status, result.reason) == (
        Status.UNKNOWN,
        "No role profile requires a clearance, so nobody's clearance can be judged.",
    )
    assert result.next_action.startswith("Mark the role profiles")


def test_clearance_without_account_lists_is_unknown(cast: Cast, ehr: System) -> None:
    nurses_need_clearance(cast, ehr)
    factories.person(cast.org, "E-1")

    assert clearance_check(cast.org, TODAY).reason.startswith("No account list is imported")


def test_a_clearance_passed_before_the_first_access_is_met(cast: Cast, ehr: System) -> None:
    nurses_need_clearance(cast, ehr)
    nurse = factories.person(cast.org, "E-1")
    clear(cast, nurse, Clearance.Result.PASSED, date(2025, 1, 10))
    account(ehr, nurse, created_on=date(2025, 1, 10))

    result = clearance_check(cast.org, TODAY)

    assert (result.status, result.reason) == (
        Status.MET,
        "All 1 people with access in roles that require a clearance passed it before their first access.",
    )


def test_people_in_roles_without_the_requirement_are_not_judged(cast: Cast, ehr: System) -> None:
    nurses_need_clearance(cast, ehr)
    clerk = factories.person(cast.org, "E-1", job_role="Clerk")
    account(ehr, clerk)

    result = clearance_check(cast.org, TODAY)

    assert (result.status, result.reason) == (
        Status.MET,
        "Nobody holding an enabled account is in a role whose profile requires a clearance.",
    )


@pytest.mark.parametrize(
    ("recorded", "why"),
    [
        ([], "no clearance recorded"),
        ([("passed", date(2025, 3, 2))], "passed on 2025-03-02, after first access on 2025-02-01"),
        ([("failed", date(2025, 1, 5))], "background check failed on 2025-01-05"),
        ([("pending", None)], "background check pending"),
    ],
)
def test_people_lacking_a_clearance_before_access_are_listed(
    cast: Cast, ehr: System, recorded: list[tuple[str, date | None]], why: str
) -> None:
    nurses_need_clearance(cast, ehr)
    nurse = factories.person(cast.org, "E-1", name="Ana Diaz")
    for outcome, completed_on in recorded:
        clear(cast, nurse, outcome, completed_on)
    account(ehr, nurse, created_on=date(2025, 2, 1))

    result = clearance_check(cast.org, TODAY)

    assert result.status == Status.NOT_MET
    assert result.reason == (
        "1 of 1 people with access in roles that require a clearance have no passed clearance before their first "
        f"access: Ana Diaz ({why})."
    )
    assert result.records[0].url == f"/o/clinic/workforce/people/{nurse.public_id}/clearances/"


def test_the_earliest_list_showing_someone_is_their_first_access(cast: Cast, ehr: System) -> None:
    nurses_need_clearance(cast, ehr)
    nurse = factories.person(cast.org, "E-1")
    clear(cast, nurse, Clearance.Result.PASSED, date(2025, 3, 1))
    factories.snapshot(ehr, [{"username": "e-1", "person": nurse}], taken_at=datetime(2025, 2, 1, 12, tzinfo=UTC))
    account(ehr, nurse, created_on=date(2025, 4, 1))

    result = clearance_check(cast.org, TODAY)

    assert "passed on 2025-03-01, after first access on 2025-02-01" in result.reason


def test_a_completed_provisioning_task_is_a_first_access(cast: Cast, ehr: System) -> None:
    nurses_need_clearance(cast, ehr)
    workflow = joiner(cast, "E-1", now=datetime(2025, 1, 1, tzinfo=UTC))
    nurse = workflow.person
    WorkflowTask.objects.filter(workflow=workflow, kind=TaskKind.PROVISION).update(
        status=WorkflowTask.Status.DONE, effective_at=datetime(2025, 1, 5, 12, tzinfo=UTC)
    )
    clear(cast, nurse, Clearance.Result.PASSED, date(2025, 1, 20))
    account(ehr, nurse, created_on=date(2025, 1, 20))

    result = clearance_check(cast.org, TODAY)

    assert "passed on 2025-01-20, after first access on 2025-01-05" in result.reason


@pytest.mark.parametrize("count", [3, 20])
def test_clearance_check_queries_are_flat(cast: Cast, ehr: System, count: int) -> None:
    nurses_need_clearance(cast, ehr)
    people = [factories.person(cast.org, f"E-{n:02}") for n in range(count)]
    for p in people[::2]:
        clear(cast, p, Clearance.Result.PASSED, date(2025, 1, 1))
    factories.snapshot(ehr, [{"username": p.employee_id, "person": p, "created_on": date(2025, 2, 1)} for p in people])

    with CaptureQueriesContext(connection) as queries:
        clearance_check(cast.org, TODAY)

    assert len(queries) == 9
