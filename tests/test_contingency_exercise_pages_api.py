"""Exercise pages and API: program viewers read, program managers change, other organizations' exercises are not
found, the list keeps its query count flat, and corrective actions and timeline entries are added from the
exercise."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from safeguard.contingency.models import CorrectiveAction, Exercise
from safeguard.core.models import AuditEvent
from tests.conftest import Cast, client_for
from tests.contingency_exercise_factories import asset, exercise, plan_version
from tests.test_api_support import client_as, error_of, user_of

API = "/api/v1/orgs/clinic/contingency/exercises/"
PAGES = "/o/clinic/contingency/exercises/"


def yesterday() -> date:
    return timezone.localdate() - timedelta(days=1)


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_program_viewers_read_exercises(cast: Cast, who: str, expected: int):
    one = exercise(cast.org, cast.owner, held_on=yesterday())
    api, page = client_as(cast, who), client_for(user_of(cast, who))
    assert api.get(API).status_code == expected
    assert api.get(f"{API}{one.public_id}/").status_code == expected
    assert api.get(f"{API}{one.public_id}/actions/").status_code == expected
    assert page.get(PAGES).status_code == expected
    assert page.get(f"{PAGES}{one.public_id}/").status_code == expected


def test_auditors_cannot_change_exercises(cast: Cast):
    one = exercise(cast.org, cast.owner, held_on=yesterday())
    before = AuditEvent.objects.count()
    api, page = client_as(cast, "auditor"), client_for(cast.auditor)
    assert api.patch(f"{API}{one.public_id}/", {"title": "Mine"}, format="json").status_code == 403
    assert api.post(API, {"kind": "tabletop"}, format="json").status_code == 403
    assert api.delete(f"{API}{one.public_id}/").status_code == 403
    assert api.post(f"{API}{one.public_id}/timeline/", {}, format="json").status_code == 403
    assert api.post(f"{API}{one.public_id}/actions/", {}, format="json").status_code == 403
    assert page.get(f"{PAGES}new/").status_code == 403
    assert page.post(f"{PAGES}{one.public_id}/edit/", {"title": "Mine"}).status_code == 403
    assert page.post(f"{PAGES}{one.public_id}/timeline/", {}).status_code == 403
    assert page.post(f"{PAGES}{one.public_id}/actions/", {}).status_code == 403
    assert page.post(f"{PAGES}{one.public_id}/delete/").status_code == 403
    one.refresh_from_db()
    assert one.title.startswith("Ransomware")
    assert AuditEvent.objects.count() == before
    assert "Record an exercise" not in page.get(PAGES).content.decode()


def test_other_organizations_exercise_is_not_found(cast: Cast):
    theirs = exercise(cast.other_org, cast.outsider, held_on=yesterday())
    api, page = client_as(cast, "owner"), client_for(cast.owner)
    assert api.get(f"{API}{theirs.public_id}/").status_code == 404
    assert api.patch(f"{API}{theirs.public_id}/", {"title": "x"}, format="json").status_code == 404
    assert api.get(f"{API}{theirs.public_id}/actions/").status_code == 404
    assert api.delete(f"{API}{theirs.public_id}/").status_code == 404
    assert page.get(f"{PAGES}{theirs.public_id}/").status_code == 404
    assert (
        page.post(f"{PAGES}{theirs.public_id}/timeline/", {"at": "2026-01-01T10:00", "entry": "x"}).status_code == 404
    )
    assert api.get(API).json()["count"] == 0
    theirs.refresh_from_db()
    assert theirs.timeline == []


def test_api_records_an_exercise_with_names_resolved(cast: Cast):
    ehr = asset(cast.org, "EHR")
    body = {
        "kind": "functional",
        "title": "Restore the EHR from the offline copy",
        "scenario": "Ransomware; the online backups are encrypted too.",
        "held_on": str(yesterday()),
        "facilitator": "so@clinic.test",
        "participants": ["owner@clinic.test", "nurse@clinic.test"],
        "assets": [str(ehr.public_id)],
        "outcomes": "Restored in 5 hours, RTO is 4.",
        "completed": True,
    }
    response = client_as(cast, "official").post(API, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["facilitator"]["email"] == "so@clinic.test"
    assert sorted(person["email"] for person in data["participants"]) == ["nurse@clinic.test", "owner@clinic.test"]
    assert data["assets"] == [{"public_id": str(ehr.public_id), "name": "EHR"}]
    assert data["completed"] is True


def test_api_refuses_outsiders_and_other_organizations_assets(cast: Cast):
    theirs = asset(cast.other_org, "Their EHR")
    api = client_as(cast, "owner")
    base = {"kind": "tabletop", "title": "T", "scenario": "S", "held_on": str(yesterday())}
    bad = api.post(API, base | {"participants": ["owner@other.test"]}, format="json")
    assert list(error_of(bad)["fields"]) == ["participants"]
    bad = api.post(API, base | {"assets": [str(theirs.public_id)]}, format="json")
    assert list(error_of(bad)["fields"]) == ["assets"]
    assert not Exercise.objects.filter(organization=cast.org).exists()


def test_api_timeline_and_actions(cast: Cast):
    one = exercise(cast.org, cast.owner, held_on=yesterday())
    api = client_as(cast, "owner")
    later = api.post(
        f"{API}{one.public_id}/timeline/", {"at": "2026-03-09T11:00:00Z", "entry": "Restored"}, format="json"
    )
    assert later.status_code == 201
    api.post(f"{API}{one.public_id}/timeline/", {"at": "2026-03-09T09:00:00Z", "entry": "Outage"}, format="json")
    entries = api.get(f"{API}{one.public_id}/").json()["timeline"]
    assert [item["entry"] for item in entries] == ["Outage", "Restored"]
    assert api.delete(f"{API}{one.public_id}/timeline/{later.json()['id']}/").status_code == 204
    assert [item["entry"] for item in api.get(f"{API}{one.public_id}/").json()["timeline"]] == ["Outage"]
    due = str(timezone.localdate() + timedelta(days=14))
    created = api.post(
        f"{API}{one.public_id}/actions/", {"title": "Print the call tree", "owner": "so@clinic.test", "due_on": due}
    )
    assert created.status_code == 201
    action = CorrectiveAction.objects.get()
    assert (action.origin, action.exercise, action.owner) == ("exercise", one, cast.official)
    listed = api.get(f"{API}{one.public_id}/actions/").json()
    assert [row["title"] for row in listed["results"]] == ["Print the call tree"]
    auditor_owned = api.post(
        f"{API}{one.public_id}/actions/", {"title": "x", "owner": "auditor@firm.test", "due_on": due}, format="json"
    )
    assert list(error_of(auditor_owned)["fields"]) == ["owner"]


def test_pages_create_edit_and_add_an_action(cast: Cast):
    page = client_for(cast.owner)
    body = {"kind": "tabletop", "title": "Power cut", "scenario": "The building loses power.", "held_on": yesterday()}
    response = page.post(f"{PAGES}new/", body)
    assert response.status_code == 302
    one = Exercise.objects.get(title="Power cut")
    edit = body | {"outcomes": "Generator did not start.", "completed": "on", "participants": [cast.workforce.pk]}
    assert page.post(f"{PAGES}{one.public_id}/edit/", edit).status_code == 302
    one.refresh_from_db()
    assert one.completed and list(one.participants.all()) == [cast.workforce]
    due = timezone.localdate() + timedelta(days=7)
    action = {"title": "Service the generator", "owner": cast.official.pk, "due_on": due}
    assert page.post(f"{PAGES}{one.public_id}/actions/", action).status_code == 302
    assert (
        page.post(f"{PAGES}{one.public_id}/timeline/", {"at": "2026-03-09T10:00", "entry": "Lights out"}).status_code
        == 302
    )
    detail = page.get(f"{PAGES}{one.public_id}/").content.decode()
    assert "Service the generator" in detail and "Lights out" in detail


def test_page_shows_plan_revisions_caused_by_the_exercise(cast: Cast):
    one = exercise(cast.org, cast.owner, held_on=yesterday())
    plan_version(cast.org, cast.owner, caused_by=one)
    detail = client_for(cast.auditor).get(f"{PAGES}{one.public_id}/").content.decode()
    assert "Disaster recovery plan v1" in detail
    assert "Call tree fixed after the exercise." in detail


def test_completing_without_outcomes_shows_the_error_on_the_page(cast: Cast):
    body = {"kind": "tabletop", "title": "T", "scenario": "S", "held_on": yesterday(), "completed": "on"}
    response = client_for(cast.owner).post(f"{PAGES}new/", body)
    assert response.status_code == 200
    assert "Write the outcomes before marking the exercise completed." in response.content.decode()


def test_lists_keep_queries_flat(cast: Cast, django_assert_max_num_queries):
    exercise(cast.org, cast.owner, held_on=yesterday())
    api, page = client_as(cast, "owner"), client_for(cast.owner)
    with django_assert_max_num_queries(40) as api_few:
        api.get(API)
    with django_assert_max_num_queries(40) as page_few:
        page.get(PAGES)
    for n in range(20):
        exercise(cast.org, cast.owner, held_on=timezone.localdate() - timedelta(days=n + 2))
    with django_assert_max_num_queries(len(api_few.captured_queries)):
        assert api.get(API).json()["count"] == 21
    with django_assert_max_num_queries(len(page_few.captured_queries)):
        assert page.get(PAGES).content.decode().count("Ransomware") == 21
