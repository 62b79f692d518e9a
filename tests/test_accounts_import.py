"""Importing a system's account list: a dated snapshot of matched, classified accounts, every row or none; the
options (which system, as of when), every kind of bad row, the saved mapping, and flat query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.access.account_import import KIND
from safeguard.access.models import (
    Account,
    AccountDesignation,
    AccountSnapshot,
    AccountStatus,
    Classification,
    MatchMethod,
    System,
)
from safeguard.core.audit import Actor
from safeguard.core.imports import ImportRefused, importer_for
from safeguard.core.services.file_imports import ImportRejected, import_apply
from safeguard.risk.models import Asset, AssetKind
from tests import access_factories as make
from tests.conftest import Cast
from tests.test_accounts_support import TAKEN_AT, actions, check, commit, ehr, lines, summary, table

LIST = lines(
    "dreyes,,E-1,Dana Reyes,Clinician;Scheduler,Active,2026-03-01 08:15,yes,no",
    "sam,SAM@clinic.test,,Sam Ortiz,Clinician,enabled,,no,no",
    'preyes2,,,"Reyes, Pat",Billing,locked,,yes,no',
    "svc_hl7,,,HL7 feed,Interface,active,,,yes",
    "frontdesk,,,Front desk,Scheduler,disabled,,no,no",
    "ghost,,,Casper Ghost,Admin,active,,no,yes",
)


@pytest.fixture
def roster(cast: Cast) -> None:
    make.person(cast.org, "E-1", name="Dana Reyes")
    make.person(cast.org, "E-2", name="Sam Ortiz", email="sam@clinic.test")
    make.person(cast.org, "E-3", name="Pat Reyes", email="")


# ---- a clean list ---------------------------------------------------------------------------------------------


def test_a_clean_list_becomes_a_snapshot_of_matched_accounts(cast: Cast, roster: None) -> None:
    system = ehr(cast)

    checked, outcome = commit(cast, LIST)

    snapshot = AccountSnapshot.objects.get()
    assert (snapshot.system, snapshot.taken_at, snapshot.account_count) == (system, TAKEN_AT, 6)
    assert outcome.result["snapshot"] == str(snapshot.public_id)
    found = {a.username: a for a in Account.objects.select_related("person")}
    holders = dict(Account.objects.values_list("username", "person__employee_id"))
    assert (holders["dreyes"], found["dreyes"].match_method) == ("E-1", MatchMethod.EMPLOYEE_ID)
    assert (holders["sam"], found["sam"].match_method) == ("E-2", MatchMethod.EMAIL)
    assert (found["preyes2"].classification, holders["preyes2"]) == (Classification.PENDING, "E-3")
    assert found["svc_hl7"].classification == Classification.SERVICE
    assert found["frontdesk"].classification == Classification.SHARED
    assert (found["ghost"].classification, found["ghost"].person) == (Classification.ORPHAN, None)
    assert found["dreyes"].roles == ["Clinician", "Scheduler"]
    assert [found[name].status for name in ("sam", "preyes2", "frontdesk")] == ["active", "locked", "disabled"]
    assert (found["dreyes"].mfa_enabled, found["svc_hl7"].mfa_enabled, found["ghost"].privileged) == (True, None, True)
    assert found["dreyes"].last_login_at == datetime(2026, 3, 1, 8, 15, tzinfo=UTC)  # the system's zone: UTC
    assert snapshot.summary == checked.summary
    assert actions() == ["access.snapshot.imported"]


def test_the_summary_counts_what_the_list_holds(cast: Cast, roster: None) -> None:
    ehr(cast)

    counts = summary(check(cast, LIST))

    assert counts == {
        "accounts": 6,
        "enabled": 4,
        "employee_id": 1,
        "email": 1,
        "name": 1,
        "manual": 0,
        "service": 1,
        "shared": 1,
        "orphan": 1,
        "privileged": 2,
        "no_mfa": 3,
    }


def test_the_preview_shows_the_first_rows_with_their_match(cast: Cast, roster: None) -> None:
    ehr(cast)

    preview = check(cast, LIST).preview

    assert len(preview) == 6
    assert preview[0] == {
        "row": 2,
        "username": "dreyes",
        "display_name": "Dana Reyes",
        "status": "active",
        "roles": "Clinician, Scheduler",
        "privileged": False,
        "mfa_enabled": True,
        "classification": "A person's account",
        "method": "Employee id",
        "person": "Dana Reyes",
        "owner": "",
    }
    assert preview[2]["classification"] == "Matched by name: waiting for confirmation"


def test_times_without_an_offset_are_read_in_the_systems_zone(cast: Cast) -> None:
    system = ehr(cast)
    System.objects.filter(pk=system.pk).update(time_zone="America/Chicago")

    commit(cast, lines("dreyes,,,,,,2026-01-15 08:00,,"), taken_at="2026-03-02T09:00")

    account = Account.objects.get()
    assert account.last_login_at == datetime(2026, 1, 15, 14, 0, tzinfo=UTC)
    assert account.snapshot.taken_at == datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def test_the_username_defaults_to_the_email_then_the_employee_id(cast: Cast) -> None:
    ehr(cast)
    text = lines(",dana@clinic.test,E-1", ",,E-2", header="username,email,employee_id")

    commit(cast, text)

    assert sorted(Account.objects.values_list("username", flat=True)) == ["E-2", "dana@clinic.test"]


def test_a_list_with_only_an_employee_id_column_imports(cast: Cast, roster: None) -> None:
    ehr(cast)

    commit(cast, lines("E-1", "E-2", header="Employee ID"))

    assert set(Account.objects.values_list("person__employee_id", flat=True)) == {"E-1", "E-2"}


def test_a_designation_decides_the_account_in_the_next_list(cast: Cast, roster: None) -> None:
    system = ehr(cast)
    owner = make.person(cast.org, "E-7", name="Ann Lee")
    AccountDesignation.objects.create(
        organization=cast.org,
        system=system,
        username_key="dreyes",
        classification=Classification.SHARED,
        owner=owner,
        decided_by=cast.owner,
    )

    checked, _ = commit(cast, LIST)

    account = Account.objects.get(username="dreyes")
    assert (account.classification, account.person, account.owner) == (Classification.SHARED, None, owner)
    assert summary(checked)["shared"] == 2


def test_status_words_and_blank_status(cast: Cast) -> None:
    ehr(cast)
    text = lines(
        "a,true",
        "b,FALSE",
        "c,Suspended",
        "d,Locked out",
        "e,",
        "f,inactive",
        header="username,enabled",
    )

    commit(cast, text)

    statuses = dict(Account.objects.values_list("username", "status"))
    assert statuses == {"a": "active", "b": "disabled", "c": "disabled", "d": "locked", "e": "active", "f": "disabled"}


def test_a_disabled_date_without_a_status_means_disabled(cast: Cast) -> None:
    ehr(cast)

    commit(cast, lines("a,2026-02-01 10:00", header="username,disabled_at"))

    account = Account.objects.get()
    assert (account.status, account.disabled_at) == (AccountStatus.DISABLED, datetime(2026, 2, 1, 10, tzinfo=UTC))


# ---- options ----------------------------------------------------------------------------------------------------


def test_an_unknown_system_is_refused_with_the_reason(cast: Cast) -> None:
    ehr(cast)

    with pytest.raises(ImportRefused) as refused:
        check(cast, LIST, system="Payroll")

    assert refused.value.message == "No system or asset named 'Payroll' in the inventory: add it first."


def test_another_organizations_system_is_unknown(cast: Cast) -> None:
    theirs = make.system(cast.other_org, "Their EHR")

    with pytest.raises(ImportRefused, match="No system or asset named"):
        check(cast, LIST, system=str(theirs.public_id))
    with pytest.raises(ImportRefused, match="No system or asset named"):
        check(cast, LIST, system="their ehr")


def test_the_system_is_named_in_any_case(cast: Cast) -> None:
    system = ehr(cast)

    cleaned = importer_for(KIND).clean_options(cast.org, {"system": "ehr"})

    assert cleaned["system"] == str(system.public_id)


def test_an_asset_not_yet_a_system_is_registered_on_commit(cast: Cast) -> None:
    asset = Asset.objects.create(organization=cast.org, name="Billing", kind=AssetKind.APPLICATION)
    checked = check(cast, LIST, system="billing")
    assert not System.objects.exists()  # checking writes nothing
    assert summary(checked)["accounts"] == 6

    _, outcome = commit(cast, LIST, system="billing")

    system = System.objects.get()
    assert (system.asset, outcome.result["system"]) == (asset, str(system.public_id))
    assert actions() == ["access.system.registered", "access.snapshot.imported"]


def test_a_list_dated_in_the_future_is_refused(cast: Cast) -> None:
    ehr(cast)

    with pytest.raises(ImportRefused, match="in the future"):
        check(cast, LIST, taken_at=timezone.now() + timedelta(hours=2))


def test_an_unreadable_date_for_the_list_is_refused(cast: Cast) -> None:
    ehr(cast)

    with pytest.raises(ImportRefused, match="'last Tuesday' is not a date and time"):
        check(cast, LIST, taken_at="last Tuesday")


def test_the_list_defaults_to_now(cast: Cast) -> None:
    ehr(cast)
    before = timezone.now()

    cleaned = importer_for(KIND).clean_options(cast.org, {"system": "EHR"})

    assert before <= datetime.fromisoformat(cleaned["taken_at"]) <= timezone.now()


def test_the_heading_names_the_system_and_the_date(cast: Cast) -> None:
    ehr(cast)
    importer = importer_for(KIND)

    heading = importer.describe(cast.org, importer.clean_options(cast.org, {"system": "EHR", "taken_at": TAKEN_AT}))

    assert heading == "Accounts of EHR as of 2026-03-02 09:00"


def test_the_heading_gives_the_time_in_the_systems_zone(cast: Cast) -> None:
    system = ehr(cast)
    System.objects.filter(pk=system.pk).update(time_zone="America/Chicago")
    importer = importer_for(KIND)

    cleaned = importer.clean_options(cast.org, {"system": "EHR", "taken_at": "2026-03-02T09:00"})

    assert cleaned["taken_at"] == "2026-03-02T15:00:00+00:00"
    assert importer.describe(cast.org, cleaned) == "Accounts of EHR as of 2026-03-02 09:00"


# ---- bad rows: listed per row and column, nothing committed -------------------------------------------------------


def test_a_file_with_no_identifying_column_is_refused(cast: Cast) -> None:
    ehr(cast)
    text = lines("Dana Reyes,active", header="Display name,Status")

    with pytest.raises(ImportRejected) as rejected:
        commit(cast, text)

    assert rejected.value.failure == (
        "The file needs a column identifying each row: map “Username” or “Email” or “Employee id”."
    )
    assert not AccountSnapshot.objects.exists()


def test_duplicate_usernames_are_errors_on_the_later_rows(cast: Cast) -> None:
    ehr(cast)
    text = lines("dreyes", "sam", "DReyes", header="Login")

    errors = check(cast, text).errors

    assert errors == [{"row": 4, "column": "Login", "message": "The account 'DReyes' is already on row 2."}]


def test_a_duplicate_username_from_the_email_column_names_that_column(cast: Cast) -> None:
    ehr(cast)
    text = lines("a@clinic.test", "A@clinic.test", header="Mail")

    assert check(cast, text).errors[0]["column"] == "Mail"


def test_every_bad_cell_is_listed_and_nothing_is_committed(cast: Cast) -> None:
    system = ehr(cast)
    System.objects.filter(pk=system.pk).update(time_zone="America/New_York")
    text = lines(
        "ok,active,2026-01-02 10:00,yes,no,2024-05-01,",
        "bad1,retired,yesterday,maybe,perhaps,someday,",
        "bad2,active,2025-11-02 01:30,yes,no,,robot",
        ",active,,,,,",
        header="username,status,last_login,mfa,privileged,created,type",
    )

    with pytest.raises(ImportRejected) as rejected:
        commit(cast, text)

    assert rejected.value.failure == "8 errors in 3 rows: nothing was committed."
    found = [(e["row"], e["column"]) for e in rejected.value.errors]
    assert found == [
        (3, "status"),
        (3, "last_login"),
        (3, "mfa"),
        (3, "created"),
        (3, "privileged"),
        (4, "last_login"),
        (4, "type"),
        (5, "username"),
    ]
    messages = {(e["row"], e["column"]): e["message"] for e in rejected.value.errors}
    assert messages[(3, "status")].startswith("'retired' is not an account status")
    assert messages[(3, "last_login")] == "'yesterday' is not a date and time."
    assert messages[(4, "last_login")] == (
        "2025-11-02 01:30 happens twice in America/New_York (clocks go back): give the time with its UTC offset, "
        "e.g. -05:00."
    )
    assert messages[(5, "username")] == "The row names no account: give a username, an email or an employee id."
    assert not AccountSnapshot.objects.exists() and not Account.objects.exists()
    assert actions() == []


def test_a_bad_row_among_many_commits_nothing(cast: Cast) -> None:
    ehr(cast)
    rows = [f"user{n},active" for n in range(200)] + ["broken,unheard-of"]

    with pytest.raises(ImportRejected):
        commit(cast, lines(*rows, header="username,status"))

    assert not Account.objects.exists()


# ---- the saved mapping --------------------------------------------------------------------------------------------


def test_a_committed_mapping_is_saved_for_the_system(cast: Cast) -> None:
    system = ehr(cast)
    importer = importer_for(KIND)
    text = lines("dreyes,yes", header="Sign-in,Two step")
    data = table(text)
    options = importer.clean_options(cast.org, {"system": "EHR", "taken_at": TAKEN_AT})
    mapping = {"username": "Sign-in", "mfa_enabled": "Two step"}
    import_apply(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        importer=importer,
        table=data,
        mapping=mapping,
        options=options,
        file_name="x.csv",
    )

    system.refresh_from_db()
    assert system.account_mapping == mapping
    assert importer.saved_mapping(cast.org, options) == mapping
    assert Account.objects.get().mfa_enabled is True


# ---- linear -------------------------------------------------------------------------------------------------------


def _queries(cast: Cast, count: int, offset: int) -> tuple[int, int, int]:
    """Queries to check, queries to commit other than the accounts' INSERTs, and those INSERTs."""
    rows = [f"user{offset + n},,E-{n % 5},Person {n},Clinician,active,,yes,no" for n in range(count)]
    text = lines(*rows)
    with CaptureQueriesContext(connection) as checking:
        check(cast, text)
    with CaptureQueriesContext(connection) as committing:
        commit(cast, text)
    inserts = sum(q["sql"].startswith('INSERT INTO "access_account"') for q in committing.captured_queries)
    return len(checking.captured_queries), len(committing.captured_queries) - inserts, inserts


def test_checking_and_committing_take_the_same_queries_for_3_or_300_accounts(cast: Cast, roster: None) -> None:
    ehr(cast)
    make.system(cast.org, "Billing")

    _queries(cast, 1, 5000)  # the organization's first audit event starts its chain: a one-time cost
    small = _queries(cast, 3, 0)
    large = _queries(cast, 300, 1000)

    assert small[:2] == large[:2]
    # Accounts go in by many rows per statement: SQLite's 999-parameter limit takes ~40 rows each, PostgreSQL all.
    assert small[2] == 1 and large[2] <= 300 // 40 + 1
