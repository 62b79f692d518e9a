"""Alert pages: who sees and acts, another organization's alerts not found, evidence behind view-events, triage
and escalation through the forms, suppressions and escalation paths, flat query counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from safeguard.activity.models import Alert, AlertStatus, EscalationLevel, Suppression
from safeguard.core.models import AuditEvent
from safeguard.incidents.models import Incident
from tests.activity_factories import make_alert, make_rule, make_source
from tests.conftest import Cast, client_for

BASE = "/o/clinic/activity"


class FakeStore:
    def events(self, uids: list[str], *, limit: int = 1000) -> list[dict[str, Any]]:
        return [{"event_uid": uid, "user_name": "jdoe", "patient_id": "MRN-7", "activity": "read"} for uid in uids]

    def export(self, uids: list[str]) -> Iterator[bytes]:
        for uid in uids:
            yield f'{{"event_uid": "{uid}"}}\n'.encode()


@pytest.fixture(autouse=True)
def fake_store(monkeypatch):
    monkeypatch.setattr("safeguard.activity.store.store_for", lambda organization_id: FakeStore())


@pytest.fixture
def alert(cast: Cast) -> Alert:
    rule = make_rule(cast.org, "vip_access", title="VIP record opened")
    return make_alert(cast.org, rule, uid="a", evidence_uids=["e1"], evidence_count=1)


def test_roles_on_the_read_pages(cast: Cast, alert: Alert):
    paths = [f"{BASE}/alerts/", f"{BASE}/alerts/{alert.public_id}/", f"{BASE}/suppressions/", f"{BASE}/escalation/"]
    for user, expected in ((cast.owner, 200), (cast.auditor, 200), (cast.workforce, 403), (cast.outsider, 404)):
        client = client_for(user)
        assert {p: client.get(p).status_code for p in paths} == dict.fromkeys(paths, expected), user.email
    assert client_for(cast.auditor).get(f"{BASE}/alerts/mine/").status_code == 403


def test_evidence_is_shown_only_with_view_events(cast: Cast, alert: Alert):
    page = client_for(cast.owner).get(f"{BASE}/alerts/{alert.public_id}/").content.decode()
    assert "MRN-7" in page
    audited = client_for(cast.auditor).get(f"{BASE}/alerts/{alert.public_id}/").content.decode()
    assert "MRN-7" not in audited
    assert "your role does not allow viewing events" in audited
    for suffix in ("evidence.ndjson", "evidence.csv"):
        assert client_for(cast.auditor).get(f"{BASE}/alerts/{alert.public_id}/{suffix}").status_code == 403
    ndjson = client_for(cast.owner).get(f"{BASE}/alerts/{alert.public_id}/evidence.ndjson")
    assert ndjson.getvalue() == b'{"event_uid": "e1"}\n'
    csv_text = client_for(cast.owner).get(f"{BASE}/alerts/{alert.public_id}/evidence.csv").content.decode()
    header, row = csv_text.splitlines()[:2]
    assert header.split(",")[:5] == ["time", "event_class", "activity", "outcome", "user_name"]
    assert row.split(",")[2] == "read"
    assert "MRN-7" in row


def test_another_organizations_alert_is_not_found(cast: Cast):
    theirs = make_alert(cast.other_org, make_rule(cast.other_org, "vip_access"))
    client = client_for(cast.owner)
    assert client.get(f"{BASE}/alerts/{theirs.public_id}/").status_code == 404
    assert client.post(f"{BASE}/alerts/{theirs.public_id}/triage/", {"status": "triaged"}).status_code == 404
    assert client.get(f"{BASE}/alerts/{theirs.public_id}/evidence.csv").status_code == 404
    client.post(f"{BASE}/alerts/bulk/", {"selected": [str(theirs.public_id)], "status": "triaged"})
    theirs.refresh_from_db()
    assert theirs.status == AlertStatus.NEW


def test_auditor_cannot_triage(cast: Cast, alert: Alert):
    before = AuditEvent.objects.count()
    client = client_for(cast.auditor)
    assert client.post(f"{BASE}/alerts/{alert.public_id}/triage/", {"status": "triaged"}).status_code == 403
    assert client.get(f"{BASE}/alerts/{alert.public_id}/escalate/").status_code == 403
    assert client.post(f"{BASE}/alerts/bulk/", {"selected": [str(alert.public_id)]}).status_code == 403
    alert.refresh_from_db()
    assert alert.status == AlertStatus.NEW
    assert AuditEvent.objects.count() == before


def test_triage_form_and_refusal_message(cast: Cast, alert: Alert):
    client = client_for(cast.owner)
    response = client.post(f"{BASE}/alerts/{alert.public_id}/triage/", {"status": "benign"}, follow=True)
    assert "Say why the alert is benign true positive: a comment is required." in response.content.decode()
    client.post(f"{BASE}/alerts/{alert.public_id}/triage/", {"status": "triaged", "assignee": cast.official.pk})
    alert.refresh_from_db()
    assert (alert.status, alert.assignee) == ("triaged", cast.official)


def test_bulk_form_triages_the_selected(cast: Cast, alert: Alert):
    other = make_alert(cast.org, alert.rule, uid="b")
    untouched = make_alert(cast.org, alert.rule, uid="c")
    body = {"selected": [str(alert.public_id), str(other.public_id)], "status": "false_positive", "comment": "Drill"}
    client_for(cast.owner).post(f"{BASE}/alerts/bulk/", body)
    assert dict(Alert.objects.values_list("uid", "status")) == {
        "a": "false_positive",
        "b": "false_positive",
        "c": "new",
    }
    assert untouched.notes.count() == 0


def test_escalate_page_opens_an_incident(cast: Cast, alert: Alert):
    response = client_for(cast.owner).post(
        f"{BASE}/alerts/{alert.public_id}/escalate/",
        {"comment": "Looked at a VIP chart", "owner": cast.official.pk, "severity": "high"},
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/o/clinic/incidents/{incident.public_id}/"
    alert.refresh_from_db()
    assert alert.incident == incident
    page = client_for(cast.owner).get(response["Location"]).content.decode()
    assert incident.reference in page
    assert "VIP record opened" in page


def test_suppression_page_prefills_and_creates(cast: Cast, alert: Alert):
    client = client_for(cast.official)
    page = client.get(f"{BASE}/suppressions/?rule=vip_access&group_text=user_name%3Djdoe").content.decode()
    assert 'value="user_name=jdoe"' in page
    client.post(f"{BASE}/suppressions/", {"rule": "vip_access", "group_text": "user_name=jdoe", "reason": "Audit"})
    suppression = Suppression.objects.get()
    assert suppression.rule == alert.rule
    assert (
        client_for(cast.auditor).post(f"{BASE}/suppressions/", {"rule": "vip_access", "reason": "x"}).status_code == 403
    )
    assert client_for(cast.auditor).post(f"{BASE}/suppressions/{suppression.public_id}/revoke/").status_code == 403
    client.post(f"{BASE}/suppressions/{suppression.public_id}/revoke/")
    suppression.refresh_from_db()
    assert suppression.revoked_by == cast.official


def test_escalation_page_adds_edits_and_removes_levels(cast: Cast):
    client = client_for(cast.owner)
    client.post(f"{BASE}/escalation/", {"severity": "critical", "notify_role": "security_official", "ack_minutes": 15})
    step = EscalationLevel.objects.get()
    assert (step.level, step.notify_role) == (1, "security_official")
    client.post(f"{BASE}/escalation/{step.public_id}/", {"notify_user": cast.official.pk, "ack_minutes": 20})
    step.refresh_from_db()
    assert (step.notify_user, step.notify_role, step.ack_minutes) == (cast.official, "", 20)
    assert client_for(cast.auditor).post(f"{BASE}/escalation/{step.public_id}/delete/").status_code == 403
    assert client_for(cast.outsider).post(f"{BASE}/escalation/{step.public_id}/delete/").status_code == 404
    client.post(f"{BASE}/escalation/{step.public_id}/delete/")
    assert not EscalationLevel.objects.exists()


def test_list_shows_overdue_and_keeps_queries_flat(cast: Cast, django_assert_max_num_queries):
    rule = make_rule(cast.org, "vip_access")
    source = make_source(cast.org)
    client = client_for(cast.owner)
    make_alert(cast.org, rule, uid="x0", assignee=cast.owner, source=source)
    with django_assert_max_num_queries(40) as few:
        assert "overdue" not in client.get(f"{BASE}/alerts/").content.decode()
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
        page = client.get(f"{BASE}/alerts/").content.decode()
    assert page.count("overdue</strong>") == 29


def test_evidence_csv_cells_are_never_read_as_formulas(cast: Cast, alert: Alert, monkeypatch) -> None:
    class HostileStore(FakeStore):
        def events(self, uids: list[str], *, limit: int = 1000) -> list[dict[str, Any]]:
            return [{"event_uid": "e1", "user_name": '=HYPERLINK("http://x.test","go")', "activity": "-read"}]

    monkeypatch.setattr("safeguard.activity.store.store_for", lambda organization_id: HostileStore())
    csv_text = client_for(cast.owner).get(f"{BASE}/alerts/{alert.public_id}/evidence.csv").content.decode()
    row = csv_text.splitlines()[1]
    assert "'=HYPERLINK" in row and ",'-read," in row
