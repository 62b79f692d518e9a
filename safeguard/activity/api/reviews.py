"""Activity reviews over the API: the list (filtered by state), one review with its period's alert counts, and
signing. The same queries and service as the pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.activity import queries_reviews as queries
from safeguard.activity.access import get_review
from safeguard.activity.models import ActivityReview
from safeguard.activity.services.reviews import review_sign
from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.roles import Perm

TAGS = ["activity reviews"]


class ReviewSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    source = serializers.CharField(source="source.name")  # type: ignore[assignment]  # the log source's name
    source_id = serializers.UUIDField(source="source.public_id")
    period_start = serializers.DateField()
    period_end = serializers.DateField(help_text="Inclusive.")
    due_on = serializers.DateField()
    state = serializers.SerializerMethodField(help_text="signed (on time), late, due or missed.")
    reviewer = serializers.EmailField(source="reviewer.email", allow_null=True, default=None)
    signed_by = serializers.EmailField(source="signed_by.email", allow_null=True, default=None)
    signed_at = serializers.DateTimeField(allow_null=True)
    conclusion = serializers.CharField()
    notes = serializers.CharField()

    def get_state(self, review: ActivityReview) -> str:
        return str(queries.review_state(review, timezone.localdate()))


class ReviewDetailSerializer(ReviewSerializer):
    statistics = serializers.JSONField(help_text="As signed; empty until signed.")
    signature_sha256 = serializers.CharField(source="signature.content_sha256", allow_null=True, default=None)


class ReviewFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=[state.value for state in queries.ReviewState], required=False)


class ReviewSignSerializer(serializers.Serializer):
    conclusion = serializers.ChoiceField(choices=ActivityReview.Conclusion.choices)
    notes = serializers.CharField(required=False, allow_blank=True, help_text="Required when issues were found.")


def _detail(review: ActivityReview) -> dict[str, Any]:
    data = dict(ReviewDetailSerializer(review).data)
    data["alerts"] = queries.alert_counts(queries.period_alerts(review))
    return data


class ReviewListView(ApiView):
    @extend_schema(
        summary="List activity reviews",
        description="Latest period first; state is signed (on time), late, due or missed.",
        parameters=[ReviewFilterSerializer],
        responses={200: ReviewSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        filters = ReviewFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        found = queries.filter_reviews(
            queries.reviews(membership.organization), filters.validated_data.get("state", ""), timezone.localdate()
        ).order_by("-period_start", "source__name", "pk")
        return self.paginated(found, ReviewSerializer)


class ReviewDetailView(ApiView):
    @extend_schema(
        summary="One activity review",
        description="With the statistics as signed and the period's alert counts (total, open, still new).",
        responses={200: ReviewDetailSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, review_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        return Response(_detail(get_review(membership, review_id)))


class ReviewSignView(ApiView):
    @extend_schema(
        summary="Sign an activity review",
        description="Freezes the period's statistics on the review and records a signature (meaning: reviewed). "
        "Needs the triage-alerts permission; a signed review is refused.",
        request=ReviewSignSerializer,
        responses={200: ReviewDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, review_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.TRIAGE_ALERTS)
        review = get_review(membership, review_id, Perm.TRIAGE_ALERTS)
        values = ReviewSignSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        signed = review_sign(
            organization=membership.organization, actor=api_actor(request), review=review, **values.validated_data
        )
        return Response(_detail(signed))
