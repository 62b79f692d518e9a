"""Reading phishing files row by row (training/phishing_formats.py): GoPhish's statuses and timeline messages, its
times, the JSON answer turned into a table, another vendor's words, and the merge rules (earliest time of each
step, furthest status, a report counts once, clicks counted)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from safeguard.core import tabular
from safeguard.training.models import PhishingOutcome as Outcome
from safeguard.training.phishing_formats import (
    Collected,
    Recipient,
    gophish_time,
    read_event,
    read_result,
    read_vendor_row,
    vendor_time,
)
from safeguard.training.phishing_json import item_words, json_table
from tests.test_training_phishing_support import JSON_NOW, at, campaign_json

NOW = JSON_NOW
CHICAGO = ZoneInfo("America/Chicago")


def result(collected: Collected, row: int = 2, **cells: str) -> dict[str, str]:
    values = {"email": "a@clinic.test", "status": "Email Sent", "reported": "false", "send_date": at(0)}
    return read_result(collected, row, {**values, **cells}, NOW)


def event(collected: Collected, message: str, minutes: float, email: str = "a@clinic.test", row: int = 2) -> dict:
    return read_event(
        collected, row, {"campaign_id": "7", "email": email, "time": at(minutes), "message": message}, NOW
    )


# ---- GoPhish results CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Email Sent", Outcome.SENT),
        ("Email Opened", Outcome.OPENED),
        ("Clicked Link", Outcome.CLICKED),
        ("Submitted Data", Outcome.SUBMITTED),
        ("Success", Outcome.SUBMITTED),  # GoPhish before 0.5
        ("Error", Outcome.ERROR),
        ("Error Sending Email", Outcome.ERROR),
        ("Scheduled", Outcome.NOT_SENT),
        ("Queued", Outcome.NOT_SENT),
        ("Sending", Outcome.NOT_SENT),
        ("Retrying", Outcome.NOT_SENT),
        ("Unknown", Outcome.NOT_SENT),
        ("clicked link", Outcome.CLICKED),
    ],
)
def test_every_gophish_status_has_its_outcome(status: str, expected: str) -> None:
    collected = Collected()
    assert result(collected, status=status) == {}
    assert collected.recipients["a@clinic.test"].status == expected


def test_a_results_row_keeps_the_send_date_of_a_delivered_email_but_no_event_times() -> None:
    collected = Collected()
    result(collected, status="Clicked Link", reported="true", email=" A@Clinic.Test ", first_name="Ann", rid="r1")
    found = collected.recipients["a@clinic.test"]

    assert (found.sent_at, found.clicked_at, found.reported, found.reported_at) == (LAUNCH_UTC, None, True, None)
    assert (found.clicks, found.first_name, found.rid) == (0, "Ann", "r1")
    assert not collected.has_times


def test_a_scheduled_email_has_no_send_time_and_gophish_zero_time_is_no_time() -> None:
    collected = Collected()
    result(collected, status="Scheduled", send_date=at(60 * 24 * 400))  # scheduled ahead: not a time taken
    result(collected, email="b@clinic.test", send_date="0001-01-01T00:00:00Z")

    assert collected.recipients["a@clinic.test"].sent_at is None
    assert collected.recipients["b@clinic.test"].sent_at is None


def test_an_unknown_status_a_missing_email_and_a_bad_flag_are_named() -> None:
    collected = Collected()

    problems = result(collected, email="", status="Phished", reported="maybe")

    assert problems == {
        "email": "The email is missing: every recipient needs one.",
        "status": "'Phished' is not a status this import knows: use one of Email Sent, Email Opened, Clicked Link, "
        "Submitted Data, Success, Error, Error Sending Email, Sending, Scheduled, Queued, Retrying, Unknown.",
        "reported": "'maybe' is not true or false.",
    }
    assert collected.recipients == {}


# ---- GoPhish events --------------------------------------------------------------------------------------------


def test_events_keep_the_earliest_time_of_each_step_and_count_clicks_whatever_their_order() -> None:
    collected = Collected()
    for message, minutes in (
        ("Clicked Link", 30),
        ("Email Sent", 0),
        ("Email Opened", 12),
        ("Clicked Link", 14),
        ("Email Opened", 10),
        ("Email Reported", 40),
        ("Email Reported", 20),
    ):
        assert event(collected, message, minutes) == {}
    found = collected.recipients["a@clinic.test"]

    assert found.status == Outcome.CLICKED
    assert (found.opened_at, found.clicked_at, found.reported_at) == (
        LAUNCH_UTC + timedelta(minutes=10),
        LAUNCH_UTC + timedelta(minutes=14),
        LAUNCH_UTC + timedelta(minutes=20),
    )
    assert (found.clicks, found.reported, collected.events, collected.has_times) == (2, True, 7, True)


def test_a_sending_error_counts_only_when_nothing_shows_the_email_arrived() -> None:
    collected = Collected()
    event(collected, "Error Sending Email", 0)
    event(collected, "Error Sending Email", 0, email="b@clinic.test")
    event(collected, "Email Sent", 5, email="b@clinic.test")

    assert collected.recipients["a@clinic.test"].status == Outcome.ERROR
    assert collected.recipients["b@clinic.test"].status == Outcome.SENT


def test_campaign_events_are_skipped_and_proxied_requests_ignored_and_counted() -> None:
    collected = Collected()

    assert event(collected, "Campaign Created", -5, email="") == {}
    assert event(collected, "Proxied request", 3) == {}

    assert (collected.campaign_events, collected.ignored_events, collected.events) == (1, 1, 0)
    assert collected.recipients == {}
    assert collected.campaign_id == "7"


def test_an_unknown_message_and_an_event_without_its_recipient_are_named() -> None:
    collected = Collected()

    unknown = event(collected, "Email Forwarded", 3)
    no_email = event(collected, "Clicked Link", 3, email="")

    assert unknown == {
        "message": "'Email Forwarded' is not a GoPhish timeline message: use one of Campaign Created, Email Sent, "
        "Email Opened, Clicked Link, Submitted Data, Email Reported, Error Sending Email, Proxied request."
    }
    assert no_email == {"email": "The email is missing: every “Clicked Link” event names its recipient."}
    assert collected.recipients == {}


def test_a_second_campaign_in_one_events_file_is_refused() -> None:
    collected = Collected()
    event(collected, "Email Sent", 0, row=2)

    problems = read_event(
        collected, 3, {"campaign_id": "8", "email": "b@clinic.test", "time": at(0), "message": "Email Sent"}, NOW
    )

    assert problems == {
        "campaign_id": "This row is of GoPhish campaign 8, but row 2 is of campaign 7: import one campaign per file."
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yesterday", "'yesterday' is not a time: GoPhish writes e.g. 2026-03-05T14:02:11-05:00."),
        ("2026-03-02 09:00", "'2026-03-02 09:00' has no UTC offset: import the file as GoPhish exported it"),
        ("2031-03-02T09:00:00Z", "'2031-03-02T09:00:00Z' is in the future: check the date"),
    ],
)
def test_a_gophish_time_must_be_rfc_3339_with_its_offset_and_not_ahead(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        gophish_time(text, NOW)


def test_gophish_times_with_nanoseconds_and_z_are_read_in_utc() -> None:
    assert gophish_time("2026-03-02T09:00:01.123456789-05:00", NOW) == datetime(2026, 3, 2, 14, 0, 1, 123456, UTC)
    assert gophish_time("2026-03-02T14:00:00Z", NOW) == LAUNCH_UTC


# ---- GoPhish JSON ----------------------------------------------------------------------------------------------


def test_the_json_answer_becomes_a_row_per_result_and_per_timeline_item() -> None:
    data = campaign_json(
        results=[{"id": "r1", "email": "a@clinic.test", "status": "Email Sent", "reported": True, "send_date": at(0)}],
        timeline=[{"email": "", "time": at(-1), "message": "Campaign Created"}, "oops"],
    )

    table = json_table(data, max_rows=10)
    rows = [dict(zip(table.headers, row.cells, strict=True)) for row in table.rows]

    assert [row.number for row in table.rows] == [1, 2, 3]
    assert [(r["item"], r["email"], r["rid"], r["reported"], r["message"]) for r in rows] == [
        ("results[0]", "a@clinic.test", "r1", "true", ""),
        ("timeline[0]", "", "", "", "Campaign Created"),
        ("timeline[1]", "", "", "", ""),
    ]
    assert rows[2]["problem"] == "is not an object"
    assert {(r["campaign_id"], r["campaign_name"]) for r in rows} == {("7", "Spring lure")}
    assert item_words("timeline[12]") == "timeline item 12"


def test_a_list_holding_one_campaign_is_read_and_anything_else_is_refused_with_why() -> None:
    one = json.dumps([json.loads(campaign_json(results=[], timeline=[]))]).encode()
    assert json_table(one, max_rows=10).rows == []

    refusals = [
        (b"[1, 2]", "The file holds a list of 2 items, not one campaign"),
        (b'{"results": {}}', "The campaign’s “results” must be a list."),
        (b'{"name": "x"}', "it has neither “results” nor “timeline”"),
        (b'{"results": [', "The file is not valid JSON: Expecting value at line 1, column 14."),
        (b'"text"', "it must be a JSON object"),
    ]
    for data, message in refusals:
        with pytest.raises(tabular.TabularError) as refused:
            json_table(data, max_rows=10)
        assert message.replace("’", "'") in str(refused.value), data


def test_a_json_file_past_the_row_limit_is_refused() -> None:
    with pytest.raises(tabular.TabularError, match="more than 25 results and timeline items"):
        json_table(campaign_json(), max_rows=25)


def test_json_is_recognised_by_its_content_only_for_importers_that_accept_it() -> None:
    assert tabular.sniff_format(b' \n{"results": []}', "c.json", formats=("json",)) == "json"
    with pytest.raises(tabular.TabularError, match="Upload a .csv or .xlsx file."):
        tabular.sniff_format(b'{"results": []}', "c.json")
    with pytest.raises(tabular.TabularError, match="is named .json but its content is not JSON text"):
        tabular.sniff_format(b"email,status\n", "c.json", formats=("json",))
    with pytest.raises(tabular.TabularError, match="larger than 1 MB"):
        tabular.sniff_format(b"{" + b" " * 2**20 + b"}", "c.json", formats=("json",), max_bytes=2**20)


# ---- another vendor --------------------------------------------------------------------------------------------


def vendor(collected: Collected, zone: ZoneInfo = CHICAGO, **cells: str) -> dict[str, str]:
    return read_vendor_row(collected, 2, {"email": "a@clinic.test", **cells}, zone, NOW)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Delivered", Outcome.SENT),
        ("no action", Outcome.SENT),
        ("Opened", Outcome.OPENED),
        ("Link Clicked", Outcome.CLICKED),
        ("Data Entered", Outcome.SUBMITTED),
        ("compromised", Outcome.SUBMITTED),
        ("Bounced", Outcome.ERROR),
        ("not sent", Outcome.NOT_SENT),
    ],
)
def test_another_vendors_words_for_how_far_a_recipient_went(status: str, expected: str) -> None:
    collected = Collected()
    assert vendor(collected, status=status) == {}
    assert collected.recipients["a@clinic.test"].status == expected


def test_another_vendors_times_without_offset_are_read_in_the_chosen_zone() -> None:
    collected = Collected()

    vendor(collected, sent_at="2026-03-02 08:00", clicked_at="2026-03-02T15:30:00Z", reported="yes", department="ICU")
    found = collected.recipients["a@clinic.test"]

    assert (found.sent_at, found.clicked_at) == (LAUNCH_UTC, datetime(2026, 3, 2, 15, 30, tzinfo=UTC))
    assert (found.status, found.reported, found.clicks, found.department) == (Outcome.CLICKED, True, 1, "ICU")


def test_another_vendors_bad_rows_say_what_is_wrong() -> None:
    collected = Collected()

    assert vendor(collected, status="phished") == {
        "status": "'phished' is not a status this import knows: use one of sent, opened, clicked, submitted, error "
        "or not sent."
    }
    assert vendor(collected, status="", sent_at="") == {
        "status": "Say how far this recipient went: a status (sent, opened, clicked, submitted, error or not sent) "
        "or the time of a step."
    }
    assert vendor(collected, email="someone", reported="perhaps", status="sent") == {
        "email": "'someone' is not an email address.",
        "reported": "'perhaps' is not yes or no.",
    }
    # 02:30 on the spring-forward day does not exist in Chicago.
    assert "does not exist in America/Chicago" in vendor(collected, sent_at="2026-03-08 02:30")["sent_at"]
    assert collected.recipients == {}


def test_a_vendor_time_is_refused_when_unreadable() -> None:
    with pytest.raises(ValueError, match="'soon' is not a date and time"):
        vendor_time("soon", CHICAGO, NOW)


# ---- merging ---------------------------------------------------------------------------------------------------


def test_merging_keeps_earliest_times_furthest_status_any_report_and_the_larger_click_count() -> None:
    earlier = Recipient(
        email="a@clinic.test",
        status=Outcome.CLICKED,
        sent_at=LAUNCH_UTC,
        clicked_at=LAUNCH_UTC + timedelta(minutes=9),
        clicks=3,
        first_name="Ann",
    )
    later = Recipient(
        email="a@clinic.test",
        status=Outcome.OPENED,
        sent_at=LAUNCH_UTC + timedelta(minutes=1),
        opened_at=LAUNCH_UTC + timedelta(minutes=2),
        clicked_at=LAUNCH_UTC + timedelta(minutes=5),
        reported=True,
        clicks=1,
        first_name="Anne",
        last_name="Lee",
    )

    earlier.absorb(later)

    assert (earlier.status, earlier.sent_at, earlier.opened_at, earlier.clicked_at) == (
        Outcome.CLICKED,
        LAUNCH_UTC,
        LAUNCH_UTC + timedelta(minutes=2),
        LAUNCH_UTC + timedelta(minutes=5),
    )
    assert (earlier.reported, earlier.clicks, earlier.first_name, earlier.last_name) == (True, 3, "Ann", "Lee")


LAUNCH_UTC = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
