"""Risk API routes: reports (included under /api/v1/orgs/<org_slug>/ in the api namespace)."""

from django.urls import URLPattern, path

from safeguard.risk.api import reports

REPORT = "reports/<uuid:report_id>/"

urlpatterns: list[URLPattern] = [
    path("reports/", reports.ReportListView.as_view(), name="risk_reports"),
    path(REPORT, reports.ReportDetailView.as_view(), name="risk_report"),
    path(f"{REPORT}download", reports.ReportDownloadView.as_view(), name="risk_report_download"),
]
