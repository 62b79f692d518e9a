"""Serving an inventory export, for the page and the API alike: streamed when it is built line by line."""

from __future__ import annotations

from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

from safeguard.risk.services.exports import ExportFile


def export_response(export: ExportFile) -> HttpResponseBase:
    response: HttpResponseBase
    if export.lines is not None:
        response = StreamingHttpResponse(export.lines, content_type=export.content_type)
    else:
        response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}"'
    return response
