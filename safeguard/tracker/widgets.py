"""Where domain apps add panels to the admin dashboard: `@dashboard_widget(order=…)` on a function of
(organization, today) returning a Widget, or None when it has nothing to show yet. Widgets must answer in a
handful of queries whatever the organization's size: the dashboard renders them all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from safeguard.core.models import Organization


@dataclass(frozen=True)
class Widget:
    title: str
    template: str  # rendered with the widget's context under "widget"
    context: dict[str, Any] = field(default_factory=dict)
    link: str = ""  # the page with the details


WidgetFunction = Callable[["Organization", date], Widget | None]
_widgets: list[tuple[int, str, WidgetFunction]] = []


def dashboard_widget(*, order: int) -> Callable[[WidgetFunction], WidgetFunction]:
    def register(function: WidgetFunction) -> WidgetFunction:
        name = f"{function.__module__}.{function.__name__}"
        if all(existing != name for _, existing, _ in _widgets):
            _widgets.append((order, name, function))
            _widgets.sort(key=lambda entry: (entry[0], entry[1]))
        return function

    return register


QUERY_BUDGET = 4  # what each widget may spend on the dashboard, whatever the organization's size


def registered_count() -> int:
    return len(_widgets)


def widgets_for(organization: Organization, today: date) -> list[Widget]:
    shown = []
    for _, _, function in _widgets:
        widget = function(organization, today)
        if widget is not None:
            shown.append(widget)
    return shown
