"""Obligation services: the owner and reminder rules, editing, completion with evidence, cancellation."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django.fixtures import Settings as SettingsWrapper

from safeguard.core.audit import Actor
from safeguard.core.dates import add_months, can_add_months
from safeguard.core.models import AuditEvent, Evidence, EvidenceLink, Obligation, ObligationCompletion
from safeguard.core.models.obligations import Cadence
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evidence import evidence_upload
from safeguard.core.services.obligations import (
    obligation_cancel,
    obligation_complete,
    obligation_create,
    obligation_update,
)
from tests.conftest import Cast


def create(cast: Cast, **values: object) -> Obligation:
    fields: dict[str, object] = {
        "title": "Annual risk analysis",
        "owner": cast.official,
        "due_on": date(2025, 6, 30),
        "cadence": Cadence.ANNUAL,
        "citation": "164.308(a)(1)(ii)(A)",
        **values,
    }
    return obligation_create(organization=cast.org, actor=Actor(user=cast.owner), **fields)  # type: ignore[arg-type]


def test_create_records_the_duty_and_an_audit_event(cast: Cast) -> None:
    obligation = create(cast)

    assert obligation.status == Obligation.Status.OPEN
    event = AuditEvent.objects.get(action="obligation.created")
    assert event.changes["citation"] == [None, "164.308(a)(1)(ii)(A)"]
    assert event.changes["owner"] == [None, str(cast.official.public_id)]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"citation": "164.999(z)"}, "citation", "Unknown citation '164.999(z)'"),
        ({"title": "  "}, "title", "Give the obligation a title."),
        ({"remind_days_before": 400}, "remind_days_before", "between 0 and 365 days"),
        ({"cadence": "weekly"}, "cadence", "Cadence must be one of"),
    ],
)
def test_create_refuses_bad_values(cast: Cast, values: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ServiceError) as refused:
        create(cast, **values)

    assert refused.value.field == field
    assert message in refused.value.message
    assert not Obligation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_auditor_cannot_own_an_obligation(cast: Cast) -> None:
    with pytest.raises(ServiceError) as refused:
        create(cast, owner=cast.auditor)

    assert refused.value.field == "owner"
    assert "read-only" in refused.value.message
    assert not Obligation.objects.exists()


def test_someone_outside_the_organization_cannot_own_an_obligation(cast: Cast) -> None:
    with pytest.raises(ServiceError) as refused:
        create(cast, owner=cast.outsider)

    assert refused.value.field == "owner"
    assert not Obligation.objects.exists()


def test_moving_the_due_date_restarts_reminders_and_escalation(cast: Cast) -> None:
    obligation = create(cast)
    Obligation.objects.filter(pk=obligation.pk).update(
        last_reminded_on=date(2025, 6, 20), escalated_on=date(2025, 7, 1)
    )

    updated = obligation_update(
        organization=cast.org, actor=Actor(user=cast.owner), obligation=obligation, due_on=date(2025, 9, 30)
    )

    assert updated.due_on == date(2025, 9, 30)
    assert updated.last_reminded_on is None
    assert updated.escalated_on is None
    event = AuditEvent.objects.get(action="obligation.updated")
    assert event.changes == {"due_on": ["2025-06-30", "2025-09-30"]}


def test_an_edit_that_changes_nothing_writes_no_event(cast: Cast) -> None:
    obligation = create(cast)

    obligation_update(
        organization=cast.org, actor=Actor(user=cast.owner), obligation=obligation, title="Annual risk analysis"
    )

    assert not AuditEvent.objects.filter(action="obligation.updated").exists()


def test_a_finished_obligation_cannot_be_edited(cast: Cast) -> None:
    obligation = create(cast)
    obligation_cancel(organization=cast.org, actor=Actor(user=cast.owner), obligation=obligation)

    with pytest.raises(ServiceError, match="only an open obligation can be edited"):
        obligation_update(organization=cast.org, actor=Actor(user=cast.owner), obligation=obligation, title="New")

    obligation.refresh_from_db()
    assert obligation.title == "Annual risk analysis"


def test_completing_a_recurring_duty_moves_it_to_the_next_due_date(cast: Cast) -> None:
    obligation = create(cast)

    completion = obligation_complete(
        organization=cast.org,
        actor=Actor(user=cast.official),
        obligation=obligation,
        note="Done with the consultant",
        today=date(2025, 6, 20),
    )

    obligation.refresh_from_db()
    assert completion.due_on == date(2025, 6, 30)
    assert obligation.status == Obligation.Status.OPEN
    assert obligation.due_on == date(2026, 6, 30)


def test_completing_a_one_off_duty_closes_it(cast: Cast) -> None:
    obligation = create(cast, cadence=Cadence.ONCE)

    obligation_complete(organization=cast.org, actor=Actor(user=cast.official), obligation=obligation)

    obligation.refresh_from_db()
    assert obligation.status == Obligation.Status.DONE


def test_completion_with_a_file_stores_it_as_evidence_linked_to_the_obligation(cast: Cast) -> None:
    obligation = create(cast)

    completion = obligation_complete(
        organization=cast.org,
        actor=Actor(user=cast.workforce),
        obligation=obligation,
        evidence_file=SimpleUploadedFile("report.pdf", b"%PDF report", content_type="application/pdf"),
        today=date(2025, 6, 20),
    )

    evidence = Evidence.objects.get()
    assert completion.evidence == evidence
    assert evidence.title == "Annual risk analysis: completed 2025-06-20"
    assert evidence.effective_date == date(2025, 6, 20)
    assert EvidenceLink.objects.filter(
        evidence=evidence, target_type="core.obligation", target_id=str(obligation.public_id)
    ).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"evidence.uploaded", "evidence.linked", "obligation.completed"} <= actions


def test_completion_with_existing_evidence_links_it(cast: Cast) -> None:
    obligation = create(cast)
    evidence = evidence_upload(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        title="Risk report",
        effective_date=date(2025, 6, 1),
        upload=SimpleUploadedFile("r.pdf", b"%PDF", content_type="application/pdf"),
    )

    completion = obligation_complete(
        organization=cast.org, actor=Actor(user=cast.official), obligation=obligation, evidence=evidence
    )

    assert completion.evidence == evidence
    assert evidence.links.get().target_id == str(obligation.public_id)


def test_a_refused_file_fails_the_whole_completion(cast: Cast, settings: SettingsWrapper) -> None:
    obligation = create(cast)
    events = AuditEvent.objects.count()

    with pytest.raises(ServiceError) as refused:
        obligation_complete(
            organization=cast.org,
            actor=Actor(user=cast.official),
            obligation=obligation,
            evidence_file=SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload"),
        )

    assert refused.value.field == "evidence_file"
    assert not ObligationCompletion.objects.exists()
    assert not Evidence.objects.exists()
    assert AuditEvent.objects.count() == events
    obligation.refresh_from_db()
    assert obligation.due_on == date(2025, 6, 30)


def test_evidence_of_another_organization_is_refused(cast: Cast) -> None:
    obligation = create(cast)
    foreign = evidence_upload(
        organization=cast.other_org,
        actor=Actor(user=cast.outsider),
        title="Theirs",
        effective_date=date(2025, 6, 1),
        upload=SimpleUploadedFile("t.pdf", b"%PDF", content_type="application/pdf"),
    )

    with pytest.raises(ServiceError, match="another organization"):
        obligation_complete(
            organization=cast.org, actor=Actor(user=cast.official), obligation=obligation, evidence=foreign
        )

    assert not ObligationCompletion.objects.exists()


def test_a_cancelled_obligation_cannot_be_completed(cast: Cast) -> None:
    obligation = create(cast)
    obligation_cancel(organization=cast.org, actor=Actor(user=cast.owner), obligation=obligation)

    with pytest.raises(ServiceError, match="cancelled, not open"):
        obligation_complete(organization=cast.org, actor=Actor(user=cast.official), obligation=obligation)

    assert not ObligationCompletion.objects.exists()


# --- a completion names the occurrence it completes: a repeated submission does not advance the duty twice ----------


def complete(
    cast: Cast, obligation: Obligation, *, due_on: date | None = None, today: date | None = None
) -> ObligationCompletion:
    return obligation_complete(
        organization=cast.org, actor=Actor(user=cast.official), obligation=obligation, due_on=due_on, today=today
    )


def test_submitting_the_same_completion_twice_advances_the_duty_once(cast: Cast) -> None:
    obligation = create(cast)
    seen = obligation.due_on
    complete(cast, obligation, due_on=seen, today=date(2025, 6, 20))

    with pytest.raises(ServiceError) as refused:
        complete(cast, obligation, due_on=seen, today=date(2025, 6, 20))

    assert refused.value.field == "due_on"
    assert refused.value.message == "This occurrence was already completed; the duty is now due on 2026-06-30."
    obligation.refresh_from_db()
    assert obligation.due_on == date(2026, 6, 30)
    assert ObligationCompletion.objects.count() == 1
    assert AuditEvent.objects.filter(action="obligation.completed").count() == 1


def test_completing_a_one_off_duty_twice_says_it_was_already_completed(cast: Cast) -> None:
    obligation = create(cast, cadence=Cadence.ONCE)
    complete(cast, obligation, due_on=obligation.due_on)

    with pytest.raises(ServiceError, match="already completed; the obligation is done"):
        complete(cast, obligation, due_on=obligation.due_on)

    assert ObligationCompletion.objects.count() == 1


def test_a_completion_of_a_due_date_that_was_moved_is_refused(cast: Cast) -> None:
    obligation = create(cast)
    obligation_update(
        organization=cast.org, actor=Actor(user=cast.owner), obligation=obligation, due_on=date(2025, 9, 30)
    )

    with pytest.raises(ServiceError) as refused:
        complete(cast, obligation, due_on=date(2025, 6, 30))

    assert refused.value.field == "due_on"
    assert "changed to 2025-09-30" in refused.value.message
    assert not ObligationCompletion.objects.exists()


def test_a_completion_naming_the_current_occurrence_is_recorded(cast: Cast) -> None:
    obligation = create(cast)

    completion = complete(cast, obligation, due_on=date(2025, 6, 30), today=date(2025, 6, 20))

    assert completion.due_on == date(2025, 6, 30)
    obligation.refresh_from_db()
    assert obligation.due_on == date(2026, 6, 30)


# --- due dates stay within a range where the calendar arithmetic works ------------------------------------------


@pytest.mark.parametrize("due_on", [date(9999, 12, 31), date(9999, 12, 1), date(1989, 12, 31), date(1, 1, 1)])
def test_create_refuses_a_due_date_out_of_range(cast: Cast, due_on: date) -> None:
    with pytest.raises(ServiceError) as refused:
        create(cast, due_on=due_on)

    assert refused.value.field == "due_on"
    assert refused.value.message.startswith("The due date must be between 1990-01-01 and ")
    assert not Obligation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_due_dates_reach_ten_years_ahead(cast: Cast) -> None:
    today = date(2026, 3, 1)

    assert create(cast, due_on=date(2036, 3, 1), today=today).due_on == date(2036, 3, 1)
    with pytest.raises(ServiceError, match="between 1990-01-01 and 2036-03-01"):
        create(cast, due_on=date(2036, 3, 2), today=today)


def test_update_refuses_a_due_date_out_of_range(cast: Cast) -> None:
    obligation = create(cast)

    with pytest.raises(ServiceError) as refused:
        obligation_update(
            organization=cast.org, actor=Actor(user=cast.owner), obligation=obligation, due_on=date(9999, 12, 1)
        )

    assert refused.value.field == "due_on"
    obligation.refresh_from_db()
    assert obligation.due_on == date(2025, 6, 30)
    assert not AuditEvent.objects.filter(action="obligation.updated").exists()


def test_a_stored_far_future_due_date_does_not_block_other_edits(cast: Cast) -> None:
    obligation = create(cast)
    Obligation.objects.filter(pk=obligation.pk).update(due_on=date(9999, 12, 1))

    obligation_update(organization=cast.org, actor=Actor(user=cast.owner), obligation=obligation, title="Renamed")

    obligation.refresh_from_db()
    assert (obligation.title, obligation.due_on) == ("Renamed", date(9999, 12, 1))


@pytest.mark.parametrize("cadence", [Cadence.MONTHLY, Cadence.ANNUAL])
def test_completing_a_stored_duty_due_in_year_9999_is_refused_not_crashed(cast: Cast, cadence: str) -> None:
    obligation = create(cast, cadence=cadence)
    Obligation.objects.filter(pk=obligation.pk).update(due_on=date(9999, 12, 1))
    events = AuditEvent.objects.count()

    with pytest.raises(ServiceError, match="too far ahead to schedule the next occurrence"):
        complete(cast, obligation)

    assert not ObligationCompletion.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_one_off_duty_due_in_year_9999_can_still_be_completed(cast: Cast) -> None:
    obligation = create(cast, cadence=Cadence.ONCE)
    Obligation.objects.filter(pk=obligation.pk).update(due_on=date(9999, 12, 31))

    complete(cast, obligation)

    obligation.refresh_from_db()
    assert obligation.status == Obligation.Status.DONE


def test_month_arithmetic_still_refuses_a_date_past_the_calendar() -> None:
    assert add_months(date(9999, 11, 30), 1) == date(9999, 12, 30)
    assert can_add_months(date(9999, 11, 30), 1)
    assert not can_add_months(date(9999, 12, 1), 1)
    with pytest.raises(ValueError):
        add_months(date(9999, 12, 1), 1)
