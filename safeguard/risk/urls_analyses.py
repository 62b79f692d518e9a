"""Risk pages: the method, the threat/vulnerability library, analyses, and recording or assessing risks."""

from django.urls import URLPattern, path

from safeguard.risk import views_analyses as analyses
from safeguard.risk import views_library as library

urlpatterns: list[URLPattern] = [
    path("method/", library.method_edit, name="method_edit"),
    path("library/", library.library, name="library"),
    path("library/seed/", library.library_seed, name="library_seed"),
    path("library/threats/new/", library.threat_create, name="threat_create"),
    path("library/threats/<uuid:threat_id>/", library.threat_edit, name="threat_edit"),
    path("library/vulnerabilities/new/", library.vulnerability_create, name="vulnerability_create"),
    path("library/vulnerabilities/<uuid:vulnerability_id>/", library.vulnerability_edit, name="vulnerability_edit"),
    path("analyses/", analyses.analysis_list, name="analysis_list"),
    path("analyses/new/", analyses.analysis_start, name="analysis_start"),
    path("analyses/<uuid:analysis_id>/", analyses.analysis_detail, name="analysis_detail"),
    path("analyses/<uuid:analysis_id>/edit/", analyses.analysis_edit, name="analysis_edit"),
    path("analyses/<uuid:analysis_id>/scope/", analyses.analysis_scope, name="analysis_scope"),
    path("analyses/<uuid:analysis_id>/submit/", analyses.analysis_submit, name="analysis_submit"),
    path("analyses/<uuid:analysis_id>/return/", analyses.analysis_return, name="analysis_return"),
    path("analyses/<uuid:analysis_id>/approve/", analyses.analysis_approve, name="analysis_approve"),
    path("risks/new/", analyses.risk_create_view, name="risk_create"),
    path("risks/<uuid:risk_id>/assess/", analyses.risk_assess_view, name="risk_assess"),
]
