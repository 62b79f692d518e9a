"""Activity review API routes: reviews (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.activity.api import reviews

REVIEW = "activity/reviews/<uuid:review_id>/"

urlpatterns: list[URLPattern] = [
    path("activity/reviews/", reviews.ReviewListView.as_view(), name="activity_reviews"),
    path(REVIEW, reviews.ReviewDetailView.as_view(), name="activity_review"),
    path(f"{REVIEW}sign/", reviews.ReviewSignView.as_view(), name="activity_review_sign"),
]
