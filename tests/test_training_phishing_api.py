"""Phishing simulations over the API: the authorization matrix of every endpoint (nothing changed, nothing audited
on denial), another organization's campaigns not found, campaigns created, changed and deleted with audit rows,
results filtered, metrics matching the hand-computed Spring lure, uploads feeding the import pipeline, and flat
query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.core.models import AuditEvent, FileImport
from safeguard.training.models import PhishingCampaign, PhishingOutcome
from tests import training_factories as train
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_training_phishing_support import events_csv, spring

BASE = "/api/v1/orgs/clinic/training"
READ = [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
WRITE = [("owner", 200), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]


def campaign_with_results(cast: Cast, name: str = "Spring", recipients: int = 3) -> PhishingCampaign:
    campaign = train.campaign(cast.org, name)
    for n in range(recipients):
        status = PhishingOutcome.CLICKED if n % 2 else PhishingOutcome.SENT
        train.phishing_result(campaign, f"r{n}@clinic.test", status=status, department="Nursing")
    return campaign


def reads(campaign: PhishingCampaign) -> list[str]:
    one = f"{BASE}/phishing-campaigns/{campaign.public_id}/"
    return [
        f"{BASE}/phishing-campaigns/",
        one,
        f"{one}results/",
        f"{one}departments/",
        f"{BASE}/phishing-trend/",
        f"{BASE}/phishing-departments/",
        f"{BASE}/phishing-repeat-clickers/",
    ]


@pytest.mark.parametrize(("who", "expected"), READ)
def test_program_viewers_read_every_phishing_endpoint(cast: Cast, who: str, expected: int) -> None:
    client = client_as(cast, who)
    paths = reads(campaign_with_results(cast))

    assert {path: client.get(path).status_code for path in paths} == dict.fromkeys(paths, expected)


@pytest.mark.parametrize(("who", "expected"), WRITE)
def test_only_program_managers_create_change_delete_and_import(cast: Cast, who: str, expected: int) -> None:
    full, empty = campaign_with_results(cast, "Full"), train.campaign(cast.org, "Empty")
    client = client_as(cast, who)
    before = audit_count()

    statuses = {
        "create": client.post(f"{BASE}/phishing-campaigns/", {"name": "New"}, format="json").status_code,
        "patch": client.patch(
            f"{BASE}/phishing-campaigns/{full.public_id}/", {"name": "Renamed"}, format="json"
        ).status_code,
        "delete": client.delete(f"{BASE}/phishing-campaigns/{empty.public_id}/").status_code,
        "import": client.post(
            f"{BASE}/phishing-imports/",
            {"format": "gophish-events", "name": "Up", "file": SimpleUploadedFile("s.csv", events_csv())},
            format="multipart",
        ).status_code,
    }

    if expected == 200:
        assert statuses == {"create": 201, "patch": 200, "delete": 204, "import": 201}
        return
    assert statuses == dict.fromkeys(statuses, expected)
    assert set(PhishingCampaign.objects.values_list("name", flat=True)) == {"Full", "Empty"}
    assert not FileImport.objects.exists()
    assert audit_count() == before


def test_another_organizations_campaign_is_not_found(cast: Cast) -> None:
    elsewhere = train.campaign(cast.other_org, "Elsewhere")
    client = api_client(cast.owner)
    one = f"{BASE}/phishing-campaigns/{elsewhere.public_id}/"

    statuses = [
        client.get(one).status_code,
        client.get(f"{one}results/").status_code,
        client.get(f"{one}departments/").status_code,
        client.patch(one, {"name": "Mine"}, format="json").status_code,
        client.delete(one).status_code,
    ]
    upload = client.post(
        f"{BASE}/phishing-imports/",
        {
            "format": "gophish-events",
            "campaign_id": str(elsewhere.public_id),
            "file": SimpleUploadedFile("s.csv", events_csv()),
        },
        format="multipart",
    )

    assert statuses == [404] * 5
    assert upload.status_code == 400
    assert error_of(upload)["fields"] == {"campaign_id": ["No such phishing campaign in this organization."]}
    assert client.get(f"{BASE}/phishing-campaigns/").json()["count"] == 0
    elsewhere.refresh_from_db()
    assert elsewhere.name == "Elsewhere"


# ---- campaigns -------------------------------------------------------------------------------------------------------


def test_creating_changing_and_deleting_a_campaign_is_audited(cast: Cast) -> None:
    client = api_client(cast.owner)

    created = client.post(
        f"{BASE}/phishing-campaigns/",
        {"name": "Vendor lure", "source": "other", "vendor": "Acme", "description": "Invoice"},
        format="json",
    )
    one = f"{BASE}/phishing-campaigns/{created.json()['public_id']}/"
    changed = client.patch(one, {"name": "Vendor invoice lure"}, format="json")
    deleted = client.delete(one)

    assert created.status_code == 201
    assert {k: created.json()[k] for k in ("name", "source", "vendor", "launched_at")} == {
        "name": "Vendor lure",
        "source": "other",
        "vendor": "Acme",
        "launched_at": None,
    }
    assert created.json()["counts"]["click_rate"] is None
    assert changed.json()["name"] == "Vendor invoice lure"
    assert deleted.status_code == 204
    events = AuditEvent.objects.filter(action__startswith="training.phishing").order_by("sequence")
    assert list(events.values_list("action", flat=True)) == [
        "training.phishing_campaign.created",
        "training.phishing_campaign.updated",
        "training.phishing_campaign.deleted",
    ]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": ""}, "name", "This field may not be blank."),
        ({"name": "Taken"}, "name", "Another campaign is already named “Taken”: pick another name."),
        ({"name": "V", "source": "other"}, "vendor", "Name the vendor whose tool ran the campaign, e.g. KnowBe4."),
        ({"name": "V", "launched_at": "2099-01-01T00:00:00Z"}, "launched_at", "A campaign cannot have been launched"),
    ],
)
def test_a_bad_campaign_is_refused_with_the_field_at_fault(
    cast: Cast, body: dict[str, Any], field: str, message: str
) -> None:
    train.campaign(cast.org, "Taken")
    before = audit_count()

    response = api_client(cast.owner).post(f"{BASE}/phishing-campaigns/", body, format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"][field][0].startswith(message)
    assert PhishingCampaign.objects.count() == 1 and audit_count() == before


def test_a_campaign_with_results_is_not_deleted(cast: Cast) -> None:
    full = campaign_with_results(cast)

    response = api_client(cast.owner).delete(f"{BASE}/phishing-campaigns/{full.public_id}/")

    assert response.status_code == 400
    assert error_of(response)["message"] == "“Spring” holds 3 results: a campaign with results cannot be deleted."
    assert PhishingCampaign.objects.filter(pk=full.pk).exists()


# ---- results and metrics ---------------------------------------------------------------------------------------------


def test_the_spring_lure_metrics_over_the_api(cast: Cast) -> None:
    spring(cast.org, cast.owner)
    campaign = PhishingCampaign.objects.get()
    client = api_client(cast.auditor)
    one = f"{BASE}/phishing-campaigns/{campaign.public_id}/"

    summary = client.get(one).json()
    departments = client.get(f"{one}departments/").json()["results"]
    trend = client.get(f"{BASE}/phishing-trend/").json()
    clicked = client.get(f"{one}results/", {"status": "clicked_any", "on_roster": "false"}).json()["results"]

    assert {k: summary["counts"][k] for k in ("sent", "clicked", "submitted", "reported", "not_on_roster")} == {
        "sent": 9,
        "clicked": 4,
        "submitted": 2,
        "reported": 4,
        "not_on_roster": 2,
    }
    assert round(summary["counts"]["click_rate"], 4) == 0.4444
    assert summary["time_to_report"] == {"median_seconds": 1200, "text": "20 min", "reporters": 4, "timed": 4}
    assert [(d["department"], d["counts"]["clicked"]) for d in departments] == [("", 1), ("Billing", 1), ("Nursing", 2)]
    assert [(p["name"], p["sent"], p["clicked"]) for p in trend["campaigns"]] == [("Spring lure", 9, 4)]
    assert [(r["email"], r["status"], r["person"]) for r in clicked] == [("y@elsewhere.test", "submitted", None)]


def test_a_bad_filter_is_refused_with_what_to_use(cast: Cast) -> None:
    campaign = campaign_with_results(cast)

    response = api_client(cast.owner).get(f"{BASE}/phishing-campaigns/{campaign.public_id}/results/", {"status": "x"})

    assert response.status_code == 400
    assert error_of(response)["fields"]["status"][0].startswith("Use clicked_any or one of not_sent, error")


def test_the_campaign_list_takes_the_same_queries_for_3_or_30_campaigns(cast: Cast) -> None:
    client = api_client(cast.owner)
    client.get(f"{BASE}/phishing-campaigns/")
    counts = []
    for size in (3, 30):
        for n in range(size):
            campaign_with_results(cast, f"C{size}-{n}", recipients=size)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{BASE}/phishing-campaigns/", {"page_size": 100}).status_code == 200
        counts.append(len(captured.captured_queries))

    assert counts[0] == counts[1]


# ---- uploads ---------------------------------------------------------------------------------------------------------


def test_an_upload_starts_an_import_that_is_checked_straight_away(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    client = api_client(cast.owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{BASE}/phishing-imports/",
            {"format": "gophish-events", "name": "Spring lure", "file": SimpleUploadedFile("s.csv", events_csv())},
            format="multipart",
        )

    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["options"]) == ("phishing_gophish_events", {"name": "Spring lure"})
    job = client.get(f"/api/v1/orgs/clinic/file-imports/{body['public_id']}/").json()
    assert job["state"] == "ready"
    assert {line["key"]: line["count"] for line in job["summary"]}["recipients"] == 10
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/api/v1/orgs/clinic/file-imports/{body['public_id']}/commit/")
    assert PhishingCampaign.objects.get().results.count() == 10


def test_an_upload_with_options_that_cannot_work_is_refused(cast: Cast) -> None:
    response = api_client(cast.owner).post(
        f"{BASE}/phishing-imports/",
        {"format": "generic", "name": "Vendor", "file": SimpleUploadedFile("s.csv", b"email,status\n")},
        format="multipart",
    )

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"options": ["Name the vendor whose tool ran the campaign, e.g. KnowBe4."]}
    assert not FileImport.objects.exists()
