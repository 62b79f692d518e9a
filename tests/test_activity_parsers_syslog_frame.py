"""Syslog headers: RFC 5424 fields and structured data, RFC 3164 with and without PRI, and the year rule."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from safeguard.activity.parsers.syslog_frame import (
    FrameError,
    YearReference,
    parse_line,
    parse_structured_data,
)

NEW_YORK = ZoneInfo("America/New_York")


def _years(now: datetime) -> YearReference:
    return YearReference(now=now)


def test_rfc5424_header_fields_and_priority():
    line = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 77 ID47 - An application event"
    message = parse_line(line, NEW_YORK, _years(datetime(2024, 1, 1, tzinfo=UTC)))
    assert message.time == datetime(2003, 10, 11, 22, 14, 15, 3000, tzinfo=UTC)
    assert (message.host, message.app, message.procid, message.msgid) == (
        "mymachine.example.com",
        "evntslog",
        "77",
        "ID47",
    )
    assert (message.facility, message.severity) == (20, 5)
    assert message.msg == "An application event"
    assert message.structured == {}


def test_rfc5424_nil_values_and_bom():
    message = parse_line("<14>1 2024-03-04T10:00:00+01:00 - - - - - \ufeffhello", NEW_YORK, _years(datetime.now(UTC)))
    assert (message.host, message.app, message.procid, message.msgid, message.msg) == (None, None, None, None, "hello")
    assert message.time == datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


def test_structured_data_escapes_quote_backslash_and_bracket():
    elements, rest = parse_structured_data(
        r'[exampleSDID@32473 iut="3" eventSource="Application" note="a \"quoted\" \]bracket\\ end \n"]'
        r'[examplePriority@32473 class="high"] the message'
    )
    assert elements == {
        "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "note": 'a "quoted" ]bracket\\ end \\n'},
        "examplePriority@32473": {"class": "high"},
    }
    assert rest == " the message"


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ('[id a="1"', "structured_data", "[id: missing the closing ']'"),
        ("[id a=1]", "structured_data", '[id: expected name="value"'),
        ('[ a="1"]', "structured_data", "an element has no SD-ID"),
        ("x", "structured_data", "expected '-' or '['"),
    ],
)
def test_malformed_structured_data_is_refused_precisely(text, field, reason):
    with pytest.raises(FrameError) as caught:
        parse_structured_data(text)
    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_rfc3164_read_in_the_source_zone_with_tag_and_pid():
    now = datetime(2024, 7, 20, 12, 0, tzinfo=UTC)
    message = parse_line("<34>Jul  4 09:30:00 ehr-db01 sshd[4242]: hello there", NEW_YORK, _years(now))
    assert message.time == datetime(2024, 7, 4, 13, 30, tzinfo=UTC)  # EDT, UTC-4
    assert (message.host, message.app, message.procid, message.msg) == ("ehr-db01", "sshd", "4242", "hello there")
    assert message.year_inferred is True
    assert (message.facility, message.severity) == (4, 2)


def test_rfc3164_without_pri_as_relays_forward_it():
    now = datetime(2024, 7, 20, 12, 0, tzinfo=UTC)
    message = parse_line("Jul  4 09:30:00 ehr-db01 sshd[4242]: hello", NEW_YORK, _years(now))
    assert (message.host, message.app, message.facility) == ("ehr-db01", "sshd", None)


def test_rfc3164_without_host_takes_the_tag():
    message = parse_line("<34>Jul  4 09:30:00 sshd[1]: hi", NEW_YORK, _years(datetime(2024, 7, 20, tzinfo=UTC)))
    assert (message.host, message.app, message.msg) == (None, "sshd", "hi")


def test_asa_timestamp_with_year_is_not_inferred():
    line = "<166>Dec 31 2022 23:59:59 asa01 : %ASA-6-113004: AAA user authentication Successful : user = a"
    message = parse_line(line, NEW_YORK, _years(datetime(2024, 7, 20, tzinfo=UTC)))
    assert message.time == datetime(2023, 1, 1, 4, 59, 59, tzinfo=UTC)
    assert message.year_inferred is False
    assert message.app == "%ASA-6-113004"


def test_iso_time_in_a_bsd_line_uses_its_offset_or_the_source_zone():
    years = _years(datetime(2024, 7, 20, tzinfo=UTC))
    with_offset = parse_line("<13>2024-03-04T10:00:00+02:00 host app: x", NEW_YORK, years)
    without = parse_line("<13>2024-03-04T10:00:00 host app: x", NEW_YORK, years)
    assert with_offset.time == datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
    assert without.time == datetime(2024, 3, 4, 15, 0, tzinfo=UTC)


# The year rule: the most recent date not more than a day after the reference (the file's latest full time, else
# the time of reading).


@pytest.mark.parametrize(
    ("now", "stamp", "expected_year"),
    [
        (datetime(2024, 3, 10, tzinfo=UTC), "Mar  4 08:00:00", 2024),  # earlier this year
        (datetime(2024, 1, 3, tzinfo=UTC), "Dec 30 08:00:00", 2023),  # a December log read in January
        (datetime(2024, 3, 10, tzinfo=UTC), "Mar 10 20:00:00", 2024),  # 20 hours ahead: within the day of slack
        (datetime(2024, 3, 10, tzinfo=UTC), "Mar 12 08:00:00", 2023),  # further ahead: last year's
        (datetime(2023, 12, 31, 23, 0, tzinfo=UTC), "Jan  1 02:00:00", 2024),  # just past New Year, here not yet
        (datetime(2025, 3, 1, tzinfo=UTC), "Feb 29 08:00:00", 2024),  # the last 29 February
    ],
)
def test_year_inference(now, stamp, expected_year):
    message = parse_line(f"<13>{stamp} host app: x", ZoneInfo("UTC"), _years(now))
    assert message.time.year == expected_year


def test_year_reference_follows_the_files_own_full_times():
    years = _years(datetime(2026, 6, 1, tzinfo=UTC))
    utc = ZoneInfo("UTC")
    dated = parse_line("<13>1 2022-12-31T23:00:00Z host app - - - year-end", utc, years)
    after = parse_line("<13>Jan  1 00:30:00 host app: after midnight", utc, years)
    before = parse_line("<13>Dec 31 22:00:00 host app: before", utc, years)
    assert dated.time.year == 2022
    assert after.time == datetime(2023, 1, 1, 0, 30, tzinfo=UTC)
    assert before.time == datetime(2022, 12, 31, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        ("-- MARK --", "", "not a syslog message: expected <PRI> or a timestamp"),
        ("<200>Jan  1 00:00:00 host app: x", "pri", "<200> is out of range (0–191)"),
        ("<13>Foo  1 00:00:00 host app: x", "", "not a syslog message: expected <PRI> or a timestamp"),
        ("<13>1 2024-01-01T00:00:00Z host", "header", None),
        ("<13>Feb 30 00:00:00 host app: x", "timestamp", None),
    ],
)
def test_lines_that_cannot_be_read(line, field, reason):
    with pytest.raises(FrameError) as caught:
        parse_line(line, ZoneInfo("UTC"), _years(datetime(2024, 7, 1, tzinfo=UTC)))
    assert caught.value.field == field
    if reason is not None:
        assert caught.value.reason == reason
