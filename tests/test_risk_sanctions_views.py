"""Sanction pages over HTTP: the policy's versions and signatures, the confidential log, who may see what, and
that every read of the log is audited while the trail never holds its contents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from safeguard.core.dates import add_years
from safeguard.core.models import AuditEvent, Signature, User
from safeguard.core.roles import Role
from safeguard.risk.models import SanctionLevel, SanctionPolicy, SanctionRecord
from safeguard.risk.services.sanctions import CONFIDENTIAL
from tests.conftest import Cast, client_for
from tests.test_risk_sanctions_support import (
    NOTES,
    PERSON,
    TODAY,
    VIOLATION,
    approved,
    draft,
    leaked,
    member,
    orm_sanction,
    pdf,
    sanction,
)

Status = SanctionPolicy.Status


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"risk:{name}", args=[org, *args])


def user_of(cast: Cast, who: str) -> User:
    roles = {"privacy": Role.PRIVACY_OFFICER, "manager": Role.MANAGER, "reviewer": Role.REVIEWER}
    if who in roles:
        return member(cast.org, f"{who}@clinic.test", roles[who])
    user: User = getattr(cast, who)
    return user


def form_data(cast: Cast, **values: object) -> dict[str, object]:
    return {
        "person_name": PERSON,
        "person": str(cast.workforce.public_id),
        "occurred_on": (TODAY - timedelta(days=7)).isoformat(),
        "decided_on": TODAY.isoformat(),
        "violation": VIOLATION,
        "policy_breached": "Minimum necessary access",
        "incident_reference": "",
        "level": SanctionLevel.COACHING,
        "decided_by": str(cast.official.public_id),
        "notes": NOTES,
        **values,
    }


def reads(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# ---- who may reach the log --------------------------------------------------------------------------------------

LOG_PAGES = ["sanction_list", "sanction_create", "sanction_detail", "sanction_edit"]


@pytest.mark.parametrize("page", LOG_PAGES)
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", 200),
        ("official", 200),
        ("privacy", 200),
        ("manager", 403),
        ("reviewer", 403),
        ("auditor", 403),
        ("workforce", 403),
        ("outsider", 404),
    ],
)
def test_only_sanction_administrators_reach_the_log(cast: Cast, page: str, who: str, expected: int) -> None:
    record = sanction(cast)
    client = client_for(user_of(cast, who))
    before = AuditEvent.objects.count()

    args = [record.public_id] if page in ("sanction_detail", "sanction_edit") else []
    response = client.get(url(page, *args))

    assert response.status_code == expected
    if expected != 200:
        assert AuditEvent.objects.count() == before
        assert escape(VIOLATION) not in response.content.decode()


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_denied_writes_to_the_log_change_nothing(cast: Cast, who: str, expected: int) -> None:
    record = sanction(cast)
    client = client_for(user_of(cast, who))
    before = AuditEvent.objects.count()

    created = client.post(url("sanction_create"), form_data(cast))
    edited = client.post(url("sanction_edit", record.public_id), form_data(cast, person_name="Someone Else"))
    reviewed = client.post(url("sanction_log_review"), {"statement": "Nothing to record."})

    assert (created.status_code, edited.status_code, reviewed.status_code) == (expected, expected, expected)
    assert SanctionRecord.objects.get().person_name == PERSON
    assert not Signature.objects.exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(("who", "shown"), [("owner", True), ("privacy", True), ("auditor", False), ("manager", False)])
def test_the_nav_link_shows_only_to_sanction_administrators(cast: Cast, who: str, shown: bool) -> None:
    response = client_for(user_of(cast, who)).get(reverse("tracker:dashboard", args=["clinic"]))
    assert (f'href="{url("sanction_list")}"' in response.content.decode()) is shown


def test_a_record_of_another_organization_is_not_found(cast: Cast) -> None:
    theirs = sanction(cast, org=cast.other_org)
    ours = sanction(cast)

    assert client_for(cast.owner).get(url("sanction_detail", theirs.public_id)).status_code == 404
    assert client_for(cast.owner).get(url("sanction_edit", theirs.public_id)).status_code == 404
    assert client_for(cast.outsider).get(url("sanction_detail", ours.public_id, org="other")).status_code == 404
    assert reads("risk.sanction.viewed") == 0


# ---- the log: list, reads audited ------------------------------------------------------------------------------


def test_the_list_shows_the_log_and_audits_the_read(cast: Cast) -> None:
    record = sanction(cast)

    response = client_for(cast.official).get(url("sanction_list"))

    assert response.status_code == 200
    assert PERSON in response.content.decode()
    event = AuditEvent.objects.get(action="risk.sanctions.listed")
    assert event.actor == cast.official
    assert event.changes == {"filters": [None, {"page": 1}], "shown": [None, [str(record.public_id)]]}


def test_each_list_read_is_one_audit_event_with_its_filters(cast: Cast) -> None:
    orm_sanction(cast, TODAY, level=SanctionLevel.COACHING)
    client = client_for(cast.owner)

    client.get(url("sanction_list"))
    client.get(url("sanction_list"), {"level": "suspension", "year": str(TODAY.year)})

    events = AuditEvent.objects.filter(action="risk.sanctions.listed").order_by("sequence")
    assert [e.changes["filters"][1] for e in events] == [
        {"page": 1},
        {"level": "suspension", "year": TODAY.year, "page": 1},
    ]


def test_the_list_filters_by_level_and_year(cast: Cast) -> None:
    orm_sanction(cast, TODAY, person_name="This year coached", level=SanctionLevel.COACHING)
    orm_sanction(cast, TODAY, person_name="This year suspended", level=SanctionLevel.SUSPENSION)
    orm_sanction(cast, add_years(TODAY, -2), person_name="Long ago", level=SanctionLevel.COACHING)
    client = client_for(cast.owner)

    def names(**filters: str | int) -> list[str]:
        return sorted(s.person_name for s in client.get(url("sanction_list"), filters).context["page"].object_list)

    assert names(level="coaching") == ["Long ago", "This year coached"]
    assert names(year=TODAY.year) == ["This year coached", "This year suspended"]
    assert names(level="coaching", year=TODAY.year) == ["This year coached"]


def test_a_bad_filter_is_reported_and_ignored(cast: Cast) -> None:
    orm_sanction(cast, TODAY)

    response = client_for(cast.owner).get(url("sanction_list"), {"year": "soon", "level": "flogging"})

    assert response.status_code == 200
    assert set(response.context["filters"].errors) == {"year", "level"}
    assert len(response.context["page"].object_list) == 1


def test_the_list_paginates_fifty_per_page(cast: Cast) -> None:
    for n in range(51):
        orm_sanction(cast, TODAY - timedelta(days=n), person_name=f"Person {n:02}")
    client = client_for(cast.owner)

    assert len(client.get(url("sanction_list")).context["page"].object_list) == 50
    second = client.get(url("sanction_list"), {"page": 2}).context["page"].object_list
    assert [s.person_name for s in second] == ["Person 50"]
    last_read = list(AuditEvent.objects.filter(action="risk.sanctions.listed").order_by("sequence"))[-1]
    assert last_read.changes["filters"] == [None, {"page": 2}]


def test_the_list_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    client = client_for(cast.owner)
    deciders = [cast.owner, cast.official]
    for n in range(3):
        orm_sanction(cast, TODAY, decided_by=deciders[n % 2], person=cast.workforce)
    client.get(url("sanction_list"))  # the first audited read also starts the organization's audit chain
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("sanction_list")).status_code == 200
    for n in range(3, 30):
        orm_sanction(cast, TODAY, decided_by=deciders[n % 2], person=cast.workforce)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("sanction_list")).status_code == 200

    assert len(many) == len(few)


def test_opening_a_record_or_its_edit_form_is_audited(cast: Cast) -> None:
    record = sanction(cast)
    client = client_for(cast.official)

    assert escape(VIOLATION) in client.get(url("sanction_detail", record.public_id)).content.decode()
    client.get(url("sanction_edit", record.public_id))

    events = AuditEvent.objects.filter(action="risk.sanction.viewed")
    assert [(e.actor, e.object_id) for e in events] == [(cast.official, str(record.public_id))] * 2


# ---- the log: writes -------------------------------------------------------------------------------------------


def test_recording_a_sanction_through_the_page(cast: Cast) -> None:
    response = client_for(cast.official).post(url("sanction_create"), form_data(cast))

    record = SanctionRecord.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("sanction_detail", record.public_id)
    assert (record.person, record.decided_by, record.created_by) == (cast.workforce, cast.official, cast.official)
    assert leaked(VIOLATION, PERSON, NOTES) == []


def test_a_refused_record_shows_the_error_on_its_field(cast: Cast) -> None:
    later = (TODAY - timedelta(days=1)).isoformat()
    response = client_for(cast.owner).post(
        url("sanction_create"), form_data(cast, occurred_on=TODAY.isoformat(), decided_on=later)
    )

    assert response.status_code == 200
    assert "after the decision" in response.context["form"].errors["occurred_on"][0]
    assert not SanctionRecord.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_decider_choices_leave_out_auditors_and_outsiders(cast: Cast) -> None:
    form = client_for(cast.owner).get(url("sanction_create")).context["form"]
    choices = {str(value) for value, _label in form.fields["decided_by"].choices if value}
    assert choices == {str(u.public_id) for u in (cast.owner, cast.official, cast.workforce)}


def test_editing_a_sanction_through_the_page(cast: Cast) -> None:
    record = sanction(cast)

    response = client_for(cast.owner).post(
        url("sanction_edit", record.public_id), form_data(cast, level=SanctionLevel.RETRAINING, notes="Changed")
    )

    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.level, record.notes) == (SanctionLevel.RETRAINING, "Changed")
    event = AuditEvent.objects.get(action="risk.sanction.updated")
    assert event.changes["level"] == [CONFIDENTIAL, CONFIDENTIAL]  # not even the level reaches the trail
    assert leaked(NOTES, "Changed") == []


def test_signing_that_the_log_was_reviewed(cast: Cast) -> None:
    response = client_for(cast.official).post(url("sanction_log_review"), {"statement": "H1 2026: nothing to record."})

    assert response.status_code == 302
    signature = Signature.objects.get(target_type="risk.sanctionlog")
    assert signature.statement == "H1 2026: nothing to record."
    assert "H1 2026: nothing to record." in client_for(cast.owner).get(url("sanction_list")).content.decode()


def test_a_privacy_officer_cannot_sign_the_log_review(cast: Cast) -> None:
    officer = user_of(cast, "privacy")
    page = client_for(officer).get(url("sanction_list")).content.decode()

    response = client_for(officer).post(url("sanction_log_review"), {"statement": "Reviewed"})

    assert url("sanction_log_review") not in page
    assert response.status_code == 403
    assert not Signature.objects.exists()


def test_a_log_review_without_a_statement_is_refused(cast: Cast) -> None:
    response = client_for(cast.owner).post(url("sanction_log_review"), {"statement": ""}, follow=True)
    assert "Write the period you reviewed" in response.content.decode()
    assert not Signature.objects.exists()


# ---- the policy --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [
        ("owner", 200, 200),
        ("privacy", 200, 200),
        ("manager", 200, 403),
        ("auditor", 200, 403),
        ("workforce", 403, 403),
        ("outsider", 404, 404),
    ],
)
def test_the_policy_is_read_by_the_program_and_written_by_sanction_administrators(
    cast: Cast, who: str, read: int, write: int
) -> None:
    policy = draft(cast)
    client = client_for(user_of(cast, who))

    assert client.get(url("sanction_policy_list")).status_code == read
    assert client.get(url("sanction_policy_detail", policy.public_id)).status_code == read
    assert client.get(url("sanction_policy_create")).status_code == write
    assert client.get(url("sanction_policy_edit", policy.public_id)).status_code == write


@pytest.mark.parametrize(("who", "expected"), [("privacy", 403), ("auditor", 403), ("workforce", 403)])
def test_only_signers_approve_or_review(cast: Cast, who: str, expected: int) -> None:
    pending, current = draft(cast), approved(cast)
    client = client_for(user_of(cast, who))
    before = AuditEvent.objects.count()

    assert client.post(url("sanction_policy_approve", pending.public_id), {"statement": "Ok"}).status_code == expected
    assert client.post(url("sanction_policy_review", current.public_id), {"statement": "Ok"}).status_code == expected
    assert AuditEvent.objects.count() == before


def test_writing_a_version_with_an_uploaded_document(cast: Cast) -> None:
    response = client_for(cast.owner).post(
        url("sanction_policy_create"), {"title": "Sanction policy", "body": "Coaching first.", "document_file": pdf()}
    )

    policy = SanctionPolicy.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("sanction_policy_detail", policy.public_id)
    assert policy.document is not None and policy.status == Status.DRAFT


def test_a_new_version_starts_from_the_latest_text(cast: Cast) -> None:
    approved(cast, "The text in force.")
    form = client_for(cast.owner).get(url("sanction_policy_create")).context["form"]
    assert form.initial["body"] == "The text in force."


def test_an_empty_body_is_shown_on_its_field(cast: Cast) -> None:
    response = client_for(cast.owner).post(url("sanction_policy_create"), {"title": "Sanction policy", "body": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["body"]
    assert not SanctionPolicy.objects.exists()


def test_approving_and_reviewing_through_the_pages(cast: Cast) -> None:
    policy = draft(cast)
    client = client_for(cast.official)

    approve = client.post(url("sanction_policy_approve", policy.public_id), {"statement": "Approved."})
    review = client.post(url("sanction_policy_review", policy.public_id), {"statement": "Reviewed, unchanged."})

    assert approve.status_code == review.status_code == 302
    page = client.get(url("sanction_policy_detail", policy.public_id)).content.decode()
    assert "Approved." in page and "Reviewed, unchanged." in page
    assert Signature.objects.filter(target_id=str(policy.public_id)).count() == 2


def test_approval_without_a_statement_shows_the_error(cast: Cast) -> None:
    policy = draft(cast)
    response = client_for(cast.owner).post(url("sanction_policy_approve", policy.public_id), {"statement": ""})
    assert response.status_code == 200
    assert response.context["sign_form"].errors["statement"]
    policy.refresh_from_db()
    assert policy.status == Status.DRAFT


def test_approving_an_approved_version_again_is_refused_on_the_page(cast: Cast) -> None:
    policy = approved(cast)
    response = client_for(cast.owner).post(url("sanction_policy_approve", policy.public_id), {"statement": "Again"})
    assert response.status_code == 200
    assert "not a draft" in str(response.context["sign_form"].non_field_errors())
    assert Signature.objects.count() == 1


def test_an_approved_version_sends_its_edit_page_back_to_the_detail(cast: Cast) -> None:
    policy = approved(cast, "Frozen")
    client = client_for(cast.owner)

    response = client.post(url("sanction_policy_edit", policy.public_id), {"title": "T", "body": "Changed"})

    assert response.status_code == 302
    assert response["Location"] == url("sanction_policy_detail", policy.public_id)
    policy.refresh_from_db()
    assert policy.body == "Frozen"


def test_approve_and_review_are_post_only(cast: Cast) -> None:
    policy = draft(cast)
    assert client_for(cast.owner).get(url("sanction_policy_approve", policy.public_id)).status_code == 405
    assert client_for(cast.owner).get(url("sanction_log_review")).status_code == 405


def test_a_policy_of_another_organization_is_not_found(cast: Cast) -> None:
    theirs = draft(cast, org=cast.other_org)
    client = client_for(cast.owner)
    assert client.get(url("sanction_policy_detail", theirs.public_id)).status_code == 404
    assert client.post(url("sanction_policy_approve", theirs.public_id), {"statement": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.DRAFT


def test_the_policy_list_query_count_does_not_grow_with_versions(cast: Cast) -> None:
    client = client_for(cast.auditor)
    for _ in range(3):
        approved(cast)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("sanction_policy_list")).status_code == 200
    for _ in range(27):
        approved(cast)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("sanction_policy_list")).status_code == 200

    assert len(many) == len(few)
