"""Risk pages: reports (the analysis PDF and the register workbook, built in the background)."""

from django.urls import URLPattern, path

from safeguard.risk import views_reports as views

REPORT = "reports/<uuid:report_id>/"

urlpatterns: list[URLPattern] = [
    path("reports/", views.report_list, name="report_list"),
    path("analyses/<uuid:analysis_id>/report/", views.analysis_report, name="analysis_report"),
    path("register/export/", views.register_export, name="register_export"),
    path(REPORT, views.report_detail, name="report_detail"),
    path(f"{REPORT}download", views.report_download, name="report_download"),
]
