"""The contingency home (recovery readiness) and the business associates' recovery pages, under
/o/<org_slug>/contingency/."""

from django.urls import URLPattern, path

from safeguard.contingency import views_overview, views_vendors

urlpatterns: list[URLPattern] = [
    path("", views_overview.readiness_home, name="home"),
    path("vendors/", views_vendors.vendor_list, name="vendor_list"),
    path("vendors/new/", views_vendors.vendor_create, name="vendor_create"),
    path("vendors/<uuid:record_id>/edit/", views_vendors.vendor_edit, name="vendor_edit"),
]
