"""Organization pages of the core, under /o/<org_slug>/; each area keeps its routes in its own module."""

from safeguard.core import urls_administration, urls_evidence, urls_imports, urls_obligations

app_name = "core"
urlpatterns = [
    *urls_evidence.urlpatterns,
    *urls_obligations.urlpatterns,
    *urls_administration.urlpatterns,
    *urls_imports.urlpatterns,
]
