"""The audit trail page: who may read it, filters, field-level changes, verification on demand, CSV export."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import AuditEvent, Organization
from safeguard.core.services.organizations import org_update_settings
from tests.audit_tampering import tampering_allowed
from tests.conftest import Cast, client_for


def _record(org: Organization, action: str = "test.event", **extra: object) -> AuditEvent:
    with transaction.atomic():
        return audit_record(actor=Actor.system("test"), action=action, organization=org, **extra)  # type: ignore[arg-type]


def _url(cast: Cast, name: str = "audit_list") -> str:
    return reverse(f"core:{name}", args=[cast.org.slug])


def _csv(response: object) -> list[dict[str, str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode()  # type: ignore[arg-type]
    return list(csv.DictReader(io.StringIO(body)))


MATRIX = [("owner", 200), ("official", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), (None, 302)]


@pytest.mark.parametrize(("who", "expected"), MATRIX)
@pytest.mark.parametrize("name", ["audit_list", "audit_export"])
def test_audit_pages_are_for_audit_viewers(cast: Cast, who: str | None, expected: int, name: str) -> None:
    _record(cast.org)
    before = AuditEvent.objects.count()
    response = client_for(getattr(cast, who) if who else None).get(_url(cast, name))
    assert response.status_code == expected
    if who is None:
        assert response["Location"].startswith(reverse("login"))
    # Viewing writes nothing; an allowed export is itself recorded, a refused one is not.
    exported = name == "audit_export" and expected == 200
    assert AuditEvent.objects.count() == before + (1 if exported else 0)
    if exported:
        event = AuditEvent.objects.get(action="audit.exported")
        assert who is not None and event.actor == getattr(cast, who) and event.changes["events"] == [None, before]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 302), ("auditor", 302), ("workforce", 403), ("outsider", 404), (None, 302)],
)
def test_verify_button_is_for_audit_viewers(cast: Cast, who: str | None, expected: int) -> None:
    _record(cast.org)
    before = AuditEvent.objects.count()
    client = client_for(getattr(cast, who) if who else None)
    response = client.post(_url(cast))
    assert response.status_code == expected
    assert AuditEvent.objects.count() == before
    if who in ("owner", "auditor"):
        assert "Chain verified: 1 event" in client.get(_url(cast)).content.decode()


def test_rows_show_time_actor_ip_action_object_and_changes(cast: Cast) -> None:
    org_update_settings(organization=cast.org, actor=Actor(user=cast.owner, ip="10.1.2.3"), name="Riverside Health")
    page = client_for(cast.auditor).get(_url(cast)).content.decode()
    assert "owner@clinic.test" in page and "10.1.2.3" in page
    assert "organization.settings_changed" in page and "core.organization" in page
    assert "Riverside Clinic</span> → Riverside Health" in page


def test_other_organizations_events_are_not_listed(cast: Cast) -> None:
    _record(cast.org, "mine.event")
    _record(cast.other_org, "theirs.event")
    client = client_for(cast.owner)
    assert "theirs.event" not in client.get(_url(cast)).content.decode()
    rows = _csv(client.get(_url(cast, "audit_export")))
    assert [row["action"] for row in rows] == ["mine.event"]


def test_newest_first_and_paginated_by_fifty(cast: Cast) -> None:
    for number in range(55):
        _record(cast.org, f"bulk.e{number:02d}")
    client = client_for(cast.owner)
    first = client.get(_url(cast))
    assert [row.event.sequence for row in first.context["rows"]][:2] == [55, 54]
    assert len(first.context["rows"]) == 50
    second = client.get(_url(cast) + "?page=2")
    assert [row.event.sequence for row in second.context["rows"]] == [5, 4, 3, 2, 1]


def test_filters_by_action_prefix_actor_type_and_dates(cast: Cast) -> None:
    _record(cast.org, "evidence.uploaded", object_type="core.evidence")
    _record(cast.org, "evidence.deleted", object_type="core.evidence")
    org_update_settings(organization=cast.org, actor=Actor(user=cast.official), name="Renamed")
    client = client_for(cast.owner)

    def actions(query: str) -> list[str]:
        return [row.event.action for row in client.get(_url(cast) + query).context["rows"]]

    assert actions("?action=evidence.") == ["evidence.deleted", "evidence.uploaded"]
    assert actions("?actor=SO@clinic") == ["organization.settings_changed"]
    assert actions("?object_type=core.organization") == ["organization.settings_changed"]
    today = timezone.localdate()
    assert len(actions(f"?date_from={today}&date_to={today}")) == 3
    assert actions(f"?date_from={today + timedelta(days=1)}") == []
    assert actions(f"?date_to={today - timedelta(days=1)}") == []


def test_an_inverted_date_range_is_reported(cast: Cast) -> None:
    today = timezone.localdate()
    response = client_for(cast.owner).get(_url(cast) + f"?date_from={today}&date_to={today - timedelta(days=2)}")
    assert response.context["form"].errors["date_to"] == ["The end date comes before the start date."]


def test_list_query_count_stays_flat(cast: Cast) -> None:
    client = client_for(cast.owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(cast)).status_code == 200
        return len(queries)

    for _ in range(3):
        _record(cast.org, changes={"field": [1, 2]})
    few = count()
    for _ in range(57):
        _record(cast.org, changes={"field": [1, 2]})
    assert count() == few


def test_viewing_the_page_does_not_walk_the_chain(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    _record(cast.org)

    def refuse(organization: Organization) -> None:
        raise AssertionError("verification must run only on demand")

    monkeypatch.setattr("safeguard.core.views.audit.audit_verify_chain", refuse)
    page = client_for(cast.owner).get(_url(cast)).content.decode()
    assert "Not verified yet" in page


def test_verification_result_names_the_broken_link(cast: Cast) -> None:
    for _ in range(3):
        _record(cast.org)
    client = client_for(cast.owner)
    assert "Chain verified: 3 events" in client.post(_url(cast), follow=True).content.decode()
    _record(cast.org)
    assert "1 newer event not yet verified" in client.get(_url(cast)).content.decode()
    with tampering_allowed(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET action = %s WHERE organization_id = %s AND sequence = 2",
            ["forged.event", cast.org.pk],
        )
    page = client.post(_url(cast), follow=True).content.decode()
    assert "BROKEN at #2" in page
    assert "event #2 does not match its hash: its content was edited" in page


def test_csv_export_has_the_documented_columns_in_chain_order(cast: Cast) -> None:
    org_update_settings(organization=cast.org, actor=Actor(user=cast.owner, ip="10.0.0.9"), name="Renamed")
    _record(cast.org, "test.second", object_repr="=HYPERLINK(evil)")
    response = client_for(cast.auditor).get(_url(cast, "audit_export"))
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="audit-{cast.org.slug}-' in response["Content-Disposition"]
    rows = _csv(response)
    assert list(rows[0]) == [
        "sequence",
        "occurred_at",
        "actor",
        "ip",
        "action",
        "object_type",
        "object_id",
        "object",
        "changes",
        "prev_hash",
        "hash",
    ]
    first, second = rows
    event = AuditEvent.objects.get(organization=cast.org, sequence=1)
    assert first["sequence"] == "1" and second["sequence"] == "2"
    assert datetime.fromisoformat(first["occurred_at"]).tzinfo == UTC
    assert datetime.fromisoformat(first["occurred_at"]) == event.occurred_at
    assert (first["actor"], first["ip"], first["action"]) == ("owner@clinic.test", "10.0.0.9", event.action)
    assert (first["object_type"], first["object_id"]) == ("core.organization", str(cast.org.public_id))
    assert json.loads(first["changes"]) == {"name": ["Riverside Clinic", "Renamed"]}
    assert (first["prev_hash"], first["hash"]) == (event.prev_hash, event.hash)
    assert second["prev_hash"] == first["hash"]
    assert second["object"] == "'=HYPERLINK(evil)"  # a spreadsheet must not run it as a formula


def test_the_export_holds_the_chain_as_it_was_when_asked_for(cast: Cast) -> None:
    _record(cast.org)
    rows = _csv(client_for(cast.owner).get(_url(cast, "audit_export")))
    assert [row["action"] for row in rows] == ["test.event"]
    last = AuditEvent.objects.filter(organization=cast.org).order_by("-sequence").first()
    assert last is not None and last.action == "audit.exported"
    assert last.changes["through_sequence"] == [None, 1]


def test_csv_export_applies_the_filters(cast: Cast) -> None:
    _record(cast.org, "evidence.uploaded")
    _record(cast.org, "membership.added")
    rows = _csv(client_for(cast.owner).get(_url(cast, "audit_export") + "?action=membership"))
    assert [row["action"] for row in rows] == ["membership.added"]


def test_csv_export_query_count_stays_flat(cast: Cast) -> None:
    client = client_for(cast.owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert len(_csv(client.get(_url(cast, "audit_export")))) >= 3
        return len(queries)

    for _ in range(3):
        _record(cast.org)
    few = count()
    for _ in range(57):
        _record(cast.org)
    assert count() == few


def test_anonymous_export_redirects_to_sign_in(cast: Cast) -> None:
    response = Client().get(_url(cast, "audit_export"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
