"""Training API routes: completions, certificates and their verification, the LMS completion import, granting quiz
attempts and the caller's own training (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.training.api import certificates, completions, learning

COMPLETION = "training/completions/<uuid:completion_id>/"

urlpatterns: list[URLPattern] = [
    path("training/me/", learning.MyTrainingView.as_view(), name="training_me"),
    path("training/me/completions/", learning.MyCompletionsView.as_view(), name="training_my_completions"),
    path("training/completions/", completions.CompletionListView.as_view(), name="training_completions"),
    path(COMPLETION, completions.CompletionDetailView.as_view(), name="training_completion"),
    path(
        f"{COMPLETION}certificate",
        completions.CompletionCertificateView.as_view(),
        name="training_completion_certificate",
    ),
    path(
        "training/certificates/verify/",
        certificates.CertificateVerifyView.as_view(),
        name="training_certificate_verify",
    ),
    path(
        "training/completion-imports/",
        completions.CompletionImportUploadView.as_view(),
        name="training_completion_imports",
    ),
    path(
        "training/people/<uuid:person_id>/courses/<uuid:course_id>/grant-attempts/",
        completions.AttemptsGrantView.as_view(),
        name="training_attempts_grant",
    ),
]
