"""The dashboard's access review panels: campaigns under way with their progress, and findings by kind."""

from __future__ import annotations

from datetime import timedelta

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from safeguard.access.models import AccessSettings, Classification, ReviewCampaign, ReviewItem
from safeguard.access.widgets_reviews import access_reviews, open_findings
from safeguard.tracker.widgets import Widget
from tests import access_factories as make
from tests.conftest import Cast
from tests.test_reviews_campaigns_support import TODAY, ago, ehr_with, start

Status = ReviewCampaign.Status


def rendered(widget: Widget) -> str:
    return " ".join(render_to_string(widget.template, {"widget": widget.context}).split())


def decide(campaign: ReviewCampaign, count: int) -> None:
    """What the decision service leaves behind: items decided and the campaign's count."""
    pks = list(ReviewItem.objects.filter(campaign=campaign).values_list("pk", flat=True)[:count])
    ReviewItem.objects.filter(pk__in=pks).update(decision=ReviewItem.Decision.KEEP)
    ReviewCampaign.objects.filter(pk=campaign.pk).update(decided_count=count)


def test_nothing_to_show_without_systems_or_campaigns(cast: Cast) -> None:
    assert access_reviews(cast.org, TODAY) is None
    assert open_findings(cast.org, TODAY) is None


def test_systems_but_no_review_yet_says_so(cast: Cast) -> None:
    make.system(cast.org, "EHR")
    widget = access_reviews(cast.org, TODAY)
    assert widget is not None and rendered(widget) == "<p>No access review has been run yet.</p>"


def test_open_campaigns_show_decided_of_total_and_days_to_due(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": f"u{n}"} for n in range(4)])
    campaign = start(cast.org, cast.owner, due_on=TODAY + timedelta(days=5), title="Q3 review")
    decide(campaign, 1)
    start(cast.org, cast.owner, prepare=False, due_on=TODAY + timedelta(days=9), title="Billing review")
    widget = access_reviews(cast.org, TODAY)
    assert widget is not None and widget.title == "Access reviews"
    assert widget.link == reverse("access:review_list", args=[cast.org.slug])
    rows = widget.context["rows"]
    assert [(row["title"], row["decided"], row["total"], row["days_left"]) for row in rows] == [
        ("Q3 review", 1, 4, 5),
        ("Billing review", 0, 0, 9),
    ]
    html = rendered(widget)
    assert '1 of 4 <span class="muted">(25%)</span>' in html
    assert "in 5 days" in html
    assert "preparing (0%)" in html


def test_an_overdue_campaign_is_flagged(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": "u"}])
    start(cast.org, cast.owner, due_on=TODAY + timedelta(days=1))
    widget = access_reviews(cast.org, TODAY + timedelta(days=3))
    assert widget is not None and '<span class="flag">2 days overdue</span>' in rendered(widget)


def test_with_none_open_the_last_closed_and_the_next_due_are_shown(cast: Cast) -> None:
    AccessSettings.objects.create(organization=cast.org, review_interval_days=90)
    ehr_with(cast.org, [{"username": "u"}])
    campaign = start(cast.org, cast.owner, title="Spring review")
    ReviewCampaign.objects.filter(pk=campaign.pk).update(status=Status.CLOSED, closed_at=timezone.now())
    widget = access_reviews(cast.org, TODAY)
    assert widget is not None
    assert rendered(widget) == (
        f"<p>No review is open. The last, Spring review, closed on {TODAY:%Y-%m-%d}; the next is due by "
        f"{TODAY + timedelta(days=90):%Y-%m-%d}.</p>"
    )


def test_findings_by_kind_of_the_open_campaign(cast: Cast) -> None:
    ehr_with(
        cast.org,
        [
            {"username": "a"},
            {"username": "b", "last_login_at": ago(300)},
            {"username": "c", "classification": Classification.SHARED},
        ],
    )
    campaign = start(cast.org, cast.owner, title="Q3 review")
    ReviewItem.objects.filter(campaign=campaign, username="a").update(decision=ReviewItem.Decision.REVOKE)
    widget = open_findings(cast.org, TODAY)
    assert widget is not None and widget.title == "Open findings"
    assert [(kind.kind, kind.total, kind.open) for kind in widget.context["kinds"]] == [
        ("orphan", 2, 1),
        ("inactive", 1, 1),
        ("shared_no_owner", 1, 1),
    ]
    html = rendered(widget)
    assert "Q3 review: 4 findings, 3 on accounts not decided yet." in html
    assert '<th scope="row">Orphan account</th><td><strong>1</strong></td><td>2</td>' in html


def test_the_last_closed_campaign_when_none_is_open(cast: Cast) -> None:
    ehr_with(cast.org, [{"username": "a"}])
    closed = start(cast.org, cast.owner, title="Spring review")
    ReviewCampaign.objects.filter(pk=closed.pk).update(status=Status.CLOSED, closed_at=timezone.now())
    start(cast.org, cast.owner, prepare=False, title="Still preparing")
    widget = open_findings(cast.org, TODAY)
    assert widget is not None and widget.context["campaign"] == {"title": "Spring review", "closed": True}
    assert "Spring review (closed): 1 finding," in rendered(widget)


def test_the_panels_take_a_handful_of_queries_whatever_the_size(cast: Cast, django_assert_max_num_queries) -> None:
    ehr_with(cast.org, [{"username": f"u{n}", "last_login_at": ago(200)} for n in range(30)])
    for n in range(5):
        start(cast.org, cast.owner, title=f"Review {n}")
    with django_assert_max_num_queries(3):
        access_reviews(cast.org, TODAY)
    with django_assert_max_num_queries(3):
        open_findings(cast.org, TODAY)
