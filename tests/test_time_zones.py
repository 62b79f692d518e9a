"""One rule for a time zone name people enter: every place that takes one accepts and refuses the same names."""

from __future__ import annotations

import pytest

from safeguard.access.services.systems import time_zone_error as system_problem
from safeguard.activity.services.sources import check_time_zone
from safeguard.core.imports import ImportRefused
from safeguard.core.services.errors import ServiceError
from safeguard.core.time_zones import is_time_zone
from safeguard.training.phishing_options import zone_name
from safeguard.workforce.forms_workflows import read_moment
from safeguard.workforce.services.roster import time_zone_error as roster_problem

GOOD = ["America/New_York", "Australia/Lord_Howe", "UTC", "Europe/Kyiv"]
# The first three load in ZoneInfo but are not in the database's list (the rule some places used to follow);
# localtime is listed but means the server's zone.
BAD = ["posixrules", "right/UTC", "posix/America/New_York", "localtime", "Factory", "Mars/Olympus_Mons"]
BAD += ["america/new_york", "../etc/passwd", "/usr/share/zoneinfo/UTC", "UTC ", "EST5EDT,M3"]


def _source_accepts(name: str) -> bool:
    try:
        check_time_zone(name)
    except ServiceError:
        return False
    return True


def _campaign_accepts(name: str) -> bool:
    try:
        zone_name(name)
    except ImportRefused:
        return False
    return True


def _workflow_accepts(name: str) -> bool:
    try:
        read_moment("2026-03-02 10:00", name)
    except ValueError:
        return False
    return True


ACCEPTS = {
    "log source": _source_accepts,
    "workflow step": _workflow_accepts,
    "system": lambda name: not system_problem(name),
    "roster": lambda name: not roster_problem(name),
    "phishing campaign": _campaign_accepts,
}


@pytest.mark.parametrize("name", GOOD + BAD)
@pytest.mark.parametrize("place", ACCEPTS)
def test_every_place_takes_the_same_names(place: str, name: str) -> None:
    # The log source and phishing checks strip what they are given; the others are handed stripped names.
    expected = is_time_zone(name.strip()) if place in ("log source", "phishing campaign") else is_time_zone(name)
    assert ACCEPTS[place](name) is expected


def test_the_rule() -> None:
    assert all(is_time_zone(name) for name in GOOD)
    assert not any(is_time_zone(name) for name in BAD)
    assert not is_time_zone("")
