"""Obligation pages over HTTP: the list and its tabs, create, detail, edit, complete, cancel; who may do what."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Evidence, Obligation, ObligationCompletion, User
from safeguard.core.models.obligations import Cadence
from safeguard.core.roles import Role
from safeguard.core.services.evidence import evidence_upload
from tests.conftest import Cast, client_for, make_member

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

LOGIN = reverse("login")
TODAY = timezone.localdate()


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"core:{name}", args=[org, *args])


def duty(cast: Cast, owner: User | None = None, days: int = 60, **values: object) -> Obligation:
    fields: dict[str, object] = {
        "organization": cast.org,
        "title": f"Duty due in {days} days",
        "owner": owner or cast.official,
        "due_on": TODAY + timedelta(days=days),
        "cadence": Cadence.QUARTERLY,
        **values,
    }
    return Obligation.objects.create(**fields)


def form_data(cast: Cast, **values: object) -> dict[str, object]:
    return {
        "title": "Quarterly access review",
        "description": "Review every account in the EHR.",
        "citation": "164.308(a)(4)(ii)(C)",
        "cadence": "quarterly",
        "owner": str(cast.official.public_id),
        "due_on": "2030-03-31",
        "remind_days_before": "14",
        **values,
    }


def titles(response: TestResponse) -> list[str]:
    return [o.title for o in response.context["page"].object_list]


# --- list -------------------------------------------------------------------------------------------------------


def test_tabs_split_open_overdue_soon_and_done(cast: Cast) -> None:
    duty(cast, days=-3, title="Late")
    duty(cast, days=10, title="Soon")
    duty(cast, days=90, title="Later")
    duty(cast, days=-30, title="Finished", status=Obligation.Status.DONE)
    duty(cast, days=5, title="Dropped", status=Obligation.Status.CANCELLED)
    client = client_for(cast.owner)

    assert titles(client.get(url("obligation_list"))) == ["Late", "Soon", "Later"]
    assert titles(client.get(url("obligation_list"), {"show": "overdue"})) == ["Late"]
    assert titles(client.get(url("obligation_list"), {"show": "soon"})) == ["Soon"]
    assert titles(client.get(url("obligation_list"), {"show": "done"})) == ["Finished"]
    counts = {key: count for key, _label, count in client.get(url("obligation_list")).context["tabs"]}
    assert counts == {"open": 3, "overdue": 1, "soon": 1, "done": 1}


def test_an_unknown_tab_falls_back_to_open(cast: Cast) -> None:
    duty(cast, title="Open one")

    response = client_for(cast.owner).get(url("obligation_list"), {"show": "<script>"})

    assert response.status_code == 200
    assert titles(response) == ["Open one"]


def test_mine_shows_only_the_viewers_obligations(cast: Cast) -> None:
    duty(cast, owner=cast.owner, title="Owner's")
    duty(cast, owner=cast.official, title="Official's")

    response = client_for(cast.owner).get(url("obligation_list"), {"mine": "1"})

    assert titles(response) == ["Owner's"]


def test_a_workforce_member_sees_only_their_own(cast: Cast) -> None:
    duty(cast, owner=cast.workforce, title="Nurse's training")
    duty(cast, owner=cast.official, title="Risk analysis")

    response = client_for(cast.workforce).get(url("obligation_list"))

    assert response.status_code == 200
    assert titles(response) == ["Nurse's training"]
    assert "Risk analysis" not in response.content.decode()
    assert url("obligation_create") not in response.content.decode()


def test_an_auditor_sees_everything_but_cannot_create(cast: Cast) -> None:
    duty(cast, owner=cast.workforce, title="Nurse's training")
    duty(cast, owner=cast.official, title="Risk analysis")

    response = client_for(cast.auditor).get(url("obligation_list"))

    assert titles(response) == ["Nurse's training", "Risk analysis"]
    assert url("obligation_create") not in response.content.decode()


def test_the_list_paginates_fifty_per_page(cast: Cast) -> None:
    for n in range(51):
        duty(cast, days=10 + n, title=f"Duty {n:02}")
    client = client_for(cast.owner)

    assert len(titles(client.get(url("obligation_list")))) == 50
    assert titles(client.get(url("obligation_list"), {"page": 2})) == ["Duty 50"]


def test_the_list_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    client = client_for(cast.owner)
    owners = [cast.owner, cast.official, cast.workforce]
    for n in range(3):
        duty(cast, owner=owners[n % 3], days=n)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("obligation_list")).status_code == 200
    for n in range(3, 30):
        duty(cast, owner=owners[n % 3], days=n)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("obligation_list")).status_code == 200

    assert len(many) == len(few)


# --- create -----------------------------------------------------------------------------------------------------


def test_create_stores_the_obligation_and_redirects(cast: Cast) -> None:
    response = client_for(cast.owner).post(url("obligation_create"), form_data(cast))

    obligation = Obligation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("obligation_detail", obligation.public_id)
    assert obligation.owner == cast.official
    assert obligation.citation == "164.308(a)(4)(ii)(C)"
    assert obligation.due_on == date(2030, 3, 31)
    assert obligation.cadence == Cadence.QUARTERLY
    assert AuditEvent.objects.filter(action="obligation.created", actor=cast.owner).count() == 1


def test_create_with_an_unknown_citation_shows_the_error_on_the_field(cast: Cast) -> None:
    response = client_for(cast.owner).post(url("obligation_create"), form_data(cast, citation="164.999"))

    assert response.status_code == 200
    assert "not in the catalog" in response.context["form"].errors["citation"][0]
    assert not Obligation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_owner_choices_are_current_members_other_than_auditors(cast: Cast) -> None:
    response = client_for(cast.owner).get(url("obligation_create"))

    choices = {str(value) for value, _label in response.context["form"].fields["owner"].choices if value}
    assert choices == {str(u.public_id) for u in (cast.owner, cast.official, cast.workforce)}
    assert "<datalist" in response.content.decode()


@pytest.mark.parametrize("who", ["auditor", "outsider"])
def test_create_refuses_an_owner_who_is_not_a_choice(cast: Cast, who: str) -> None:
    user = getattr(cast, who)

    response = client_for(cast.owner).post(url("obligation_create"), form_data(cast, owner=str(user.public_id)))

    assert response.status_code == 200
    assert "owner" in response.context["form"].errors
    assert not Obligation.objects.exists()


# --- detail, edit, complete, cancel -----------------------------------------------------------------------------


def test_detail_shows_the_completion_history(cast: Cast) -> None:
    obligation = duty(cast)
    ObligationCompletion.objects.create(
        obligation=obligation,
        due_on=date(2024, 12, 31),
        completed_on=date(2024, 12, 20),
        completed_by=cast.official,
        note="All accounts reviewed",
    )

    response = client_for(cast.auditor).get(url("obligation_detail", obligation.public_id))

    html = response.content.decode()
    assert response.status_code == 200
    assert "All accounts reviewed" in html and "2024-12-20" in html
    assert response.context["can_complete"] is False
    assert f'action="{url("obligation_cancel", obligation.public_id)}"' not in html


def test_a_workforce_member_can_view_and_complete_their_own(cast: Cast, settings: SettingsWrapper) -> None:
    obligation = duty(cast, owner=cast.workforce, cadence=Cadence.ONCE)
    client = client_for(cast.workforce)

    detail = client.get(url("obligation_detail", obligation.public_id))
    response = client.post(
        url("obligation_complete", obligation.public_id),
        {
            "due_on": obligation.due_on.isoformat(),
            "note": "Finished the course",
            "evidence_file": SimpleUploadedFile("cert.pdf", b"%PDF cert", content_type="application/pdf"),
        },
    )

    assert detail.status_code == 200
    # Workforce members cannot see the org's evidence, so they may only upload.
    assert "evidence" not in detail.context["complete_form"].fields
    assert response.status_code == 302
    obligation.refresh_from_db()
    assert obligation.status == Obligation.Status.DONE
    completion = obligation.completions.get()
    assert completion.completed_by == cast.workforce
    assert completion.evidence is not None and completion.evidence.created_by == cast.workforce


def test_complete_with_existing_evidence(cast: Cast) -> None:
    obligation = duty(cast)
    evidence = evidence_upload(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        title="Access review export",
        effective_date=TODAY,
        upload=SimpleUploadedFile("r.csv", b"a,b", content_type="text/csv"),
    )
    due = obligation.due_on

    response = client_for(cast.official).post(
        url("obligation_complete", obligation.public_id),
        {"due_on": due.isoformat(), "note": "ok", "evidence": str(evidence.public_id)},
    )

    assert response.status_code == 302
    obligation.refresh_from_db()
    assert obligation.due_on > due
    assert obligation.completions.get().evidence == evidence


def test_complete_with_another_orgs_evidence_is_refused(cast: Cast) -> None:
    obligation = duty(cast)
    foreign = evidence_upload(
        organization=cast.other_org,
        actor=Actor(user=cast.outsider),
        title="Theirs",
        effective_date=TODAY,
        upload=SimpleUploadedFile("t.pdf", b"%PDF", content_type="application/pdf"),
    )
    events = AuditEvent.objects.count()

    response = client_for(cast.owner).post(
        url("obligation_complete", obligation.public_id),
        {"due_on": obligation.due_on.isoformat(), "evidence": str(foreign.public_id)},
    )

    assert response.status_code == 200
    assert "evidence" in response.context["complete_form"].errors
    assert not ObligationCompletion.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_refused_evidence_file_shows_on_its_field(cast: Cast, settings: SettingsWrapper) -> None:
    obligation = duty(cast)

    response = client_for(cast.official).post(
        url("obligation_complete", obligation.public_id),
        {
            "due_on": obligation.due_on.isoformat(),
            "evidence_file": SimpleUploadedFile("a.html", b"<p>", content_type="text/html"),
        },
    )

    assert response.status_code == 200
    errors = response.context["complete_form"].errors["evidence_file"]
    assert "Files of type text/html are not accepted." in errors[0]
    assert not ObligationCompletion.objects.exists()
    assert not Evidence.objects.exists()


def test_edit_saves_changes(cast: Cast) -> None:
    obligation = duty(cast)

    get = client_for(cast.owner).get(url("obligation_edit", obligation.public_id))
    response = client_for(cast.owner).post(
        url("obligation_edit", obligation.public_id),
        form_data(cast, title="Renamed", owner=str(cast.workforce.public_id)),
    )

    assert get.context["form"]["owner"].value() == cast.official.public_id
    assert response.status_code == 302
    obligation.refresh_from_db()
    assert obligation.title == "Renamed"
    assert obligation.owner == cast.workforce
    assert AuditEvent.objects.get(action="obligation.updated").changes["title"] == ["Duty due in 60 days", "Renamed"]


def test_cancel_closes_the_obligation(cast: Cast) -> None:
    obligation = duty(cast)

    response = client_for(cast.official).post(url("obligation_cancel", obligation.public_id))

    assert response.status_code == 302
    obligation.refresh_from_db()
    assert obligation.status == Obligation.Status.CANCELLED
    again = client_for(cast.official).post(url("obligation_cancel", obligation.public_id), follow=True)
    assert "Only an open obligation can be cancelled." in again.content.decode()
    assert AuditEvent.objects.filter(action="obligation.cancelled").count() == 1


@pytest.mark.parametrize(
    ("method", "name"),
    [
        ("get", "obligation_detail"),
        ("post", "obligation_edit"),
        ("post", "obligation_complete"),
        ("post", "obligation_cancel"),
    ],
)
def test_another_organizations_obligation_is_404(cast: Cast, method: str, name: str) -> None:
    obligation = duty(cast)

    response = getattr(client_for(cast.outsider), method)(url(name, obligation.public_id, org="other"))

    assert response.status_code == 404
    assert not AuditEvent.objects.exists()
    obligation.refresh_from_db()
    assert obligation.status == Obligation.Status.OPEN


# --- authorization matrix ---------------------------------------------------------------------------------------
# Each row: who asks, and the status they get. Denied requests change nothing and write no audit event.


def assert_denied_quietly(response: TestResponse, status: int) -> None:
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(LOGIN)
    assert not AuditEvent.objects.exists()


def client_of(cast: Cast, who: str | None) -> Client:
    return client_for(getattr(cast, who) if who else None)


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("official", 200), ("workforce", 200), ("auditor", 200), ("outsider", 404), (None, 302)],
)
def test_matrix_list(cast: Cast, who: str | None, status: int) -> None:
    assert client_of(cast, who).get(url("obligation_list")).status_code == status


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 302), ("auditor", 403), ("workforce", 403), ("outsider", 404), (None, 302)]
)
def test_matrix_create(cast: Cast, who: str | None, status: int) -> None:
    response = client_of(cast, who).post(url("obligation_create"), form_data(cast))

    if who == "owner":
        assert response.status_code == 302 and Obligation.objects.count() == 1
    else:
        assert_denied_quietly(response, status)
        assert not Obligation.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 200), ("official", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), (None, 302)],
)
def test_matrix_detail(cast: Cast, who: str | None, status: int) -> None:
    obligation = duty(cast, owner=cast.official)
    assert client_of(cast, who).get(url("obligation_detail", obligation.public_id)).status_code == status


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 302), ("auditor", 403), ("workforce", 403), ("outsider", 404), (None, 302)],
)
def test_matrix_edit(cast: Cast, who: str | None, status: int) -> None:
    obligation = duty(cast, owner=cast.workforce)  # even the owner may not edit without MANAGE_PROGRAM

    response = client_of(cast, who).post(
        url("obligation_edit", obligation.public_id), form_data(cast, owner=str(cast.workforce.public_id))
    )

    obligation.refresh_from_db()
    if who == "owner":
        assert response.status_code == 302 and obligation.title == "Quarterly access review"
    else:
        assert_denied_quietly(response, status)
        assert obligation.title == "Duty due in 60 days"


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 302), ("official", 302), ("auditor", 403), ("workforce", 403), ("outsider", 404), (None, 302)],
)
def test_matrix_complete(cast: Cast, who: str | None, status: int) -> None:
    obligation = duty(cast, owner=cast.official)

    response = client_of(cast, who).post(
        url("obligation_complete", obligation.public_id), {"due_on": obligation.due_on.isoformat(), "note": "done"}
    )

    if who in ("owner", "official"):
        assert response.status_code == 302 and obligation.completions.count() == 1
    else:
        assert_denied_quietly(response, status)
        assert not ObligationCompletion.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 302), ("auditor", 403), ("workforce", 403), ("outsider", 404), (None, 302)]
)
def test_matrix_cancel(cast: Cast, who: str | None, status: int) -> None:
    obligation = duty(cast, owner=cast.workforce)

    response = client_of(cast, who).post(url("obligation_cancel", obligation.public_id))

    obligation.refresh_from_db()
    if who == "owner":
        assert response.status_code == 302 and obligation.status == Obligation.Status.CANCELLED
    else:
        assert_denied_quietly(response, status)
        assert obligation.status == Obligation.Status.OPEN


def test_post_only_pages_refuse_get(cast: Cast) -> None:
    obligation = duty(cast)
    client = client_for(cast.owner)

    assert client.get(url("obligation_complete", obligation.public_id)).status_code == 405
    assert client.get(url("obligation_cancel", obligation.public_id)).status_code == 405


# --- a repeated completion, and dates the calendar cannot hold --------------------------------------------------


def test_the_completion_form_carries_the_due_date_it_completes(cast: Cast) -> None:
    obligation = duty(cast)

    response = client_for(cast.official).get(url("obligation_detail", obligation.public_id))

    html = response.content.decode()
    assert f'<input type="hidden" name="due_on" value="{obligation.due_on.isoformat()}"' in html
    assert '<label for="id_due_on"' not in html


def test_submitting_the_completion_form_twice_completes_once(cast: Cast) -> None:
    obligation = duty(cast)  # quarterly
    seen = obligation.due_on
    client = client_for(cast.official)
    data = {"due_on": seen.isoformat(), "note": "Reviewed"}

    first = client.post(url("obligation_complete", obligation.public_id), data)
    second = client.post(url("obligation_complete", obligation.public_id), data, follow=True)

    assert first.status_code == 302
    obligation.refresh_from_db()
    assert obligation.due_on > seen
    assert second.status_code == 200
    assert (
        f"This occurrence was already completed; the duty is now due on {obligation.due_on:%Y-%m-%d}."
        in second.content.decode()
    )
    assert second.context["complete_form"]["due_on"].value() == obligation.due_on
    assert obligation.completions.count() == 1
    assert AuditEvent.objects.filter(action="obligation.completed").count() == 1


def test_a_completion_without_the_due_date_is_refused(cast: Cast) -> None:
    obligation = duty(cast)

    response = client_for(cast.official).post(url("obligation_complete", obligation.public_id), {"note": "Done"})

    assert response.status_code == 200
    assert "This page is out of date: reload it and submit again." in response.content.decode()
    assert not ObligationCompletion.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("due_on", ["9999-12-31", "1900-01-01"])
@pytest.mark.parametrize("page", ["create", "edit"])
def test_a_due_date_out_of_range_is_refused_on_the_field(cast: Cast, due_on: str, page: str) -> None:
    obligation = duty(cast) if page == "edit" else None
    target = url("obligation_edit", obligation.public_id) if obligation else url("obligation_create")
    events = AuditEvent.objects.count()

    response = client_for(cast.owner).post(target, form_data(cast, due_on=due_on))

    assert response.status_code == 200
    assert response.context["form"].errors["due_on"][0].startswith("The due date must be between 1990-01-01 and ")
    assert Obligation.objects.filter(due_on=date.fromisoformat(due_on)).count() == 0
    assert AuditEvent.objects.count() == events


def test_completing_a_stored_duty_due_in_year_9999_shows_an_error_not_a_crash(cast: Cast) -> None:
    obligation = duty(cast, due_on=date(9999, 12, 1), cadence=Cadence.MONTHLY)

    response = client_for(cast.official).post(
        url("obligation_complete", obligation.public_id), {"due_on": "9999-12-01", "note": "Done"}
    )

    assert response.status_code == 200
    assert "too far ahead to schedule the next occurrence" in response.content.decode()
    assert not ObligationCompletion.objects.exists()
    assert not AuditEvent.objects.exists()


# --- the roles the matrices above leave out ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.MANAGER, False), (Role.REVIEWER, False), (Role.PRIVACY_OFFICER, True)]
)
def test_matrix_manager_reviewer_privacy_officer(cast: Cast, role: str, allowed: bool) -> None:
    """Only the privacy officer manages the program; managers and reviewers only view it."""
    client = client_for(make_member(cast.org, f"{role}@clinic.test", role).user)
    edited, completed, cancelled = duty(cast), duty(cast), duty(cast)
    expected = 302 if allowed else 403

    create = client.post(url("obligation_create"), form_data(cast, title="New duty"))
    edit = client.post(url("obligation_edit", edited.public_id), form_data(cast, title="Renamed"))
    complete = client.post(
        url("obligation_complete", completed.public_id), {"due_on": completed.due_on.isoformat(), "note": "Done"}
    )
    cancel = client.post(url("obligation_cancel", cancelled.public_id))

    assert [r.status_code for r in (create, edit, complete, cancel)] == [expected] * 4
    assert client.get(url("obligation_detail", edited.public_id)).status_code == 200
    edited.refresh_from_db()
    cancelled.refresh_from_db()
    if allowed:
        assert Obligation.objects.filter(title="New duty").count() == 1
        assert edited.title == "Renamed"
        assert completed.completions.count() == 1
        assert cancelled.status == Obligation.Status.CANCELLED
        actions = set(AuditEvent.objects.values_list("action", flat=True))
        assert actions == {"obligation.created", "obligation.updated", "obligation.completed", "obligation.cancelled"}
    else:
        assert Obligation.objects.count() == 3
        assert edited.title == "Duty due in 60 days"
        assert not ObligationCompletion.objects.exists()
        assert cancelled.status == Obligation.Status.OPEN
        assert not AuditEvent.objects.exists()
