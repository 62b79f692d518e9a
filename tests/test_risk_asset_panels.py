"""The asset page's extension point: apps register panels that the page renders in their order; a panel that
answers None shows nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from safeguard.core.models import Membership
from safeguard.risk import asset_panels
from safeguard.risk.asset_panels import AssetPanel, asset_panel, panels_for
from safeguard.risk.models import Asset
from tests.risk_factories import asset


@pytest.fixture
def only_these_panels(monkeypatch) -> Iterator[None]:
    monkeypatch.setattr(asset_panels, "_panels", [])
    yield


def second(membership: Membership, target: Asset) -> AssetPanel | None:
    return AssetPanel("second.html", {"name": target.name})


def first(membership: Membership, target: Asset) -> AssetPanel | None:
    return AssetPanel("first.html")


def silent(membership: Membership, target: Asset) -> AssetPanel | None:
    return None


@pytest.mark.django_db
def test_panels_come_in_their_order_and_none_is_left_out(cast, only_these_panels):
    asset_panel(order=20)(second)
    asset_panel(order=10)(first)
    asset_panel(order=15)(silent)
    asset_panel(order=20)(second)  # registering again (a module imported twice) adds nothing
    membership = Membership.objects.get(user=cast.owner)
    shown = panels_for(membership, asset(cast.org, "EHR", since=cast.owner.date_joined.date()))
    assert shown == [AssetPanel("first.html"), AssetPanel("second.html", {"name": "EHR"})]
