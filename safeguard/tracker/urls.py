"""Tracker pages under /o/<org_slug>/. Citations travel as they are written: /requirements/164.308(a)(1)/."""

from django.urls import path

from safeguard.tracker import views

app_name = "tracker"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("evaluate/", views.evaluate, name="evaluate"),
    path("requirements/", views.requirements, name="requirements"),
    path("requirements/<str:citation>/", views.requirement, name="requirement"),
    path("requirements/<str:citation>/attestations/", views.attestation_create, name="attestation_create"),
    path("requirements/<str:citation>/decisions/", views.decision_create, name="decision_create"),
    path("attestations/<uuid:public_id>/withdraw/", views.attestation_withdraw_view, name="attestation_withdraw"),
    path("attestations/<uuid:public_id>/evidence/", views.attestation_evidence, name="attestation_evidence"),
    path("decisions/<uuid:public_id>/sign/", views.decision_sign_view, name="decision_sign"),
]
