"""Reading events for the events page and API: the organization's store, searched lazily so Django's and DRF's
paginators ask it for exactly one page, with each event's log source attached from the main database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, overload

from django.utils import timezone

from safeguard.activity import store as event_store
from safeguard.activity.models import LogSource
from safeguard.core.models import Organization

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class EventFilters:
    source: LogSource | None = None
    user: str = ""
    patient: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def window(self) -> tuple[datetime, datetime]:
        """[from's midnight, the day after to's midnight) in the installation's zone; open ends: all time."""
        zone = timezone.get_default_timezone()
        start = datetime.combine(self.date_from, time.min, zone) if self.date_from else EARLIEST
        end = datetime.combine(self.date_to + timedelta(days=1), time.min, zone) if self.date_to else LATEST
        return start, end


def sources_by_id(organization: Organization) -> dict[int, LogSource]:
    return {source.pk: source for source in LogSource.objects.filter(organization=organization)}


def with_sources(rows: list[dict[str, Any]], sources: dict[int, LogSource]) -> list[dict[str, Any]]:
    """Each event with `source` (its LogSource, or None once the source is gone) in place of the integer id."""
    return [{**row, "source": sources.get(row["source_id"])} for row in rows]


class EventSearch(Sequence[dict[str, Any]]):
    """The matching events as a sliceable sequence of known length: the paginators take its len() and then slice
    one page, and each becomes one store search (the first also fetches the page it expects to be asked for)."""

    def __init__(self, organization: Organization, filters: EventFilters, *, expect: slice) -> None:
        self.organization = organization
        self.filters = filters
        self.expect = expect
        self._pages: dict[int, tuple[int, list[dict[str, Any]]]] = {}  # offset → (limit asked, rows)
        self._total: int | None = None
        self._sources: dict[int, LogSource] | None = None

    def _fetch(self, offset: int, limit: int) -> list[dict[str, Any]]:
        cached = self._pages.get(offset)
        if cached is not None and cached[0] >= limit:
            return cached[1][:limit]
        start, end = self.filters.window()
        rows, self._total = event_store.store_for(self.organization.pk).search(
            start=start,
            end=end,
            source_id=self.filters.source.pk if self.filters.source else None,
            user=self.filters.user or None,
            patient=self.filters.patient or None,
            offset=offset,
            limit=limit,
        )
        if self._sources is None:
            self._sources = sources_by_id(self.organization)
        self._pages[offset] = (limit, with_sources(rows, self._sources))
        return self._pages[offset][1]

    def total(self) -> int:
        if self._total is None:
            self._fetch(self.expect.start or 0, (self.expect.stop or 0) - (self.expect.start or 0))
        return self._total or 0

    def __len__(self) -> int:
        return self.total()

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if not isinstance(index, slice):
            if not 0 <= index < self.total():
                raise IndexError(index)
            return self._fetch(index, 1)[0]
        offset = index.start or 0
        stop = min(index.stop if index.stop is not None else self.total(), self.total())
        return self._fetch(offset, max(stop - offset, 0))


def expected_page(number: str | None, per_page: int) -> slice:
    """The slice a paginator will ask for, given the page number in the request (first page when unreadable)."""
    try:
        page = max(int(number or 1), 1)
    except ValueError:
        page = 1
    return slice((page - 1) * per_page, page * per_page)


def events_with_uid(organization: Organization, uid: str, source: LogSource | None = None) -> list[dict[str, Any]]:
    """The organization's events with this uid (one per source that sent it), raw line included."""
    rows = event_store.store_for(organization.pk).events([uid], limit=100)
    if source is not None:
        rows = [row for row in rows if row["source_id"] == source.pk]
    return with_sources(rows, sources_by_id(organization))
