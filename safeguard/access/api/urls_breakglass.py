"""Access API routes: the break-glass register (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.access.api import breakglass

ACCOUNTS = "break-glass/accounts/"
USES = "break-glass/activations/"
USE = f"{USES}<uuid:activation_id>/"

urlpatterns: list[URLPattern] = [
    path(ACCOUNTS, breakglass.BreakGlassAccountListView.as_view(), name="access_breakglass_accounts"),
    path(
        f"{ACCOUNTS}<uuid:breakglass_id>/",
        breakglass.BreakGlassAccountDetailView.as_view(),
        name="access_breakglass_account",
    ),
    path(USES, breakglass.BreakGlassActivationListView.as_view(), name="access_breakglass_activations"),
    path(USE, breakglass.BreakGlassActivationDetailView.as_view(), name="access_breakglass_activation"),
    path(f"{USE}review/", breakglass.BreakGlassActivationReviewView.as_view(), name="access_breakglass_review"),
    path(f"{USE}sanction/", breakglass.BreakGlassActivationSanctionView.as_view(), name="access_breakglass_sanction"),
]
