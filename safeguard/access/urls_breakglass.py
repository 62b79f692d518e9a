"""Access pages: the break-glass register (under /o/<org_slug>/access/)."""

from django.urls import URLPattern, path

from safeguard.access import views_breakglass as views

ACCOUNT = "break-glass/<uuid:breakglass_id>/"
USE = "break-glass/uses/<uuid:activation_id>/"

urlpatterns: list[URLPattern] = [
    path("break-glass/", views.breakglass_list, name="breakglass_list"),
    path("break-glass/new/", views.breakglass_create, name="breakglass_create"),
    path(ACCOUNT, views.breakglass_detail, name="breakglass_detail"),
    path(f"{ACCOUNT}edit/", views.breakglass_edit, name="breakglass_edit"),
    path(f"{ACCOUNT}retire/", views.breakglass_deactivate, name="breakglass_deactivate"),
    path(f"{ACCOUNT}reinstate/", views.breakglass_reactivate, name="breakglass_reactivate"),
    path("break-glass/uses/new/", views.activation_create, name="activation_create"),
    path(USE, views.activation_detail, name="activation_detail"),
    path(f"{USE}review/", views.activation_review, name="activation_review"),
    path(f"{USE}sanction/", views.activation_link_sanction, name="activation_link_sanction"),
]
