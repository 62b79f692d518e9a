"""Access pages: reviews (under /o/<org_slug>/access/)."""

from django.urls import URLPattern, path

from safeguard.access import views_reviews as views

REVIEW = "reviews/<uuid:review_id>/"
ITEM = f"{REVIEW}items/<uuid:item_id>/"

urlpatterns: list[URLPattern] = [
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/start/", views.review_start, name="review_start"),
    path("reviews/revocations/", views.revocation_list, name="revocation_list"),
    path("reviews/revocations/<uuid:item_id>/done/", views.revocation_done, name="revocation_done"),
    path(REVIEW, views.review_detail, name="review_detail"),
    path(f"{REVIEW}close/", views.review_close, name="review_close"),
    path(f"{REVIEW}package/", views.review_package, name="review_package"),
    path(f"{REVIEW}mine/", views.review_mine, name="review_mine"),
    path(f"{REVIEW}mine/decide/", views.review_bulk, name="review_bulk"),
    path(f"{REVIEW}attest/", views.review_attest, name="review_attest"),
    path(ITEM, views.review_item, name="review_item"),
    path(f"{ITEM}reassign/", views.review_item_reassign, name="review_item_reassign"),
]
