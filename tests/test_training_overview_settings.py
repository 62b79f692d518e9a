"""The training settings: the service's limits and audit event, the page (viewers read, managers change) and
GET/PATCH training/settings/, with authorization matrices that also check nothing changed on denial."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.training.models import TrainingSettings
from safeguard.training.services.settings import training_settings_update
from tests.conftest import Cast, client_for
from tests.test_api_support import api_client, audit_count, client_as, error_of

API = "/api/v1/orgs/clinic/training/settings/"


def page_url(slug: str = "clinic") -> str:
    return reverse("training:settings", args=[slug])


def events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="training.settings.updated").order_by("sequence"))


def stored(cast: Cast) -> TrainingSettings | None:
    return TrainingSettings.objects.filter(organization=cast.org).first()


# ---- the service -------------------------------------------------------------------------------------------------


def test_update_changes_audits_and_asks_for_an_evaluation(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        settings = training_settings_update(
            organization=cast.org,
            actor=Actor(user=cast.official),
            completion_threshold=90,
            certificate_signatory="  Dana Reyes, Security Official ",
        )
    assert (settings.completion_threshold, settings.certificate_signatory) == (90, "Dana Reyes, Security Official")
    assert settings.ack_threshold == 95
    [event] = events()
    assert event.changes == {
        "certificate_signatory": ["", "Dana Reyes, Security Official"],
        "completion_threshold": [95, 90],
    }
    assert event.actor == cast.official
    assert len(callbacks) == 1


def test_no_change_writes_nothing(cast: Cast) -> None:
    training_settings_update(organization=cast.org, actor=Actor(user=cast.owner), completion_threshold=95)
    assert stored(cast) is None
    assert events() == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("completion_threshold", 49, "Give a whole number of percent from 50 to 100."),
        ("ack_threshold", 101, "Give a whole number of percent from 50 to 100."),
        ("reminder_cadence_months", 0, "Give a whole number of months from 1 to 12."),
        ("reminder_periods", 13, "Give a whole number of periods from 1 to 12."),
        ("remind_days_before", 61, "Give a whole number of days from 0 to 60."),
        ("escalate_days_after", -1, "Give a whole number of days from 0 to 60."),
        ("escalate_days_after", True, "Give a whole number of days from 0 to 60."),
        ("certificate_signatory", "x" * 201, "At most 200 characters: a name and a title."),
        ("colour", "blue", "Unknown setting: colour."),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(cast: Cast, field: str, value: object, message: str) -> None:
    with pytest.raises(ServiceError) as refused:
        training_settings_update(
            organization=cast.org, actor=Actor(user=cast.owner), **{"certificate_signatory": "Dana", field: value}
        )
    assert (refused.value.field, refused.value.message) == (field, message)
    assert stored(cast) is None
    assert events() == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("completion_threshold", 50), ("completion_threshold", 100), ("reminder_periods", 12), ("remind_days_before", 0)],
)
def test_limits_are_inclusive(cast: Cast, field: str, value: int) -> None:
    training_settings_update(organization=cast.org, actor=Actor(user=cast.owner), **{field: value})
    assert getattr(stored(cast), field) == value


# ---- the page ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_page_matrix(cast: Cast, who: str, expected: int) -> None:
    user = {"owner": cast.owner, "auditor": cast.auditor, "workforce": cast.workforce, "outsider": cast.outsider}[who]
    assert client_for(user).get(page_url()).status_code == expected


def test_a_reader_sees_the_values_without_a_form(cast: Cast) -> None:
    TrainingSettings.objects.create(organization=cast.org, completion_threshold=90, certificate_signatory="Dana Reyes")
    body = client_for(cast.auditor).get(page_url()).content.decode()
    assert "<dd>90%</dd>" in body and "Dana Reyes" in body
    assert '<form method="post" class="form narrow"' not in body


def test_a_manager_saves_the_form(cast: Cast) -> None:
    client = client_for(cast.official)
    form = client.get(page_url()).content.decode()
    assert 'name="completion_threshold"' in form and 'min="50"' in form
    values = {
        "completion_threshold": 90,
        "ack_threshold": 95,
        "reminder_cadence_months": 1,
        "reminder_periods": 3,
        "remind_days_before": 7,
        "escalate_days_after": 2,
        "certificate_signatory": "Dana Reyes, Security Official",
    }
    response = client.post(page_url(), values)
    assert response.status_code == 302
    settings = stored(cast)
    assert settings is not None
    assert (settings.completion_threshold, settings.escalate_days_after) == (90, 2)
    assert set(events()[0].changes) == {"certificate_signatory", "completion_threshold", "escalate_days_after"}


def test_the_form_shows_the_services_message(cast: Cast) -> None:
    values = {
        "completion_threshold": 40,
        "ack_threshold": 95,
        "reminder_cadence_months": 1,
        "reminder_periods": 3,
        "remind_days_before": 7,
        "escalate_days_after": 1,
        "certificate_signatory": "",
    }
    response = client_for(cast.owner).post(page_url(), values)
    assert response.status_code == 200
    assert "Give a whole number of percent from 50 to 100." in response.content.decode()
    assert stored(cast) is None


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_only_managers_post(cast: Cast, who: str, expected: int) -> None:
    user = {"auditor": cast.auditor, "workforce": cast.workforce, "outsider": cast.outsider}[who]
    before = audit_count()
    response = client_for(user).post(page_url(), {"completion_threshold": 60})
    assert response.status_code == expected
    assert stored(cast) is None
    assert audit_count() == before


# ---- the API -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_api_read_matrix(cast: Cast, who: str, expected: int) -> None:
    response = client_as(cast, who).get(API)
    assert response.status_code == expected
    if expected == 200:
        assert response.json() == {
            "completion_threshold": 95,
            "ack_threshold": 95,
            "reminder_cadence_months": 1,
            "reminder_periods": 3,
            "remind_days_before": 7,
            "escalate_days_after": 1,
            "certificate_signatory": "",
        }


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("official", 200), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_api_patch_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    response = client_as(cast, who).patch(API, {"reminder_periods": 6}, format="json")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["reminder_periods"] == 6
        assert events()[0].changes == {"reminder_periods": [3, 6]}
    else:
        assert stored(cast) is None
        assert audit_count() == before


def test_api_patch_names_the_field_at_fault(cast: Cast) -> None:
    response = api_client(cast.owner).patch(API, {"reminder_cadence_months": 13, "ack_threshold": 80}, format="json")
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"reminder_cadence_months": ["Give a whole number of months from 1 to 12."]}
    assert stored(cast) is None


def test_api_patch_checks_the_shape(cast: Cast) -> None:
    response = api_client(cast.owner).patch(API, {"completion_threshold": "many"}, format="json")
    assert response.status_code == 400
    assert "completion_threshold" in error_of(response)["fields"]
    assert stored(cast) is None


def test_api_settings_are_per_organization(cast: Cast) -> None:
    TrainingSettings.objects.create(organization=cast.other_org, completion_threshold=60)
    assert api_client(cast.owner).get(API).json()["completion_threshold"] == 95
    assert api_client(cast.outsider).get("/api/v1/orgs/other/training/settings/").json()["completion_threshold"] == 60
