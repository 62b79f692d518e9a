"""Activity review pages: reviews (under /o/<org_slug>/activity/)."""

from django.urls import URLPattern, path

from safeguard.activity import views_reviews as views

urlpatterns: list[URLPattern] = [
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/<uuid:review_id>/", views.review_detail, name="review_detail"),
]
