"""Where other apps add sections to the asset page: `@asset_panel(order=…)` on a function of (membership, asset)
returning an AssetPanel, or None when it has nothing to show that member. The apps that build on risk register
here when they load, so risk never imports them. The page already requires VIEW_PROGRAM; a panel that needs
more checks it itself. Each panel must answer in a fixed number of queries: the page renders them all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from safeguard.core.models import Membership
    from safeguard.risk.models import Asset


@dataclass(frozen=True)
class AssetPanel:
    template: str  # rendered with the panel's context under "panel"
    context: dict[str, Any] = field(default_factory=dict)


PanelFunction = Callable[["Membership", "Asset"], AssetPanel | None]
_panels: list[tuple[int, str, PanelFunction]] = []


def asset_panel(*, order: int) -> Callable[[PanelFunction], PanelFunction]:
    def register(function: PanelFunction) -> PanelFunction:
        name = f"{function.__module__}.{function.__name__}"
        if all(existing != name for _, existing, _ in _panels):
            _panels.append((order, name, function))
            _panels.sort(key=lambda entry: (entry[0], entry[1]))
        return function

    return register


def panels_for(membership: Membership, asset: Asset) -> list[AssetPanel]:
    shown = []
    for _, _, function in _panels:
        panel = function(membership, asset)
        if panel is not None:
            shown.append(panel)
    return shown
