"""Break-glass pages over HTTP: who reaches what, registering accounts, recording and reviewing uses, following an
unjustified use up in the sanctions log, isolation between organizations and flat query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from safeguard.access.models import BreakGlassAccount, BreakGlassActivation
from safeguard.core.models import AuditEvent
from tests import access_factories as make
from tests.conftest import Cast, client_for
from tests.test_breakglass_support import (
    SANCTION_SECRET,
    account,
    member,
    orm_use,
    reviewed,
    sanction,
    system,
    use,
)


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"access:{name}", args=[org, *args])


def audit_count() -> int:
    return AuditEvent.objects.count()


# ---- who reaches what --------------------------------------------------------------------------------------------

READERS = [
    ("owner", 200),
    ("official", 200),
    ("privacy", 200),
    ("manager", 200),
    ("reviewer", 200),
    ("auditor", 200),
    ("workforce", 403),
    ("outsider", 404),
]
WRITERS = [
    ("owner", 200),
    ("official", 200),
    ("privacy", 200),
    ("manager", 403),
    ("auditor", 403),
    ("workforce", 403),
    ("outsider", 404),
]


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_program_viewers_read_the_register(cast: Cast, who: str, expected: int) -> None:
    bg = account(cast)
    activation = use(cast, bg)
    client = client_for(member(cast, who))
    before = audit_count()

    codes = [
        client.get(url("breakglass_list")).status_code,
        client.get(url("breakglass_detail", bg.public_id)).status_code,
        client.get(url("activation_detail", activation.public_id)).status_code,
    ]

    assert codes == [expected] * 3
    assert audit_count() == before


@pytest.mark.parametrize(("who", "expected"), WRITERS)
def test_only_program_managers_open_the_forms(cast: Cast, who: str, expected: int) -> None:
    bg = account(cast)
    client = client_for(member(cast, who))

    codes = [
        client.get(url("breakglass_create")).status_code,
        client.get(url("breakglass_edit", bg.public_id)).status_code,
        client.get(url("activation_create")).status_code,
    ]

    assert codes == [expected] * 3


@pytest.mark.parametrize(
    ("who", "expected"), [("manager", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404)]
)
def test_denied_writes_change_nothing(cast: Cast, who: str, expected: int) -> None:
    bg = account(cast)
    activation = use(cast, bg)
    client = client_for(member(cast, who))
    before = audit_count()

    responses = [
        client.post(url("breakglass_create"), account_form(cast, username="bg-new")),
        client.post(url("breakglass_edit", bg.public_id), account_form(cast, username="renamed")),
        client.post(url("breakglass_deactivate", bg.public_id)),
        client.post(url("activation_create"), use_form(bg)),
        client.post(url("activation_review", activation.public_id), {"justified": "no", "notes": "Not needed."}),
        client.post(url("activation_link_sanction", activation.public_id), {"sanction": str(sanction(cast).public_id)}),
    ]

    assert [r.status_code for r in responses] == [expected] * 6
    bg.refresh_from_db()
    activation.refresh_from_db()
    assert (bg.username, bg.is_active, BreakGlassAccount.objects.count()) == ("bg-ehr-1", True, 1)
    assert (BreakGlassActivation.objects.count(), activation.reviewed_at, activation.sanction) == (1, None, None)
    assert audit_count() == before


def test_records_of_another_organization_are_not_found(cast: Cast) -> None:
    theirs = account(cast, target=system(cast, "Their EHR", org=cast.other_org))
    their_use = use(cast, theirs)
    client = client_for(cast.owner)

    responses = [
        client.get(url("breakglass_detail", theirs.public_id)),
        client.get(url("breakglass_edit", theirs.public_id)),
        client.post(url("breakglass_deactivate", theirs.public_id)),
        client.get(url("activation_detail", their_use.public_id)),
        client.post(url("activation_review", their_use.public_id), {"justified": "yes", "notes": "Fine."}),
        client.post(url("activation_link_sanction", their_use.public_id), {"sanction": str(sanction(cast).public_id)}),
        client.get(url("breakglass_detail", account(cast).public_id, org="other")),
    ]

    assert [r.status_code for r in responses] == [404] * 7
    their_use.refresh_from_db()
    assert their_use.reviewed_at is None


# ---- accounts ---------------------------------------------------------------------------------------------------


def account_form(cast: Cast, **values: object) -> dict[str, object]:
    ehr = system(cast)
    return {
        "system": str(ehr.public_id),
        "username": "bg-ehr-1",
        "purpose": "EHR downtime",
        "custodians": [str(cast.official.public_id), str(cast.owner.public_id)],
        "review_hours": "24",
        **values,
    }


def test_registering_an_account(cast: Cast) -> None:
    client = client_for(cast.official)

    form = client.get(url("breakglass_create"))
    response = client.post(url("breakglass_create"), account_form(cast, review_hours="12"))

    assert 'value="24"' in form.content.decode()
    bg = BreakGlassAccount.objects.get()
    assert response.status_code == 302 and response["Location"] == url("breakglass_detail", bg.public_id)
    assert (bg.username, bg.review_hours) == ("bg-ehr-1", 12)
    assert set(bg.custodians.all()) == {cast.official, cast.owner}
    assert AuditEvent.objects.get(action="access.breakglass_account.created").actor == cast.official


def test_a_duplicate_username_is_shown_on_its_field(cast: Cast) -> None:
    account(cast)

    response = client_for(cast.owner).post(url("breakglass_create"), account_form(cast, username="BG-ehr-1"))

    assert response.status_code == 200
    assert escape("EHR already has a break-glass account named 'BG-ehr-1'.") in response.content.decode()
    assert BreakGlassAccount.objects.count() == 1


def test_an_auditor_is_not_offered_as_a_custodian(cast: Cast) -> None:
    page = client_for(cast.owner).get(url("breakglass_create")).content.decode()

    assert "so@clinic.test" in page
    assert "auditor@firm.test" not in page


def test_editing_and_retiring_an_account(cast: Cast) -> None:
    bg = account(cast)
    client = client_for(cast.owner)

    client.post(url("breakglass_edit", bg.public_id), account_form(cast, purpose="EHR and lab downtime"))
    retired = client.post(url("breakglass_deactivate", bg.public_id))

    bg.refresh_from_db()
    assert bg.purpose == "EHR and lab downtime" and not bg.is_active
    assert retired["Location"] == url("breakglass_detail", bg.public_id)
    assert "(retired)" in client.get(url("breakglass_list")).content.decode()


# ---- uses -------------------------------------------------------------------------------------------------------


def use_form(bg: BreakGlassAccount, **values: object) -> dict[str, object]:
    started = timezone.localtime(timezone.now() - timedelta(hours=2))
    return {
        "account": str(bg.public_id),
        "started_at": started.strftime("%Y-%m-%dT%H:%M"),
        "ended_at": "",
        "used_by": "",
        "used_by_name": "Dr Robin Lee",
        "reason": "SSO outage during a code blue",
        "records_accessed": "",
        **values,
    }


def test_recording_a_use_by_a_roster_person(cast: Cast) -> None:
    bg = account(cast)
    nurse = make.person(cast.org, "E200", name="Ada Nurse")

    response = client_for(cast.owner).post(url("activation_create"), use_form(bg, used_by="E200", used_by_name=""))

    activation = BreakGlassActivation.objects.get()
    assert response["Location"] == url("activation_detail", activation.public_id)
    assert activation.used_by == nurse
    assert activation.review_due_at == activation.started_at + timedelta(hours=24)
    assert AuditEvent.objects.filter(action="access.breakglass_activation.recorded").count() == 1


def test_an_unknown_person_and_a_future_start_are_shown(cast: Cast) -> None:
    bg = account(cast)
    client = client_for(cast.owner)
    future = timezone.localtime(timezone.now() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")

    unknown = client.post(url("activation_create"), use_form(bg, used_by="E999", used_by_name=""))
    ahead = client.post(url("activation_create"), use_form(bg, started_at=future))

    assert escape("No one on the roster matches 'E999'.") in unknown.content.decode()
    assert "A use cannot start in the future." in ahead.content.decode()
    assert not BreakGlassActivation.objects.exists()


def test_the_use_form_starts_with_the_account_asked_for(cast: Cast) -> None:
    bg = account(cast, username="bg-pacs", target=system(cast, "PACS"))

    page = client_for(cast.owner).get(url("activation_create") + f"?account={bg.public_id}").content.decode()

    assert f'value="{bg.public_id}" selected' in page


def test_reviewing_a_use(cast: Cast) -> None:
    activation = use(cast, account(cast))
    client = client_for(cast.official)

    page = client.get(url("activation_detail", activation.public_id)).content.decode()
    response = client.post(
        url("activation_review", activation.public_id), {"justified": "yes", "notes": "Matches the outage ticket."}
    )

    assert "Record the review" in page
    assert response["Location"] == url("activation_detail", activation.public_id)
    activation.refresh_from_db()
    assert (activation.justified, activation.reviewed_by) == (True, cast.official)
    assert "Reviewed in time" in client.get(url("activation_detail", activation.public_id)).content.decode()


def test_the_review_needs_notes(cast: Cast) -> None:
    activation = use(cast, account(cast))

    response = client_for(cast.owner).post(url("activation_review", activation.public_id), {"justified": "no"})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    activation.refresh_from_db()
    assert activation.reviewed_at is None


def test_who_used_the_account_is_not_offered_the_review_and_is_refused(cast: Cast) -> None:
    me = make.person(cast.org, "E7", name="Sam Official", email="so@clinic.test")
    activation = use(cast, account(cast), used_by=me, used_by_name="")
    client = client_for(cast.official)

    page = client.get(url("activation_detail", activation.public_id)).content.decode()
    response = client.post(
        url("activation_review", activation.public_id), {"justified": "yes", "notes": "Fine."}, follow=True
    )

    assert "Record the review" not in page
    assert "You used this account: someone else who manages the program must review the use." in page
    assert "You used this account: someone else must review the use." in response.content.decode()
    activation.refresh_from_db()
    assert activation.reviewed_at is None


# ---- following up an unjustified use ----------------------------------------------------------------------------


def test_a_sanction_manager_is_offered_the_sanction_form_and_the_link(cast: Cast) -> None:
    activation = reviewed(cast, use(cast, account(cast)), justified=False, by=cast.owner)
    record = sanction(cast)
    client = client_for(cast.official)

    page = client.get(url("activation_detail", activation.public_id)).content.decode()
    response = client.post(url("activation_link_sanction", activation.public_id), {"sanction": str(record.public_id)})

    assert reverse("risk:sanction_create", args=["clinic"]) in page
    assert f'value="{record.public_id}"' in page
    listed = AuditEvent.objects.get(action="risk.sanctions.listed")
    assert listed.changes["shown"] == [None, [str(record.public_id)]]
    assert response["Location"] == url("activation_detail", activation.public_id)
    activation.refresh_from_db()
    assert activation.sanction == record
    after = client.get(url("activation_detail", activation.public_id)).content.decode()
    assert reverse("risk:sanction_detail", args=["clinic", record.public_id]) in after


@pytest.mark.parametrize("who", ["auditor", "manager"])
def test_program_readers_see_that_a_follow_up_is_missing_not_the_log(cast: Cast, who: str) -> None:
    activation = reviewed(cast, use(cast, account(cast)), justified=False)
    record = sanction(cast)

    page = client_for(member(cast, who)).get(url("activation_detail", activation.public_id)).content.decode()

    assert "No sanction is linked yet." in page
    assert str(record.public_id) not in page
    assert escape(SANCTION_SECRET) not in page
    assert not AuditEvent.objects.filter(action="risk.sanctions.listed").exists()


def test_a_linked_sanction_is_shown_only_to_its_readers(cast: Cast) -> None:
    activation = reviewed(cast, use(cast, account(cast)), justified=False)
    record = sanction(cast)
    BreakGlassActivation.objects.filter(pk=activation.pk).update(sanction=record)

    auditor_page = client_for(cast.auditor).get(url("activation_detail", activation.public_id)).content.decode()

    assert "Followed up in the sanctions log" in auditor_page
    assert str(record.public_id) not in auditor_page


def test_linking_a_justified_use_is_refused_with_the_reason(cast: Cast) -> None:
    activation = reviewed(cast, use(cast, account(cast)))
    client = client_for(cast.official)

    response = client.post(
        url("activation_link_sanction", activation.public_id), {"sanction": str(sanction(cast).public_id)}, follow=True
    )

    assert "Only a use reviewed as unjustified is followed up in the sanctions log." in response.content.decode()
    activation.refresh_from_db()
    assert activation.sanction is None


def test_a_sanction_of_another_organization_is_not_a_choice(cast: Cast) -> None:
    activation = reviewed(cast, use(cast, account(cast)), justified=False)
    theirs = sanction(cast, org=cast.other_org)

    response = client_for(cast.official).post(
        url("activation_link_sanction", activation.public_id), {"sanction": str(theirs.public_id)}
    )

    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    activation.refresh_from_db()
    assert activation.sanction is None


# ---- the list: statuses, filters, query counts --------------------------------------------------------------------


def test_the_list_shows_each_status_and_filters_by_it(cast: Cast) -> None:
    bg = account(cast)
    now = timezone.now()
    orm_use(bg, now - timedelta(hours=30), used_by_name="Overdue Person")
    orm_use(bg, now - timedelta(hours=2), used_by_name="Due Person")
    client = client_for(cast.auditor)

    everything = client.get(url("breakglass_list")).content.decode()
    overdue = client.get(url("breakglass_list") + "?state=overdue").content.decode()

    assert "Review overdue" in everything and "Review due" in everything
    assert "Overdue Person" in overdue and "Due Person" not in overdue
    assert "1 use matching the filters" in overdue


def grow(cast: Cast, accounts: int, uses: int) -> None:
    for n in range(BreakGlassAccount.objects.count(), accounts):
        bg = account(
            cast, username=f"bg-{n}", target=system(cast, f"System {n}"), custodians=(cast.official, cast.owner)
        )
        nurse = make.person(cast.org, f"E{n}")
        for hours in range(uses):
            orm_use(bg, timezone.now() - timedelta(hours=hours + 1), used_by=nurse, used_by_name="")


@pytest.mark.parametrize("page", ["breakglass_list", "breakglass_detail"])
def test_page_queries_do_not_grow_with_rows(cast: Cast, page: str) -> None:
    client = client_for(cast.owner)
    grow(cast, 2, 2)
    args = [BreakGlassAccount.objects.order_by("pk").first().public_id] if page == "breakglass_detail" else []  # type: ignore[union-attr]
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(page, *args)).status_code == 200
    grow(cast, 12, 5)
    for activation in BreakGlassActivation.objects.all()[:5]:
        orm_use(activation.account, activation.started_at - timedelta(days=1), reviewed_at=timezone.now())
    with CaptureQueriesContext(connection) as many:
        assert client.get(url(page, *args)).status_code == 200

    assert len(many) == len(few)
