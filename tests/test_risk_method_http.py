"""The risk method: validation through the service, the method page and the API; who may change it."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.urls import reverse

from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.risk.methods import PROFILE_3X3, PROFILE_5X5
from safeguard.risk.models import RiskMethod
from safeguard.risk.services.method import method_for, method_update
from tests.conftest import Cast, client_for
from tests.test_api_support import api_client, audit_count, client_as, error_of, user_of
from tests.test_risk_analysis_support import actor

API = "/api/v1/orgs/clinic/risk-method/"
PAGE = reverse("risk:method_edit", args=["clinic"])


def update(cast: Cast, **values: Any) -> RiskMethod:
    return method_update(organization=cast.org, actor=actor(cast.owner), **values)


# --- validation -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"thresholds": [{"level": "low", "label": "Low", "min_score": 1}]}, "give at least two risk levels"),
        (
            {
                "thresholds": [
                    {"level": "low", "label": "Low", "min_score": 1},
                    {"level": "high", "label": "High", "min_score": 1},
                ]
            },
            "minimum scores must rise",
        ),
        (
            {
                "thresholds": [
                    {"level": "low", "label": "Low", "min_score": 1},
                    {"level": "high", "label": "High", "min_score": 30},
                ],
                "treatment_threshold": "high",
            },
            "starts above the largest possible score (25)",
        ),
        ({"treatment_threshold": "severe"}, "treatment threshold: choose one of low, medium, high, critical"),
        ({"likelihood_levels": [{"value": 1, "label": "Only"}]}, "give between 2 and 10 levels"),
        (
            {"impact_levels": [{"value": 1, "label": "Low"}, {"value": 3, "label": "High"}]},
            "values must run 1, 2, 3",
        ),
    ],
)
def test_an_unsound_method_is_refused_and_nothing_changes(cast: Cast, change: dict[str, Any], message: str) -> None:
    before = audit_count()
    with pytest.raises(ServiceError) as refused:
        update(cast, **change)
    assert message in refused.value.message
    assert refused.value.field == "method"
    assert not RiskMethod.objects.exists()
    assert audit_count() == before


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"profile": "4x4"}, "profile"),
        ({"reanalysis_months": 0}, "reanalysis_months"),
        ({"methodology": " "}, "methodology"),
    ],
)
def test_settings_refusals_name_the_field(cast: Cast, values: dict[str, Any], field: str) -> None:
    with pytest.raises(ServiceError) as refused:
        update(cast, **values)
    assert refused.value.field == field


def test_switching_to_the_3x3_profile_takes_its_scales_and_thresholds(cast: Cast) -> None:
    method = update(cast, profile="3x3")
    assert method.profile == "3x3"
    assert method.likelihood_levels == PROFILE_3X3["likelihood_levels"]
    assert [t["level"] for t in method.thresholds] == ["low", "medium", "high"]
    assert AuditEvent.objects.get(action="risk.method.updated").changes["profile"] == ["5x5", "3x3"]


# --- page -------------------------------------------------------------------------------------------------------


def method_post(method: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "treatment_threshold": method["treatment_threshold"],
        "reanalysis_months": 12,
        "methodology": "Our methodology.",
    }
    for scale in ("likelihood", "impact"):
        for level in method[f"{scale}_levels"]:
            body[f"{scale}_{level['value']}_label"] = level["label"]
            body[f"{scale}_{level['value']}_definition"] = level["definition"]
    for index, threshold in enumerate(method["thresholds"]):
        body[f"threshold_{index}_label"] = threshold["label"]
        body[f"threshold_{index}_min_score"] = threshold["min_score"]
    return body | changes


def test_the_page_shows_the_default_matrix_to_every_program_reader(cast: Cast) -> None:
    response = client_for(cast.auditor).get(PAGE)
    assert response.status_code == 200
    assert len(response.context["matrix"]) == 5
    assert response.context["matrix"][0]["cells"][-1] == {"score": 25, "label": "Critical", "heat": 4}
    assert "Save the method" not in response.content.decode()


def test_a_program_manager_changes_labels_thresholds_and_settings(cast: Cast) -> None:
    body = method_post(PROFILE_5X5, likelihood_1_label="Remote", threshold_3_min_score=20, reanalysis_months=6)

    response = client_for(cast.official).post(PAGE, body)

    assert response.status_code == 302
    method = method_for(cast.org)
    assert method.likelihood_levels[0]["label"] == "Remote"
    assert method.thresholds[3]["min_score"] == 20
    assert (method.reanalysis_months, method.methodology) == (6, "Our methodology.")


def test_an_unsound_threshold_is_shown_on_the_page(cast: Cast) -> None:
    body = method_post(PROFILE_5X5, threshold_2_min_score=3)
    response = client_for(cast.owner).post(PAGE, body)
    assert response.status_code == 200
    assert "minimum scores must rise" in str(response.context["form"].non_field_errors())
    assert not RiskMethod.objects.exists()


def test_the_profile_switch_on_the_page(cast: Cast) -> None:
    client = client_for(cast.owner)
    client.post(PAGE, {"action": "profile", "profile": "3x3"})
    response = client.get(PAGE)
    assert len(response.context["matrix"]) == 3
    assert "likelihood_4_label" not in response.context["form"].fields


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_only_program_managers_change_the_method(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    response = client_for(user_of(cast, who)).post(PAGE, {"action": "profile", "profile": "3x3"})
    assert response.status_code == expected
    assert not RiskMethod.objects.exists()
    assert audit_count() == before


# --- API --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_get_matrix(cast: Cast, who: str, expected: int) -> None:
    response = client_as(cast, who).get(API)
    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert body["profile"] == "5x5" and len(body["matrix"]) == 25
        assert {"likelihood": 5, "impact": 5, "score": 25, "level": "critical"} in body["matrix"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("official", 200), ("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_patch_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    response = client_as(cast, who).patch(API, {"profile": "3x3", "reanalysis_months": 6}, format="json")
    assert response.status_code == expected
    if expected == 200:
        assert (response.json()["profile"], response.json()["reanalysis_months"]) == ("3x3", 6)
    else:
        assert not RiskMethod.objects.exists()
        assert audit_count() == before


def test_put_replaces_the_whole_method(cast: Cast) -> None:
    body = {
        **{name: copy.deepcopy(PROFILE_3X3[name]) for name in ("likelihood_levels", "impact_levels", "thresholds")},
        "treatment_threshold": "high",
        "reanalysis_months": 24,
        "methodology": "Workshops with each department.",
    }
    response = api_client(cast.owner).put(API, body, format="json")
    assert response.status_code == 200
    assert method_for(cast.org).treatment_threshold == "high"

    incomplete = api_client(cast.owner).put(API, {"treatment_threshold": "low"}, format="json")
    assert incomplete.status_code == 400
    assert "methodology" in error_of(incomplete)["fields"]


def test_an_unsound_method_over_the_api_is_a_400(cast: Cast) -> None:
    response = api_client(cast.owner).patch(API, {"treatment_threshold": "severe"}, format="json")
    assert response.status_code == 400
    assert "treatment threshold" in error_of(response)["fields"]["method"][0]
