"""The activity dashboard's figures (hand-computed), the runs pages and API, the settings, widgets; roles and
isolation on each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from safeguard.activity import queries_overview as queries
from safeguard.activity.models import ActivityReview, ActivitySettings, AlertStatus, RuleRun
from safeguard.activity.widgets import high_alerts_widget, review_compliance_widget
from safeguard.core.models import AuditEvent
from safeguard.incidents.models import Incident, IncidentStatus
from tests.activity_factories import make_alert, make_rule, make_source
from tests.conftest import client_for


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_dashboard_figures(cast: Any) -> None:
    today = timezone.localdate()
    now = timezone.now()
    rule = make_rule(cast.org, "vip")
    make_alert(
        cast.org,
        rule,
        severity="high",
        created_at=now - timedelta(hours=3),
        triaged_at=now - timedelta(hours=2),
        status=AlertStatus.TRIAGED,
    )
    make_alert(
        cast.org,
        rule,
        severity="low",
        created_at=now - timedelta(hours=5),
        triaged_at=now - timedelta(hours=2),
        status=AlertStatus.BENIGN,
    )
    incident_open = Incident.objects.create(
        organization=cast.org, reference="INC-1", title="x", severity="high", owner=cast.owner, opened_by=cast.owner
    )
    incident_closed = Incident.objects.create(
        organization=cast.org,
        reference="INC-2",
        title="y",
        severity="high",
        owner=cast.owner,
        opened_by=cast.owner,
        status=IncidentStatus.CLOSED,
    )
    make_alert(cast.org, rule, severity="critical", status=AlertStatus.ESCALATED, incident=incident_open)
    make_alert(cast.org, rule, severity="critical", status=AlertStatus.ESCALATED, incident=incident_closed)
    make_alert(cast.other_org, make_rule(cast.other_org, "vip"), severity="high")
    assert queries.open_by_severity(cast.org) == {"critical": 0, "high": 1, "medium": 0, "low": 0, "informational": 0}
    assert queries.mean_time_to_triage(cast.org, today) == timedelta(hours=2)  # (1 h + 3 h) / 2
    assert queries.open_escalations(cast.org) == 1
    volume = queries.alert_volume(cast.org, today)
    assert len(volume) == 30 and sum(sum(row["counts"].values()) for row in volume) == 4
    assert queries.top_rules(cast.org, today)[0]["count"] == 4


def test_review_compliance_counts_reviews_due_in_90_days(cast: Any) -> None:
    today = timezone.localdate()
    source = make_source(cast.org)

    def add(due_ago: int, signed_after_due: int | None) -> None:
        due = today - timedelta(days=due_ago)
        signed = (
            None
            if signed_after_due is None
            else timezone.make_aware(datetime.combine(due + timedelta(days=signed_after_due), datetime.min.time()))
            + timedelta(hours=10)
        )
        ActivityReview.objects.create(
            organization=cast.org,
            source=source,
            period_start=due - timedelta(days=10 + due_ago),
            period_end=due - timedelta(days=4),
            due_on=due,
            signed_at=signed,
        )

    add(5, 0)
    add(10, -1)
    add(20, 1)
    add(30, None)
    add(100, 0)  # outside
    add(-2, None)  # not due yet
    compliance = queries.review_compliance(cast.org, today)
    assert (compliance.due, compliance.on_time, compliance.percent) == (4, 2, 50)
    widget = review_compliance_widget(cast.org, today)
    assert widget is not None and widget.context == {"due": 4, "on_time": 2, "percent": 50}


def test_high_alerts_widget(cast: Any) -> None:
    today = timezone.localdate()
    assert high_alerts_widget(cast.org, today) is None
    rule = make_rule(cast.org, "vip")
    make_alert(cast.org, rule, severity="high", ack_due_at=timezone.now() - timedelta(minutes=5))
    make_alert(cast.org, rule, severity="critical", status=AlertStatus.TRIAGED)
    make_alert(cast.org, rule, severity="medium")
    widget = high_alerts_widget(cast.org, today)
    assert widget is not None and widget.context == {"open": 2, "overdue": 1}


@pytest.mark.parametrize("who, status", [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_dashboard_roles(cast: Any, who: str, status: int) -> None:
    response = client_for(getattr(cast, who)).get(reverse("activity:home", args=["clinic"]))
    assert response.status_code == status
    if status == 200:
        assert '<svg id="chart-alert-volume"' in response.content.decode()


def make_run(org: Any, **extra: Any) -> RuleRun:
    start = datetime(2026, 1, 5, tzinfo=UTC)
    return RuleRun.objects.create(
        organization=org, trigger="micro", window_start=start, window_end=start + timedelta(hours=1), **extra
    )


def test_runs_list_is_flat_and_detail_shows_stats(cast: Any, django_assert_max_num_queries: Any) -> None:
    run = make_run(
        cast.org, state="done", stats=[{"rule": "vip", "anchors": 3, "candidates": 1, "ms": 7, "shadow": False}]
    )
    client = client_for(cast.auditor)
    url = reverse("activity:run_list", args=["clinic"])
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for _ in range(10):
        make_run(cast.org, requested_by=cast.owner)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
    detail = client.get(reverse("activity:run_detail", args=["clinic", run.public_id])).content.decode()
    assert "<td>vip</td><td>3</td><td>1</td><td>7</td>" in detail


def test_runs_of_another_org_are_404(cast: Any) -> None:
    theirs = make_run(cast.other_org)
    assert (
        client_for(cast.owner).get(reverse("activity:run_detail", args=["clinic", theirs.public_id])).status_code == 404
    )
    assert api(cast.owner).get(f"/api/v1/orgs/clinic/activity/runs/{theirs.public_id}/").status_code == 404
    assert api(cast.owner).get("/api/v1/orgs/clinic/activity/runs/").json()["count"] == 0


@pytest.mark.parametrize("who, status", [("official", 201), ("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_api_manual_run_roles(cast: Any, who: str, status: int) -> None:
    response = api(getattr(cast, who)).post(
        "/api/v1/orgs/clinic/activity/runs/",
        {"start": "2026-01-05T00:00:00Z", "end": "2026-01-06T00:00:00Z"},
        format="json",
    )
    assert response.status_code == status
    assert RuleRun.objects.filter(trigger="manual").count() == (1 if status == 201 else 0)


def test_page_manual_run_is_refused_to_the_auditor(cast: Any) -> None:
    url = reverse("activity:run_list", args=["clinic"])
    assert (
        client_for(cast.auditor).post(url, {"start": "2026-01-05 00:00", "end": "2026-01-06 00:00"}).status_code == 403
    )
    assert client_for(cast.owner).post(url, {"start": "2026-01-06 00:00", "end": "2026-01-05 00:00"}).status_code == 200
    assert not RuleRun.objects.exists()


def test_settings_validate_warn_and_audit(cast: Any) -> None:
    url = "/api/v1/orgs/clinic/activity/settings/"
    bad = api(cast.official).patch(url, {"business_start_hour": 24}, format="json")
    assert bad.status_code == 400
    days = api(cast.official).patch(url, {"business_weekdays": [0, 3]}, format="json")
    assert days.status_code == 400
    ok = api(cast.official).patch(url, {"event_retention_days": 400, "business_weekdays": [5, 1, 1]}, format="json")
    assert ok.status_code == 200
    assert ok.json()["business_weekdays"] == [1, 5]
    assert "less than six years" in ok.json()["warnings"][0]
    saved = ActivitySettings.objects.get(organization=cast.org)
    assert (saved.event_retention_days, saved.business_start_hour) == (400, 7)
    assert AuditEvent.objects.filter(action="activity.settings_changed").count() == 1
    assert api(cast.auditor).get(url).status_code == 403
    assert api(cast.outsider).get(url).status_code == 404


def test_settings_page(cast: Any) -> None:
    url = reverse("activity:settings", args=["clinic"])
    assert client_for(cast.auditor).get(url).status_code == 403
    form = {
        "micro_batch_minutes": 10,
        "nightly_rerun_days": 2,
        "event_retention_days": 2190,
        "raw_retention_days": 365,
        "business_start_hour": 8,
        "business_end_hour": 18,
        "business_weekdays": [1, 2, 3],
    }
    assert client_for(cast.owner).post(url, form).status_code == 302
    assert ActivitySettings.objects.get(organization=cast.org).micro_batch_minutes == 10
    form["raw_retention_days"] = 3000
    response = client_for(cast.owner).post(url, form)
    assert response.status_code == 200 and "cannot be kept longer" in response.content.decode()


def test_overview_api(cast: Any) -> None:
    make_source(cast.org, last_received_at=timezone.now())
    make_source(cast.org, "Okta")
    data = api(cast.auditor).get("/api/v1/orgs/clinic/activity/overview/").json()
    assert (data["sources_receiving"], data["sources_silent"], data["reviews_due"]) == (1, 1, 0)
    assert data["mean_time_to_triage_seconds"] is None
    assert api(cast.workforce).get("/api/v1/orgs/clinic/activity/overview/").status_code == 403
