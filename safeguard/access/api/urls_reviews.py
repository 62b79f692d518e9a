"""Access API routes: reviews (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.access.api import reviews

REVIEW = "reviews/<uuid:review_id>/"
ITEM = f"{REVIEW}items/<uuid:item_id>/"

urlpatterns: list[URLPattern] = [
    path("reviews/", reviews.ReviewListView.as_view(), name="access_reviews"),
    path("reviews/revocations/", reviews.RevocationListView.as_view(), name="access_review_revocations"),
    path(REVIEW, reviews.ReviewDetailView.as_view(), name="access_review"),
    path(f"{REVIEW}close/", reviews.ReviewCloseView.as_view(), name="access_review_close"),
    path(f"{REVIEW}package/", reviews.ReviewPackageView.as_view(), name="access_review_package"),
    path(f"{REVIEW}decide/", reviews.ReviewBulkDecideView.as_view(), name="access_review_decide"),
    path(f"{REVIEW}attest/", reviews.ReviewAttestView.as_view(), name="access_review_attest"),
    path(f"{REVIEW}items/", reviews.ReviewItemListView.as_view(), name="access_review_items"),
    path(ITEM, reviews.ReviewItemDetailView.as_view(), name="access_review_item"),
    path(f"{ITEM}decide/", reviews.ReviewItemDecideView.as_view(), name="access_review_item_decide"),
    path(f"{ITEM}revoked/", reviews.ReviewItemRevokedView.as_view(), name="access_review_item_revoked"),
]
