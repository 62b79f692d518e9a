"""Activity review pages: the reviews list with each period's state and the sources' days without events, and a
review's page (the period's statistics and alerts, and the sign form). Anyone who may view activity reads; those
who may triage alerts sign."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from safeguard.activity import queries_reviews as queries
from safeguard.activity.access import get_review
from safeguard.activity.forms_reviews import ReviewFilterForm, ReviewSignForm
from safeguard.activity.services.reviews import review_sign, review_statement
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50
ALERTS_SHOWN = 50


@org_view(Perm.VIEW_ACTIVITY)
def review_list(request: OrgRequest) -> HttpResponse:
    today = timezone.localdate()
    filters = ReviewFilterForm(request.GET)
    state = filters.cleaned_data["state"] if filters.is_valid() else ""
    found = queries.filter_reviews(queries.reviews(request.org), state, today).order_by("-period_start", "source__name")
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    states = [(review, queries.review_state(review, today)) for review in page.object_list]
    context = {
        "page": page,
        "rows": [{"review": review, "state": s, "label": queries.STATE_LABELS[s]} for review, s in states],
        "filters": filters,
        "gaps": [gap for gap in queries.source_gaps(request.org, today) if gap.days_without],
        "gap_days": queries.GAP_DAYS,
    }
    return render(request, "activity/review_list.html", context)


@org_view(Perm.VIEW_ACTIVITY)
def review_detail(request: OrgRequest, review_id: UUID) -> HttpResponse:
    review = get_review(request.membership, review_id)
    can_sign = request.membership.has(Perm.TRIAGE_ALERTS) and review.signed_at is None
    form = ReviewSignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        review = get_review(request.membership, review_id, Perm.TRIAGE_ALERTS)
        if form.is_valid():
            try:
                review_sign(
                    organization=request.org,
                    actor=Actor.from_request(request),
                    review=review,
                    conclusion=form.cleaned_data["conclusion"],
                    notes=form.cleaned_data["notes"],
                )
            except ServiceError as error:
                show_service_error(form, error)
            else:
                messages.success(request, "Review signed.")
                return redirect("activity:review_detail", request.org.slug, review.public_id)
    alerts = queries.period_alerts(review)
    shown = list(alerts.select_related("rule").order_by("-first_seen", "-pk")[:ALERTS_SHOWN])
    context = {
        "review": review,
        "state": queries.STATE_LABELS[queries.review_state(review, timezone.localdate())],
        "statement": review_statement(review),
        "sections": queries.summary_sections(review.statistics.get("events", {}))
        if review.signed_at
        else queries.summary_sections(queries.period_summary(review)),
        "breakdown": queries.alert_breakdown(alerts),
        "counts": queries.alert_counts(alerts),
        "alerts": [(alert, queries.alert_url(request.org.slug, alert.public_id)) for alert in shown],
        "form": form,
        "can_sign": can_sign,
    }
    return render(request, "activity/review_detail.html", context)
