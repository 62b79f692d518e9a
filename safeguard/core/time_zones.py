"""The one rule for a time zone name people enter (a log source's, a system's, a campaign's, a roster's, a workflow
step's): an IANA name the installed time zone database lists, such as America/New_York or UTC. Each caller words
its own refusal."""

from functools import cache
from zoneinfo import available_timezones

# Listed, but no place: "localtime" is whatever the server is set to, "Factory" a placeholder that reads "-00".
NOT_PLACES = frozenset({"localtime", "Factory"})


@cache
def time_zone_names() -> frozenset[str]:
    # Listing the database reads every zone file's name: a few milliseconds, once per process.
    return frozenset(available_timezones() - NOT_PLACES)


def is_time_zone(name: str) -> bool:
    return name in time_zone_names()


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    """The names as a form's choices, in order (built once: the forms offering them render often)."""
    return [(name, name) for name in sorted(time_zone_names())]
