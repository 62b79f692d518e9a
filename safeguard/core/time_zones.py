"""The one rule for a time zone name people enter (a log source's, a system's, a campaign's, a roster's): an IANA
name the installed time zone database lists, such as America/New_York or UTC. Each caller words its own refusal."""

from functools import cache
from zoneinfo import available_timezones


@cache
def time_zone_names() -> frozenset[str]:
    # Listing the database reads every zone file's name: a few milliseconds, once per process.
    return frozenset(available_timezones())


def is_time_zone(name: str) -> bool:
    return name in time_zone_names()
