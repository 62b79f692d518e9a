"""The dashboard: who sees what, progress figures, next actions, obligations, the trend and "Evaluate now"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Obligation, User
from safeguard.tracker import widgets
from safeguard.tracker.evaluation import tracker_evaluate
from safeguard.tracker.models import Attestation, DailySnapshot, EvaluationRun, Verdict
from safeguard.tracker.services import attestation_record
from tests.conftest import Cast, client_for

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def dashboard_url(slug: str = "clinic") -> str:
    return reverse("tracker:dashboard", args=[slug])


def evaluate_url(slug: str = "clinic") -> str:
    return reverse("tracker:evaluate", args=[slug])


def evaluate(cast: Cast) -> None:
    tracker_evaluate(organization=cast.org, actor=Actor.system("test"))


def add_obligations(cast: Cast, count: int, owner: User | None = None) -> None:
    Obligation.objects.bulk_create(
        Obligation(
            organization=cast.org,
            title=f"Duty {i}",
            owner=owner or cast.official,
            due_on=TODAY + timedelta(days=i % 20 - 5),
            citation="164.308(a)(1)(ii)(A)",
        )
        for i in range(count)
    )


# Who sees it ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status", "marker"),
    [
        ("owner", 200, "compliance dashboard"),
        ("official", 200, "compliance dashboard"),
        ("auditor", 200, "compliance dashboard"),
        ("workforce", 200, "My duties at Riverside Clinic"),
        ("outsider", 404, None),
    ],
)
def test_dashboard_access(cast: Cast, who: str, status: int, marker: str | None) -> None:
    response = client_for(getattr(cast, who)).get(dashboard_url())
    assert response.status_code == status
    if marker:
        assert marker in response.content.decode()


def test_anonymous_is_sent_to_sign_in(cast: Cast) -> None:
    response = client_for(None).get(dashboard_url())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_workforce_member_sees_only_their_own_open_duties(cast: Cast) -> None:
    add_obligations(cast, 2, owner=cast.workforce)
    add_obligations(cast, 1, owner=cast.official)
    Obligation.objects.filter(owner=cast.workforce, title="Duty 1").update(status=Obligation.Status.DONE)
    evaluate(cast)

    body = client_for(cast.workforce).get(dashboard_url()).content.decode()
    assert "Duty 0" in body
    assert "Duty 1" not in body  # done
    assert body.count("<tr>") == 2  # header and the one open duty; not the official's
    assert "Evaluate now" not in body and "Overall progress" not in body


def test_workforce_duties_paginate(cast: Cast) -> None:
    add_obligations(cast, 55, owner=cast.workforce)
    first = client_for(cast.workforce).get(dashboard_url()).content.decode()
    second = client_for(cast.workforce).get(dashboard_url() + "?page=2").content.decode()
    assert first.count("<tr>") == 51 and "Page 1 of 2" in first
    assert second.count("<tr>") == 6


# Contents ---------------------------------------------------------------------------------------------------------


def test_before_any_evaluation_the_page_says_so_and_offers_the_button(cast: Cast) -> None:
    body = client_for(cast.owner).get(dashboard_url()).content.decode()
    assert "No verdicts yet" in body
    assert f'action="{evaluate_url()}"' in body
    auditor_body = client_for(cast.auditor).get(dashboard_url()).content.decode()
    assert "No verdicts yet" in auditor_body
    assert "Evaluate now" not in auditor_body


def test_progress_counts_and_bars_come_from_stored_verdicts(cast: Cast) -> None:
    evaluate(cast)
    body = client_for(cast.auditor).get(dashboard_url()).content.decode()
    assert '<p class="figure">2%</p>' in body  # 1 met of 48 applicable leaves
    assert "Of 53 assessed requirements" in body
    counts = dict(re.findall(r'status-(\w+)">[^<]+</span> (\d+)</a>', body))
    # Not met: among others the five contingency specifications, which need a criticality analysis first.
    assert counts == {"not_met": "13", "unknown": "34", "partially_met": "0", "met": "1", "not_applicable": "5"}
    assert '<title id="safeguards-title">Progress by safeguard</title>' in body
    assert "Administrative (164.308): 5%" in body  # 1 of 22 applicable administrative leaves: 4.5%


def test_next_actions_are_worst_first_and_flag_lapsing_attestations(cast: Cast) -> None:
    attestation_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation="164.310(b)",
        statement="Policy issued.",
        expires_on=TODAY + timedelta(days=12),
        evidence_file=SimpleUploadedFile("policy.txt", b"policy", content_type="text/plain"),
    )
    evaluate(cast)
    body = client_for(cast.owner).get(dashboard_url()).content.decode()
    section = body.split('id="actions-heading"')[1].split("</section>")[0]
    assert section.count('<th scope="row" class="cite">') == 10
    # 45 not met or unknown + 1 met but lapsing within 30 days (the evidence file meets the retention check);
    # not met ranks first, and there are more than ten.
    assert "46 requirements need work" in section
    assert "status-not_met" in section and "status-unknown" not in section
    assert "see all open requirements" in section
    # The lapsing attestation ranks after the not met and unknown ones; with those met, it shows flagged.
    Verdict.objects.filter(organization=cast.org, status__in=["unknown", "not_met"]).update(
        status="met", next_action=""
    )
    body = client_for(cast.owner).get(dashboard_url()).content.decode()
    section = body.split('id="actions-heading"')[1].split("</section>")[0]
    assert "164.310(b)" in section
    assert "lapses in 12 days" in section
    assert "Renew the attestation" in section


def test_obligations_due_soon_or_overdue_are_listed_with_overdue_flagged(cast: Cast) -> None:
    Obligation.objects.create(
        organization=cast.org, title="Late review", owner=cast.official, due_on=TODAY - timedelta(days=2)
    )
    Obligation.objects.create(
        organization=cast.org, title="Soon drill", owner=cast.official, due_on=TODAY + timedelta(days=5)
    )
    Obligation.objects.create(
        organization=cast.org, title="Far audit", owner=cast.official, due_on=TODAY + timedelta(days=90)
    )
    body = client_for(cast.owner).get(dashboard_url()).content.decode()
    section = body.split('id="obligations-heading"')[1].split("</section>")[0]
    assert section.index("Late review") < section.index("Soon drill")
    assert section.count("overdue</span>") == 1
    assert "Far audit" not in section


def test_trend_chart_draws_a_point_per_snapshot_in_the_last_90_days(cast: Cast) -> None:
    for days_ago, percent in [(120, 5.0), (60, 10.0), (30, 20.0), (1, 35.5), (0, 40.0)]:
        DailySnapshot.objects.create(
            organization=cast.org, day=TODAY - timedelta(days=days_ago), overall_percent=percent
        )
    body = client_for(cast.owner).get(dashboard_url()).content.decode()
    svg = body.split('aria-labelledby="trend-title trend-desc"')[1].split("</svg>")[0]
    assert svg.count("<circle") == 4  # the 120-day-old snapshot is outside the window
    assert f"<title>{TODAY:%Y-%m-%d}: 40.0%</title>" in svg
    assert "progress went from 10% to 40%" in svg
    assert ">Date</text>" in svg and ">Progress (%)</text>" in svg
    assert "<polyline" in svg
    assert "<script" not in body


# Evaluate now -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "status"), [("owner", 302), ("official", 302)])
def test_program_managers_can_evaluate_now(
    cast: Cast, who: str, status: int, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(getattr(cast, who)).post(evaluate_url())
    assert response.status_code == status
    assert response["Location"] == dashboard_url()
    run = EvaluationRun.objects.get(organization=cast.org)
    assert run.state == EvaluationRun.State.DONE
    assert Verdict.objects.filter(organization=cast.org).count() == 68
    event = AuditEvent.objects.get(organization=cast.org, action="evaluation.requested")
    assert event.actor == getattr(cast, who)


@pytest.mark.parametrize(("who", "status"), [("auditor", 403), ("workforce", 403), ("outsider", 404), (None, 302)])
def test_others_cannot_evaluate_and_nothing_changes(cast: Cast, who: str | None, status: int) -> None:
    before = AuditEvent.objects.count()
    response = client_for(getattr(cast, who) if who else None).post(evaluate_url())
    assert response.status_code == status
    if who is None:
        assert response["Location"].startswith(reverse("login"))
    assert not EvaluationRun.objects.exists()
    assert AuditEvent.objects.count() == before


def test_outsider_cannot_evaluate_another_org_through_their_own(cast: Cast) -> None:
    response = client_for(cast.outsider).post(evaluate_url("other"))
    assert response.status_code == 302
    assert not EvaluationRun.objects.filter(organization=cast.org).exists()


def test_evaluate_is_post_only(cast: Cast) -> None:
    assert client_for(cast.owner).get(evaluate_url()).status_code == 405
    assert not EvaluationRun.objects.exists()


def test_queued_run_is_shown_and_the_page_refreshes_until_it_finishes(cast: Cast) -> None:
    run = EvaluationRun.objects.create(organization=cast.org, trigger="attestation for 164.310(b)")
    body = client_for(cast.owner).get(dashboard_url()).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in body
    assert "Evaluation queued since" in body
    assert '<button type="submit" disabled>Evaluate now</button>' in body

    EvaluationRun.objects.filter(pk=run.pk).update(state="running", started_at=timezone.now())
    assert "Evaluation running since" in client_for(cast.owner).get(dashboard_url()).content.decode()

    EvaluationRun.objects.filter(pk=run.pk).update(state="done", finished_at=timezone.now())
    evaluate(cast)
    body = client_for(cast.owner).get(dashboard_url()).content.decode()
    assert "http-equiv" not in body
    assert "Last evaluated" in body


def test_a_run_stuck_for_hours_stops_the_refresh_and_says_why(cast: Cast) -> None:
    EvaluationRun.objects.create(organization=cast.org, trigger="x", requested_at=timezone.now() - timedelta(hours=3))
    body = client_for(cast.owner).get(dashboard_url()).content.decode()
    assert "http-equiv" not in body
    assert "the background worker may not be running" in body


def test_failed_run_is_reported(cast: Cast) -> None:
    EvaluationRun.objects.create(
        organization=cast.org, trigger="x", state="failed", finished_at=timezone.now(), error="ValueError: boom"
    )
    assert "The last evaluation failed" in client_for(cast.owner).get(dashboard_url()).content.decode()


# Queries ----------------------------------------------------------------------------------------------------------


def grow(cast: Cast, count: int) -> None:
    add_obligations(cast, count)
    leaf_ids = list(Requirement.objects.leaves().values_list("pk", flat=True))
    Attestation.objects.bulk_create(
        Attestation(
            organization=cast.org,
            requirement_id=leaf_ids[i % len(leaf_ids)],
            statement=f"Statement {i}",
            attested_by=cast.owner,
            expires_on=TODAY + timedelta(days=10 + i),
        )
        for i in range(count)
    )
    for days_ago in range(count):
        DailySnapshot.objects.update_or_create(
            organization=cast.org, day=TODAY - timedelta(days=days_ago + 1), defaults={"overall_percent": 10.0}
        )
    evaluate(cast)


def count_queries(cast: Cast) -> int:
    client = client_for(cast.owner)
    client.get(dashboard_url())  # warm the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(dashboard_url()).status_code == 200
    return len(queries)


def test_dashboard_queries_stay_flat_as_data_grows(cast: Cast) -> None:
    evaluate(cast)
    grow(cast, 3)
    few = count_queries(cast)
    grow(cast, 30)
    assert count_queries(cast) == few
    # The dashboard's own reads, plus what the domain apps' panels may spend (tracker/widgets.py).
    assert few <= 12 + widgets.QUERY_BUDGET * widgets.registered_count()
