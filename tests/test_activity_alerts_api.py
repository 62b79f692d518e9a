"""Alerts over the API: the role matrix of each endpoint (nothing changed or audited on denial), another
organization's alerts not found, filters, triage, evidence behind view-events, escalation, bulk triage,
suppressions, escalation levels and flat query counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from safeguard.activity.models import Alert, AlertStatus, EscalationLevel, Suppression
from safeguard.incidents.models import Incident
from tests.activity_factories import make_alert, make_rule, make_source
from tests.conftest import Cast
from tests.test_api_support import audit_count, client_as, error_of

BASE = "/api/v1/orgs/clinic/activity"


class FakeStore:
    def events(self, uids: list[str], *, limit: int = 1000) -> list[dict[str, Any]]:
        return [{"event_uid": uid, "user_name": "jdoe", "patient_id": "MRN-7"} for uid in uids]

    def export(self, uids: list[str]) -> Iterator[bytes]:
        for uid in uids:
            yield f'{{"event_uid": "{uid}", "raw": "line"}}\n'.encode()


@pytest.fixture(autouse=True)
def fake_store(monkeypatch):
    monkeypatch.setattr("safeguard.activity.store.store_for", lambda organization_id: FakeStore())


@pytest.fixture
def alert(cast: Cast) -> Alert:
    rule = make_rule(cast.org, "vip_access", title="VIP record opened")
    return make_alert(cast.org, rule, uid="a", evidence_uids=["e1", "e2"], evidence_count=2)


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_activity_viewers_read_alerts_suppressions_and_levels(cast: Cast, alert: Alert, who: str, expected: int):
    client = client_as(cast, who)
    paths = [
        f"{BASE}/alerts/",
        f"{BASE}/alerts/{alert.public_id}/",
        f"{BASE}/suppressions/",
        f"{BASE}/escalation-levels/",
    ]
    assert {path: client.get(path).status_code for path in paths} == dict.fromkeys(paths, expected)


@pytest.mark.parametrize(
    ("who", "expected"), [("official", 200), ("auditor", 403), ("workforce", 403), ("outsider", 404)]
)
def test_evidence_needs_view_events(cast: Cast, alert: Alert, who: str, expected: int):
    response = client_as(cast, who).get(f"{BASE}/alerts/{alert.public_id}/evidence/")
    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert body["count"] == 2
        assert body["results"] == [
            {"event_uid": "e1", "user_name": "jdoe", "patient_id": "MRN-7"},
            {"event_uid": "e2", "user_name": "jdoe", "patient_id": "MRN-7"},
        ]


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_only_triagers_change_alerts(cast: Cast, alert: Alert, who: str, expected: int):
    client, before = client_as(cast, who), audit_count()
    one = f"{BASE}/alerts/{alert.public_id}/"
    responses = [
        client.patch(one, {"status": "triaged"}, format="json"),
        client.post(f"{one}escalate/", {"comment": "x", "owner": "so@clinic.test"}, format="json"),
        client.post(f"{BASE}/alerts/bulk/", {"alerts": [str(alert.public_id)], "status": "triaged"}, format="json"),
    ]
    assert [r.status_code for r in responses] == [expected] * 3
    alert.refresh_from_db()
    assert alert.status == AlertStatus.NEW
    assert audit_count() == before


def test_another_organizations_alert_is_not_found(cast: Cast):
    theirs = make_alert(cast.other_org, make_rule(cast.other_org, "vip_access"))
    client = client_as(cast, "owner")
    assert client.get(f"{BASE}/alerts/{theirs.public_id}/").status_code == 404
    assert client.patch(f"{BASE}/alerts/{theirs.public_id}/", {"status": "triaged"}, format="json").status_code == 404
    assert client.get(f"{BASE}/alerts/{theirs.public_id}/evidence/").status_code == 404
    bulk = client.post(f"{BASE}/alerts/bulk/", {"alerts": [str(theirs.public_id)], "status": "triaged"}, format="json")
    assert error_of(bulk)["message"] == "Some of the alerts are not in this organization."
    assert client.get(f"{BASE}/alerts/").json()["count"] == 0


def test_list_filters_and_puts_open_alerts_first(cast: Cast, alert: Alert):
    source = make_source(cast.org)
    now = timezone.now()
    closed = make_alert(cast.org, alert.rule, uid="b", status=AlertStatus.BENIGN, first_seen=now)
    mine = make_alert(cast.org, alert.rule, uid="c", severity="critical", assignee=cast.owner, source=source)
    client = client_as(cast, "owner")
    ids = [row["public_id"] for row in client.get(f"{BASE}/alerts/").json()["results"]]
    assert ids[-1] == str(closed.public_id)
    assert [r["public_id"] for r in client.get(f"{BASE}/alerts/?status=open").json()["results"]] == ids[:2]
    assert [r["public_id"] for r in client.get(f"{BASE}/alerts/?assignee=me").json()["results"]] == [
        str(mine.public_id)
    ]
    assert client.get(f"{BASE}/alerts/?severity=critical&source=EHR").json()["count"] == 1
    assert client.get(f"{BASE}/alerts/?assignee=none&rule=vip_access").json()["count"] == 2
    assert error_of(client.get(f"{BASE}/alerts/?status=done"))["fields"]["status"]


def test_patch_assigns_and_triages_with_a_note(cast: Cast, alert: Alert):
    client = client_as(cast, "owner")
    response = client.patch(
        f"{BASE}/alerts/{alert.public_id}/", {"assignee": "so@clinic.test", "status": "triaged"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["assignee"], response.json()["status"]) == ("so@clinic.test", "triaged")
    refused = client.patch(f"{BASE}/alerts/{alert.public_id}/", {"status": "benign"}, format="json")
    assert refused.status_code == 400
    message = "VIP record opened (user_name=jdoe): Say why the alert is benign true positive: a comment is required."
    assert error_of(refused) == {"code": "invalid", "message": message, "fields": {"comment": [message]}}


def test_escalate_opens_an_incident(cast: Cast, alert: Alert):
    response = client_as(cast, "official").post(
        f"{BASE}/alerts/{alert.public_id}/escalate/",
        {"comment": "Looked at a VIP chart without a visit", "owner": "so@clinic.test", "is_suspected_breach": True},
        format="json",
    )
    assert response.status_code == 201
    incident = Incident.objects.get()
    assert response.json() == {"incident": str(incident.public_id), "reference": incident.reference}
    assert incident.is_suspected_breach
    alert.refresh_from_db()
    assert (alert.status, alert.incident) == ("escalated", incident)


def test_bulk_triage(cast: Cast, alert: Alert):
    other = make_alert(cast.org, alert.rule, uid="b")
    body = {"alerts": [str(alert.public_id), str(other.public_id)], "status": "false_positive", "comment": "Test users"}
    response = client_as(cast, "owner").post(f"{BASE}/alerts/bulk/", body, format="json")
    assert response.status_code == 200
    assert response.json()["updated"] == 2
    assert {row["status"] for row in response.json()["alerts"]} == {"false_positive"}


def test_suppressions_created_by_managers_and_revoked(cast: Cast, alert: Alert):
    body = {"rule": "vip_access", "group_text": "user_name=jdoe", "reason": "Chart audit project"}
    assert client_as(cast, "auditor").post(f"{BASE}/suppressions/", body, format="json").status_code == 403
    response = client_as(cast, "official").post(f"{BASE}/suppressions/", body, format="json")
    assert response.status_code == 201
    suppression = Suppression.objects.get()
    assert (suppression.group_text, suppression.created_by) == ("user_name=jdoe", cast.official)
    missing = client_as(cast, "official").post(f"{BASE}/suppressions/", {**body, "rule": "nope"}, format="json")
    assert error_of(missing)["fields"] == {"rule": ["No rule of this organization has that name."]}
    revoke = client_as(cast, "owner").post(f"{BASE}/suppressions/{suppression.public_id}/revoke/")
    assert revoke.status_code == 200
    assert revoke.json()["revoked_at"] is not None
    again = client_as(cast, "owner").post(f"{BASE}/suppressions/{suppression.public_id}/revoke/")
    assert error_of(again)["message"] == "This suppression was already revoked."
    outsider = client_as(cast, "outsider").post(f"{BASE}/suppressions/{suppression.public_id}/revoke/")
    assert outsider.status_code == 404


def test_escalation_levels_are_numbered_without_gaps(cast: Cast):
    client = client_as(cast, "owner")
    first = client.post(
        f"{BASE}/escalation-levels/", {"severity": "high", "notify_role": "reviewer", "ack_minutes": 30}, format="json"
    )
    second = client.post(
        f"{BASE}/escalation-levels/",
        {"severity": "high", "notify_user": "so@clinic.test", "ack_minutes": 60, "remind_every_minutes": 15},
        format="json",
    )
    assert [first.json()["level"], second.json()["level"]] == [1, 2]
    both = client.post(
        f"{BASE}/escalation-levels/",
        {"severity": "high", "notify_user": "so@clinic.test", "notify_role": "owner", "ack_minutes": 5},
        format="json",
    )
    assert error_of(both)["fields"] == {
        "notify": ["Name either one person or one role to notify, not both and not neither."]
    }
    zero = client.post(
        f"{BASE}/escalation-levels/", {"severity": "high", "notify_role": "owner", "ack_minutes": 0}, format="json"
    )
    assert error_of(zero)["fields"] == {"ack_minutes": ["Give at least 1 minute to triage."]}
    auditor = client.post(
        f"{BASE}/escalation-levels/",
        {"severity": "high", "notify_user": "auditor@firm.test", "ack_minutes": 5},
        format="json",
    )
    assert error_of(auditor)["fields"] == {"notify_user": ["auditor@firm.test may not triage alerts here."]}
    middle = client.delete(f"{BASE}/escalation-levels/{first.json()['public_id']}/")
    assert error_of(middle)["message"] == "Remove level 2 of the high path first: levels are numbered without gaps."
    assert client.delete(f"{BASE}/escalation-levels/{second.json()['public_id']}/").status_code == 204
    changed = client.put(
        f"{BASE}/escalation-levels/{first.json()['public_id']}/",
        {"notify_role": "owner", "ack_minutes": 45},
        format="json",
    )
    assert (changed.json()["notify_role"], changed.json()["ack_minutes"]) == ("owner", 45)
    assert list(EscalationLevel.objects.values_list("level", "ack_minutes")) == [(1, 45)]
    assert (
        client_as(cast, "auditor").delete(f"{BASE}/escalation-levels/{first.json()['public_id']}/").status_code == 403
    )


def test_alert_list_query_count_is_flat(cast: Cast, django_assert_max_num_queries):
    rule = make_rule(cast.org, "vip_access")
    source = make_source(cast.org)
    client = client_as(cast, "owner")
    make_alert(cast.org, rule, uid="x0", assignee=cast.owner, source=source)
    with django_assert_max_num_queries(12) as few:
        client.get(f"{BASE}/alerts/")
    for n in range(1, 30):
        make_alert(
            cast.org,
            rule,
            uid=f"x{n}",
            assignee=cast.official,
            source=source,
            ack_due_at=timezone.now() - timedelta(hours=n),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"{BASE}/alerts/").json()["count"] == 30
