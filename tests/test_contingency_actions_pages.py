"""Corrective action pages: the list and its filters, one action, creating, editing, completing and cancelling;
who may read and change, and that another organization's action is not found."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from safeguard.contingency.models import CorrectiveAction
from safeguard.core.models import AuditEvent
from tests.conftest import client_for
from tests.contingency_restore_factories import action, asset_with_objectives, recorded

pytestmark = pytest.mark.django_db
ACTIONS = "/o/clinic/contingency/restore-tests/actions/"
TODAY = timezone.localdate()


def _url(item: CorrectiveAction, tail: str = "") -> str:
    return f"{ACTIONS}{item.public_id}/{tail}"


def test_the_list_shows_open_actions_by_default_and_filters_overdue_origin_and_mine(cast):
    action(cast.org, cast.owner, "Late one", due_on=TODAY - timedelta(days=2))
    action(cast.org, cast.official, "Mine, later", due_on=TODAY + timedelta(days=5))
    action(cast.org, cast.owner, "Finished", status="done", completed_on=TODAY)
    recorded(asset_with_objectives(cast.org, "EHR", rto=30), cast.official, started=timezone.now() - timedelta(hours=4))
    client = client_for(cast.official)
    default = client.get(ACTIONS).content.decode()
    assert "Late one" in default and "Mine, later" in default and "Finished" not in default
    assert "Restore test of EHR missed its RTO" in default
    overdue = client.get(ACTIONS, {"state": "overdue"}).content.decode()
    assert "Late one" in overdue and "Mine, later" not in overdue
    mine = client.get(ACTIONS, {"mine": "on"}).content.decode()
    assert "Mine, later" in mine and "Late one" not in mine
    from_tests = client.get(ACTIONS, {"origin": "restore_test"}).content.decode()
    assert "Restore test of EHR" in from_tests and "Late one" not in from_tests
    assert "Finished" in client.get(ACTIONS, {"state": "closed"}).content.decode()


def test_the_list_keeps_its_query_count_flat(cast, django_assert_max_num_queries):
    action(cast.org, cast.owner, "First")
    client = client_for(cast.official)
    with django_assert_max_num_queries(40) as few:
        client.get(ACTIONS)
    for number in range(15):
        action(cast.org, cast.owner, f"Action {number}", asset=asset_with_objectives(cast.org, f"System {number}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(ACTIONS).content.decode().count("Action ") >= 15


def test_a_manager_creates_edits_and_completes_an_action(cast):
    client = client_for(cast.official)
    due = (TODAY + timedelta(days=14)).isoformat()
    response = client.post(ACTIONS + "new/", {"title": "Second NAS", "owner": cast.owner.pk, "due_on": due})
    item = CorrectiveAction.objects.get()
    assert response["Location"] == _url(item)
    assert (item.origin, item.owner) == ("other", cast.owner)
    client.post(
        _url(item, "edit/"),
        {"title": "Second NAS offsite", "owner": cast.owner.pk, "due_on": due, "status": "in_progress"},
    )
    item.refresh_from_db()
    assert (item.title, item.status) == ("Second NAS offsite", "in_progress")
    refused = client.post(_url(item, "complete/"), {"note": ""})
    assert refused.status_code == 400
    client.post(_url(item, "complete/"), {"note": "Installed and replicating"})
    item.refresh_from_db()
    assert (item.status, item.completion_note, item.completed_by) == (
        "done",
        "Installed and replicating",
        cast.official,
    )


def test_cancelling_needs_a_reason(cast):
    item = action(cast.org, cast.owner)
    client = client_for(cast.official)
    assert client.post(_url(item, "cancel/"), {"reason": ""}).status_code == 400
    client.post(_url(item, "cancel/"), {"reason": "Duplicate"})
    item.refresh_from_db()
    assert item.status == "cancelled"


@pytest.mark.parametrize("who", ["auditor", "workforce"])
def test_only_managers_change_actions(cast, who):
    item = action(cast.org, cast.owner)
    client, before = client_for(getattr(cast, who)), AuditEvent.objects.count()
    due = (TODAY + timedelta(days=3)).isoformat()
    assert client.post(ACTIONS + "new/", {"title": "X", "owner": cast.owner.pk, "due_on": due}).status_code == 403
    assert client.post(_url(item, "complete/"), {"note": "done"}).status_code == 403
    assert client.post(_url(item, "cancel/"), {"reason": "no"}).status_code == 403
    assert client.get(_url(item, "edit/")).status_code == 403
    item.refresh_from_db()
    assert (CorrectiveAction.objects.count(), item.status) == (1, "open")
    assert AuditEvent.objects.count() == before


def test_auditors_read_and_workforce_does_not(cast):
    item = action(cast.org, cast.owner, "Readable")
    auditor_page = client_for(cast.auditor).get(_url(item))
    assert auditor_page.status_code == 200
    assert "Mark done" not in auditor_page.content.decode()
    assert client_for(cast.auditor).get(ACTIONS).status_code == 200
    assert client_for(cast.workforce).get(ACTIONS).status_code == 403
    assert client_for(cast.workforce).get(_url(item)).status_code == 403


def test_another_organizations_action_is_not_found(cast):
    theirs = action(cast.other_org, cast.outsider)
    client = client_for(cast.owner)
    assert client.get(_url(theirs)).status_code == 404
    assert client.post(_url(theirs, "complete/"), {"note": "x"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "open"


def test_the_forms_render_for_managers(cast):
    item = action(cast.org, cast.owner, "Shown")
    client = client_for(cast.official)
    assert 'name="title"' in client.get(ACTIONS + "new/").content.decode()
    edit = client.get(_url(item, "edit/")).content.decode()
    assert 'value="Shown"' in edit and 'name="status"' in edit
    assert "Mark done" in client.get(_url(item)).content.decode()
