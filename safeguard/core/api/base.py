"""What every organization endpoint shares: pagination, throttling, and naming service errors by API field."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db.models import QuerySet
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from safeguard.core.api_pagination import Pagination
from safeguard.core.services.errors import ServiceError


class ApiView(APIView):
    """Access is not here on purpose: each method names its permission through api_membership()."""

    pagination_class = Pagination  # read by drf-spectacular to describe list responses
    throttle_classes = [UserRateThrottle]  # noqa: RUF012

    def paginate(self, items: QuerySet[Any] | Sequence[Any]) -> tuple[Pagination, list[Any]]:
        paginator = Pagination()
        page = paginator.paginate_queryset(items, self.request, view=self)
        return paginator, list(page or [])

    def paginated(self, items: QuerySet[Any] | Sequence[Any], serializer_class: type[Any]) -> Response:
        paginator, page = self.paginate(items)
        return paginator.get_paginated_response(serializer_class(page, many=True).data)


@contextmanager
def api_field_names(renamed: Mapping[str, str]) -> Iterator[None]:
    """Report a service's field under the name the API uses for it (e.g. the service's 'file' is 'evidence_file')."""
    try:
        yield
    except ServiceError as exc:
        if exc.field is not None and exc.field in renamed:
            raise ServiceError(exc.message, field=renamed[exc.field]) from exc
        raise
