"""Sign-in pages. (Filled in by the authentication work: MFA, recovery codes, lockout page.)"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(request: HttpRequest, credentials: Any = None, *args: Any, **kwargs: Any) -> HttpResponse:
    return render(request, "registration/locked_out.html", status=429)
