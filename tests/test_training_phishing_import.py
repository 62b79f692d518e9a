"""Importing phishing results through the shared pipeline: each format end to end, the campaign each file goes
into, matching recipients to the roster (department kept as it was), merging and re-importing, every kind of bad
input refused by row with nothing committed, and what a commit asks for afterwards (remedial assignments, a
tracker evaluation) and records (audit)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from safeguard.core import tabular
from safeguard.core.imports import Importer, importer_for
from safeguard.core.models import AuditEvent
from safeguard.core.services.file_imports import ImportRejected
from safeguard.training.models import PhishingCampaign, PhishingOutcome, PhishingResult
from safeguard.training.phishing_import import KIND_EVENTS, KIND_GENERIC, KIND_JSON, KIND_RESULTS
from safeguard.workforce.models import Person
from tests import access_factories as make
from tests import training_factories as train
from tests.conftest import Cast
from tests.test_training_phishing_support import (
    EVENTS_HEADER,
    LAUNCH,
    RESULTS_HEADER,
    at,
    campaign_json,
    check,
    csv_bytes,
    events_csv,
    result_row,
    roster,
    run,
    spring,
    spring_events,
    spring_results_csv,
    summary,
)


def stored() -> dict[str, tuple[Any, ...]]:
    return {
        r.email: (r.status, r.person_id is not None, r.department, r.reported, r.clicks)
        for r in PhishingResult.objects.order_by("email")
    }


def rejected(org: Any, user: Any, kind: str, data: bytes, options: dict[str, Any], name: str = "") -> ImportRejected:
    with pytest.raises(ImportRejected) as refused:
        run(org, user, kind, data, options, name)
    return refused.value


@pytest.fixture
def syncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The organizations whose assignment rules a commit asked to re-evaluate."""
    asked: list[int] = []
    monkeypatch.setattr("safeguard.training.services.phishing.request_sync", lambda org: asked.append(org.pk))
    return asked


# ---- each format -------------------------------------------------------------------------------------------------


def test_the_events_file_of_the_spring_lure_is_imported_recipient_by_recipient(cast: Cast, syncs: list[int]) -> None:
    checked, outcome = spring(cast.org, cast.owner)

    campaign = PhishingCampaign.objects.get()
    assert (campaign.name, campaign.source, campaign.external_id, campaign.launched_at) == (
        "Spring lure",
        "gophish",
        "7",
        LAUNCH,
    )
    assert (outcome.created, outcome.updated, outcome.result["campaign"]) == (10, 0, str(campaign.public_id))
    assert stored() == {
        "a@clinic.test": ("submitted", True, "Nursing", False, 2),
        "b@clinic.test": ("clicked", True, "Nursing", True, 1),
        "c@clinic.test": ("opened", True, "Nursing", True, 0),
        "d@clinic.test": ("sent", True, "Nursing", True, 0),
        "e@clinic.test": ("opened", True, "Nursing", False, 0),
        "f@clinic.test": ("sent", True, "Billing", False, 0),
        "g@clinic.test": ("error", True, "Billing", False, 0),
        "h@clinic.test": ("clicked", True, "Billing", False, 1),
        "x@elsewhere.test": ("sent", False, "", True, 0),
        "y@elsewhere.test": ("submitted", False, "", False, 1),
    }
    b = PhishingResult.objects.get(email="b@clinic.test")
    assert (b.sent_at, b.opened_at, b.clicked_at, b.reported_at) == (
        LAUNCH,
        LAUNCH + timedelta(minutes=20),
        LAUNCH + timedelta(minutes=21),
        LAUNCH + timedelta(minutes=25),
    )
    assert summary(checked) == {
        "campaign_new": 1,
        "recipients": 10,
        "new": 10,
        "updated": 0,
        "unchanged": 0,
        "not_on_roster": 2,
        "sent": 9,
        "opened": 6,
        "clicked": 4,
        "submitted": 2,
        "reported": 4,
        "events": 26,
        "campaign_events": 1,
        "ignored_events": 1,
    }
    assert syncs == [cast.org.pk]


def test_the_results_csv_gives_statuses_and_send_times_but_no_event_times(cast: Cast) -> None:
    roster(cast.org)

    checked, outcome = run(cast.org, cast.owner, KIND_RESULTS, spring_results_csv(), {"name": "Spring lure"})

    assert outcome.created == 10
    a = PhishingResult.objects.get(email="a@clinic.test")
    assert (a.status, a.sent_at, a.clicked_at, a.clicks, a.external_id, a.first_name, a.position) == (
        "submitted",
        LAUNCH,
        None,
        0,
        "rid-A",
        "A",
        "Staff",
    )
    assert PhishingResult.objects.get(email="g@clinic.test").sent_at is None
    assert PhishingResult.objects.filter(reported=True, reported_at__isnull=True).count() == 4
    assert "events" not in summary(checked)


def test_the_json_answer_names_its_campaign_and_gives_statuses_names_and_times(cast: Cast) -> None:
    roster(cast.org)

    checked, outcome = run(cast.org, cast.owner, KIND_JSON, campaign_json(), {})

    campaign = PhishingCampaign.objects.get()
    assert (campaign.name, campaign.external_id, campaign.launched_at, outcome.created) == (
        "Spring lure",
        "7",
        LAUNCH,
        10,
    )
    a = PhishingResult.objects.get(email="a@clinic.test")
    assert (a.status, a.first_name, a.external_id, a.clicks, a.clicked_at) == (
        "submitted",
        "A",
        "rid-a",
        2,
        LAUNCH + timedelta(minutes=12),
    )
    assert summary(checked)["events"] == 26


def test_another_vendors_file_is_mapped_and_its_times_read_in_the_chosen_zone(cast: Cast) -> None:
    roster(cast.org)
    data = csv_bytes(
        ["Recipient", "Group", "Result", "Reported", "Delivered At", "Reported At"],
        [
            ["a@clinic.test", "ICU", "Clicked", "no", "2026-03-02 08:00", ""],
            ["q@elsewhere.test", "Lab", "delivered", "yes", "2026-03-02 08:00", "2026-03-02 08:45"],
        ],
    )
    options = {"name": "Vendor lure", "vendor": "Acme Phish", "time_zone": "America/Chicago"}

    checked, outcome = run(cast.org, cast.owner, KIND_GENERIC, data, options)

    campaign = PhishingCampaign.objects.get()
    assert (campaign.source, campaign.vendor, campaign.launched_at) == ("other", "Acme Phish", LAUNCH)
    # The roster's department wins for a person; the file's is kept for someone not on the roster.
    assert stored() == {
        "a@clinic.test": ("clicked", True, "Nursing", False, 0),
        "q@elsewhere.test": ("sent", False, "Lab", True, 0),
    }
    q = PhishingResult.objects.get(email="q@elsewhere.test")
    assert q.reported_at is not None and q.sent_at is not None
    assert q.reported_at - q.sent_at == timedelta(minutes=45)
    assert outcome.created == 2


def test_another_vendors_file_needs_a_status_or_a_time_column(cast: Cast) -> None:
    importer = importer_for(KIND_GENERIC)

    problems = importer.mapping_errors(["Email", "Name"], {"email": "Email"})

    assert problems == {
        "status": "Map the column saying how far each recipient went: a status, or the time of at least one step "
        "(sent, opened, clicked, submitted, reported)."
    }


def test_only_the_phishing_importers_take_big_files() -> None:
    assert (importer_for(KIND_EVENTS).max_rows, importer_for(KIND_EVENTS).byte_limit) == (300_000, 100 * 2**20)
    assert importer_for(KIND_JSON).formats == ("json",)
    assert (Importer.max_rows, importer_for("workforce.roster").byte_limit) == (50_000, 20 * 2**20)
    assert importer_for("workforce.roster").formats == tabular.FORMATS


# ---- matching ------------------------------------------------------------------------------------------------------


def test_emails_match_the_roster_ignoring_case_and_prefer_a_current_person(cast: Cast) -> None:
    leaver = make.person(cast.org, "OLD", email="a@clinic.test", termination_at=LAUNCH - timedelta(days=900))
    current = make.person(cast.org, "NEW", email="A@CLINIC.TEST", department="Pharmacy")

    data = csv_bytes(RESULTS_HEADER, [result_row("a@Clinic.test", "Email Sent")])
    run(cast.org, cast.owner, KIND_RESULTS, data, {"name": "One"})

    found = PhishingResult.objects.get()
    assert (found.person_id, found.department, found.email) == (current.pk, "Pharmacy", "a@clinic.test")
    assert leaver.status == Person.Status.TERMINATED


def test_the_department_stays_as_it_was_when_the_result_was_recorded(cast: Cast) -> None:
    spring(cast.org, cast.owner)
    Person.objects.filter(email__iexact="a@clinic.test").update(department="Billing")
    later = [["7", "a@clinic.test", at(95), "Email Reported", ""]]

    checked, outcome = run(cast.org, cast.owner, KIND_EVENTS, csv_bytes(EVENTS_HEADER, later), {})

    assert PhishingResult.objects.get(email="a@clinic.test").department == "Nursing"
    assert (outcome.created, outcome.updated) == (0, 1)


def test_a_recipient_joining_the_roster_later_is_matched_by_the_next_import(cast: Cast) -> None:
    spring(cast.org, cast.owner)
    newcomer = make.person(cast.org, "X1", email="x@elsewhere.test", department="Lab")

    checked, outcome = run(cast.org, cast.owner, KIND_EVENTS, events_csv(), {})

    x = PhishingResult.objects.get(email="x@elsewhere.test")
    assert (x.person_id, x.department, outcome.updated) == (newcomer.pk, "Lab", 1)
    assert summary(checked)["not_on_roster"] == 1


# ---- merging and re-importing --------------------------------------------------------------------------------------


def test_importing_the_same_file_again_is_refused_as_nothing_new(cast: Cast, syncs: list[int]) -> None:
    spring(cast.org, cast.owner)
    before = list(PhishingResult.objects.order_by("email").values())
    campaign = PhishingCampaign.objects.values().get()
    events = AuditEvent.objects.count()

    preview = check(cast.org, KIND_EVENTS, events_csv(), {})
    refusal = rejected(cast.org, cast.owner, KIND_EVENTS, events_csv(), {})

    assert {row["action"] for row in preview.preview} == {"Unchanged"}
    assert summary(preview)["unchanged"] == 10
    assert refusal.failure == "Nothing new: every recipient in the file is already recorded as it is."
    assert list(PhishingResult.objects.order_by("email").values()) == before
    assert PhishingCampaign.objects.values().get() == campaign
    assert AuditEvent.objects.count() == events  # neither the results nor the import's own event
    assert syncs == [cast.org.pk]  # the first commit only


def test_a_file_that_only_moves_the_launch_is_not_nothing_new(cast: Cast) -> None:
    campaign = train.campaign(
        cast.org, "Statuses", launched_at=datetime(2026, 3, 1, 5, tzinfo=UTC), source="other", vendor="Acme"
    )
    data = csv_bytes(["Email", "Result"], [["a@clinic.test", "clicked"]])
    options = {"campaign": str(campaign.public_id), "time_zone": "UTC"}
    run(cast.org, cast.owner, KIND_GENERIC, data, options)

    refusal = rejected(cast.org, cast.owner, KIND_GENERIC, data, options)
    checked, outcome = run(cast.org, cast.owner, KIND_GENERIC, data, {**options, "launched_on": "2026-02-27"})

    assert refusal.failure.startswith("Nothing new")
    assert (outcome.created, outcome.updated) == (0, 0)
    campaign.refresh_from_db()
    assert timezone.localdate(campaign.launched_at) == date(2026, 2, 27)


def test_a_later_file_merges_earliest_times_furthest_status_and_reports(cast: Cast) -> None:
    spring(cast.org, cast.owner)
    later = [
        ["7", "e@clinic.test", at(3), "Email Opened", ""],  # earlier than the 30 minutes recorded
        ["7", "e@clinic.test", at(50), "Clicked Link", ""],
        ["7", "f@clinic.test", at(70), "Email Reported", ""],
        ["7", "a@clinic.test", at(90), "Email Opened", ""],  # nothing new: submitted already, opened at 10
    ]

    checked, outcome = run(cast.org, cast.owner, KIND_EVENTS, csv_bytes(EVENTS_HEADER, later), {})

    e, f, a = (PhishingResult.objects.get(email=f"{x}@clinic.test") for x in "efa")
    assert (e.status, e.opened_at, e.clicked_at, e.clicks) == (
        "clicked",
        LAUNCH + timedelta(minutes=3),
        LAUNCH + timedelta(minutes=50),
        1,
    )
    assert (f.status, f.reported, f.reported_at) == ("sent", True, LAUNCH + timedelta(minutes=70))
    assert (a.status, a.opened_at) == ("submitted", LAUNCH + timedelta(minutes=10))
    assert (outcome.created, outcome.updated, summary(checked)["unchanged"]) == (0, 2, 1)
    assert {row["email"]: row["action"] for row in checked.preview} == {
        "e@clinic.test": "Updated",
        "f@clinic.test": "Updated",
        "a@clinic.test": "Unchanged",
    }


def test_an_earlier_send_moves_the_campaigns_launch(cast: Cast) -> None:
    spring(cast.org, cast.owner)

    run(
        cast.org,
        cast.owner,
        KIND_EVENTS,
        csv_bytes(EVENTS_HEADER, [["7", "z@clinic.test", at(-90), "Email Sent", ""]]),
        {},
    )

    assert PhishingCampaign.objects.get().launched_at == LAUNCH - timedelta(minutes=90)


# ---- which campaign ------------------------------------------------------------------------------------------------


def test_a_gophish_campaign_imported_before_is_found_by_its_id(cast: Cast) -> None:
    roster(cast.org)
    run(cast.org, cast.owner, KIND_JSON, campaign_json(), {})
    later = [["7", "f@clinic.test", at(70), "Email Reported", ""]]

    checked, outcome = run(
        cast.org, cast.owner, KIND_EVENTS, csv_bytes(EVENTS_HEADER, later), {"name": "Ignored: the id decides"}
    )

    assert PhishingCampaign.objects.count() == 1
    assert (summary(checked)["campaign_held"], outcome.updated) == (10, 1)


def test_results_go_into_the_campaign_chosen(cast: Cast) -> None:
    chosen = train.campaign(cast.org, "Chosen", launched_at=None)

    run(cast.org, cast.owner, KIND_EVENTS, events_csv(), {"campaign": str(chosen.public_id)})

    chosen.refresh_from_db()
    assert (chosen.external_id, chosen.results.count(), chosen.launched_at) == ("7", 10, LAUNCH)


def test_another_gophish_campaign_cannot_be_poured_into_a_chosen_one(cast: Cast) -> None:
    chosen = train.campaign(cast.org, "Chosen", external_id="9")

    refusal = rejected(cast.org, cast.owner, KIND_EVENTS, events_csv(), {"campaign": str(chosen.public_id)})

    assert refusal.failure == (
        "The file is GoPhish campaign 7, but “Chosen” holds GoPhish campaign 9: choose another campaign, or a new one."
    )
    assert not PhishingResult.objects.exists()


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        (KIND_RESULTS, {}, "Choose the campaign these results belong to, or name a new one."),
        (KIND_RESULTS, {"name": "taken"}, "A campaign named “taken” already exists: choose it"),
        (KIND_RESULTS, {"campaign": "not-an-id"}, "No such phishing campaign in this organization."),
        (KIND_GENERIC, {"name": "New"}, "Name the vendor whose tool ran the campaign, e.g. KnowBe4."),
        (KIND_GENERIC, {"name": "New", "vendor": "V", "time_zone": "Mars/Base"}, "'Mars/Base' is not a time zone"),
    ],
)
def test_options_that_cannot_work_are_refused_before_the_file_is_read(
    cast: Cast, kind: str, options: dict[str, Any], message: str
) -> None:
    train.campaign(cast.org, "Taken")
    with pytest.raises(Exception) as refused:
        importer_for(kind).clean_options(cast.org, options)
    assert str(refused.value).startswith(message)


def test_a_campaign_of_another_tool_or_organization_is_not_offered(cast: Cast) -> None:
    vendor = train.campaign(cast.org, "Vendor", source=PhishingCampaign.Source.OTHER, vendor="Acme")
    elsewhere = train.campaign(cast.other_org, "Elsewhere")

    with pytest.raises(Exception, match="“Vendor” holds results from Another vendor"):
        importer_for(KIND_RESULTS).clean_options(cast.org, {"campaign": str(vendor.public_id)})
    with pytest.raises(Exception, match="No such phishing campaign in this organization."):
        importer_for(KIND_RESULTS).clean_options(cast.org, {"campaign": str(elsewhere.public_id)})


def test_a_new_campaign_named_by_the_file_must_not_clash(cast: Cast) -> None:
    train.campaign(cast.org, "Spring Lure")

    refusal = rejected(cast.org, cast.owner, KIND_JSON, campaign_json(), {})

    assert refusal.failure.startswith("A campaign named “Spring lure” already exists")
    assert PhishingCampaign.objects.count() == 1


# ---- bad input -----------------------------------------------------------------------------------------------------


def test_bad_gophish_rows_are_listed_by_row_and_column_and_nothing_is_committed(cast: Cast) -> None:
    rows = spring_events()
    rows[3][3] = "Email Forwarded"
    rows[5][1] = ""
    rows[6][2] = "2026-03-02 09:00"
    data = csv_bytes(EVENTS_HEADER, rows)

    refusal = rejected(cast.org, cast.owner, KIND_EVENTS, data, {"name": "Spring lure"})

    assert refusal.failure == "3 errors in 3 rows: nothing was committed."
    assert [(e["row"], e["column"]) for e in refusal.errors] == [(5, "message"), (7, "email"), (8, "time")]
    assert refusal.errors[0]["message"].startswith("'Email Forwarded' is not a GoPhish timeline message")
    assert refusal.errors[1]["message"] == "The email is missing: every “Clicked Link” event names its recipient."
    assert refusal.errors[2]["message"].startswith("'2026-03-02 09:00' has no UTC offset")
    assert not PhishingCampaign.objects.exists() and not PhishingResult.objects.exists()


def test_bad_results_rows_name_the_value(cast: Cast) -> None:
    data = csv_bytes(RESULTS_HEADER, [result_row("a@clinic.test", "Phished"), result_row("", "Email Sent")])

    refusal = rejected(cast.org, cast.owner, KIND_RESULTS, data, {"name": "Bad"})

    assert [(e["row"], e["column"], e["message"][:30]) for e in refusal.errors] == [
        (2, "status", "'Phished' is not a status this"),
        (3, "email", "The email is missing: every re"),
    ]
    assert not PhishingCampaign.objects.exists()


def test_bad_json_items_are_named_by_array_and_index(cast: Cast) -> None:
    timeline = [
        {"email": "", "time": at(-1), "message": "Campaign Created"},
        {"email": "a@clinic.test", "time": "not a time", "message": "Email Sent"},
        {"email": "b@clinic.test", "time": at(1), "message": "Teleported"},
        42,
    ]
    results = [{"email": "", "status": "Email Sent", "send_date": at(0)}]

    refusal = rejected(cast.org, cast.owner, KIND_JSON, campaign_json(results, timeline), {})

    expected = [
        ("results[0].email", "results item 0: The email is missing: every recipient needs one."),
        ("timeline[1].time", "timeline item 1: 'not a time' is not a time"),
        ("timeline[2].message", "timeline item 2: 'Teleported' is not a GoPhish timeline message"),
        ("timeline[3]", "timeline item 3 is not an object."),
    ]
    assert [e["column"] for e in refusal.errors] == [column for column, _ in expected]
    for error, (_, message) in zip(refusal.errors, expected, strict=True):
        assert error["message"].startswith(message)
    assert not PhishingCampaign.objects.exists()


def test_a_file_that_is_not_what_it_says_is_refused_whole(cast: Cast) -> None:
    with pytest.raises(tabular.TabularError, match="not a GoPhish campaign"):
        run(cast.org, cast.owner, KIND_JSON, b'{"id": 7}', {})
    refusal = rejected(cast.org, cast.owner, KIND_EVENTS, b"email,when\na@clinic.test,now\n", {"name": "X"})
    assert refusal.failure == "Choose the column for “Time”: it is required."


# ---- what a commit records and asks for ----------------------------------------------------------------------------


def test_a_commit_is_audited_with_its_counts(cast: Cast) -> None:
    spring(cast.org, cast.owner)

    created = AuditEvent.objects.get(action="training.phishing_campaign.created")
    imported = AuditEvent.objects.get(action="training.phishing_results.imported")
    committed = AuditEvent.objects.get(action="import.committed")
    assert created.changes["name"] == [None, "Spring lure"]
    assert imported.actor == cast.owner
    assert {k: imported.changes[k] for k in ("recipients", "created", "updated", "file_name")} == {
        "recipients": [0, 10],
        "created": [None, 10],
        "updated": [None, 0],
        "file_name": [None, "spring.csv"],
    }
    assert imported.changes["launched_at"][1].startswith("2026-03-02T14:00")
    assert committed.changes["kind"] == [None, KIND_EVENTS]


def test_a_commit_asks_for_a_tracker_evaluation(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        spring(cast.org, cast.owner)
    assert any(getattr(callback, "once_key", None) == ("evaluation", cast.org.pk) for callback in callbacks)
    assert any(
        getattr(callback, "once_key", None) == ("training.assignments_sync", cast.org.pk) for callback in callbacks
    )


def test_an_unmatched_organization_never_sees_results(cast: Cast) -> None:
    roster(cast.other_org)
    spring(cast.org, cast.owner)

    assert not PhishingResult.objects.filter(organization=cast.other_org).exists()
    assert set(PhishingResult.objects.values_list("person__organization", flat=True)) == {cast.org.pk, None}


def test_status_only_phishing_outcomes_line_up_with_the_model() -> None:
    assert set(PhishingOutcome.values) == {"not_sent", "error", "sent", "opened", "clicked", "submitted"}
    assert datetime(2026, 3, 2, 14, tzinfo=UTC) == LAUNCH
