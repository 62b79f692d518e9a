"""Risk imports over HTTP: the pages and the API, who may, and one organization's file never touching another's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from safeguard.core.audit import Actor
from safeguard.core.models import User
from safeguard.risk.models import ImportJob, Risk, RiskAnalysis
from safeguard.risk.services.analyses import analysis_start
from tests.conftest import Cast, client_for
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_risk_import_support import Capture, actions, asset, checked, csv_file, xlsx_file

State = ImportJob.State
API = "/api/v1/orgs/clinic/imports/"
REGISTER = "title,assets,likelihood,impact,owner\nRansomware,EHR,Likely,Severe,so@clinic.test\nFlood,,1,2,\n"


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"risk:{name}", args=[org, *args])


def user_of(cast: Cast, who: str) -> User:
    return {
        "owner": cast.owner,
        "official": cast.official,
        "auditor": cast.auditor,
        "workforce": cast.workforce,
        "outsider": cast.outsider,
    }[who]


def in_review(cast: Cast) -> RiskAnalysis:
    analysis = analysis_start(organization=cast.org, actor=Actor(user=cast.official), title="2026 analysis")
    RiskAnalysis.objects.filter(pk=analysis.pk).update(status=RiskAnalysis.Status.IN_REVIEW)
    return analysis


# ---- pages -------------------------------------------------------------------------------------------------------


def test_upload_map_preview_and_commit_risks_through_the_pages(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    asset(cast, "EHR")
    client = client_for(cast.official)
    form = client.get(url("import_start"), {"kind": "risks"})
    assert "New risks are recorded in the register, between analyses." in form.content.decode()
    response = client.post(url("import_start"), {"kind": "risks", "file": csv_file(REGISTER, "register.csv")})
    job = ImportJob.objects.get()
    assert (job.kind, response["Location"]) == ("risks", url("import_detail", job.public_id))
    detail = client.get(response["Location"])
    assert detail.context["form"].initial == {
        "title": "title",
        "assets": "assets",
        "likelihood": "likelihood",
        "impact": "impact",
        "owner": "owner",
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("import_map", job.public_id), detail.context["form"].initial)
    preview = client.get(url("import_detail", job.public_id))
    assert preview.context["ready"] is True, preview.context["job"].errors
    assert [label for _, label in preview.context["preview_columns"]][:3] == ["Reference", "Title", "Assets"]
    assert ("4", False) in preview.context["preview"][0]["cells"]
    assert b"Commit all 2 rows" in preview.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("import_commit", job.public_id))
    done = client.get(url("import_detail", job.public_id))
    assert b"2 created, 0 updated" in done.content
    assert done.context["risk_destination"] == ""
    assert list(Risk.objects.values_list("title", "inherent_score")) == [("Ransomware", 20), ("Flood", 2)]
    listed = client.get(url("import_list"), {"kind": "risks"}).context["page"].object_list
    assert [item.file_name for item in listed] == ["register.csv"]


def test_the_pages_say_where_new_risks_go_and_refuse_while_the_analysis_is_in_review(cast: Cast) -> None:
    analysis_start(organization=cast.org, actor=Actor(user=cast.official), title="2026 analysis")
    client = client_for(cast.owner)
    assert "go into the draft analysis “2026 analysis”" in client.get(url("import_start")).content.decode()
    RiskAnalysis.objects.update(status=RiskAnalysis.Status.IN_REVIEW)
    response = client.post(url("import_start"), {"kind": "risks", "file": csv_file(REGISTER)})
    assert response.status_code == 200
    assert "“2026 analysis” is in review" in str(response.context["form"].errors["kind"])
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_who_may_not_import_risks_changes_nothing(
    cast: Cast, who: str, status: int, django_capture_on_commit_callbacks: Capture
) -> None:
    ready = checked(cast, django_capture_on_commit_callbacks, csv_file("title\nFlood\n"), "risks")
    client = client_for(user_of(cast, who))
    before = audit_count()
    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            client.post(url("import_start"), {"kind": "risks", "file": csv_file("title\nFire\n")}),
            client.post(url("import_map", ready.public_id), {"title": "title"}),
            client.post(url("import_commit", ready.public_id)),
        ]
    assert [response.status_code for response in responses] == [status] * 3
    assert audit_count() == before
    assert ImportJob.objects.get().state == State.READY
    assert not Risk.objects.exists()


# ---- the API ---------------------------------------------------------------------------------------------------


def test_the_whole_risk_import_over_the_api(cast: Cast, django_capture_on_commit_callbacks: Capture) -> None:
    asset(cast, "EHR")
    client = api_client(cast.owner)
    upload = xlsx_file([["Risk", "Systems", "Likelihood"], ["Ransomware", "EHR", 4], ["Flood", "Ghost", 9]])
    created = client.post(API, {"kind": "risks", "file": upload}, format="multipart")
    assert created.status_code == 201
    job = ImportJob.objects.get(public_id=created.json()["public_id"])
    assert created.json()["mapping"] == {"title": "Risk", "assets": "Systems", "likelihood": "Likelihood"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{API}{job.public_id}/mapping/", {"mapping": created.json()["mapping"]}, format="json")
    invalid = client.get(f"{API}{job.public_id}/").json()
    assert invalid["state"] == "invalid"
    assert invalid["errors"] == [
        {
            "row": 3,
            "column": "Systems",
            "message": "No asset named 'Ghost' in the inventory: add an asset first, or fix the name.",
        },
        {"row": 3, "column": "Likelihood", "message": "likelihood 9 is outside the 5×5 matrix (1–5)."},
    ]
    refused = client.post(f"{API}{job.public_id}/commit/")
    assert refused.status_code == 400 and not Risk.objects.exists()

    fixed = xlsx_file([["Risk", "Systems", "Likelihood"], ["Ransomware", "EHR", "Almost certain"]])
    job_id = client.post(API, {"kind": "risks", "file": fixed}, format="multipart").json()["public_id"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{API}{job_id}/mapping/", {"mapping": created.json()["mapping"]}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{API}{job_id}/commit/").status_code == 202
    done = client.get(f"{API}{job_id}/").json()
    assert (done["state"], done["created_count"]) == ("committed", 1)
    assert Risk.objects.get().likelihood == 5


def test_the_api_refuses_a_risk_upload_while_the_analysis_is_in_review(cast: Cast) -> None:
    in_review(cast)
    response = api_client(cast.owner).post(API, {"kind": "risks", "file": csv_file(REGISTER)}, format="multipart")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["kind"]
    assert "return it to draft" in error_of(response)["fields"]["kind"][0]
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 201), ("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_api_risk_upload_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    response = client_as(cast, who).post(API, {"kind": "risks", "file": csv_file(REGISTER)}, format="multipart")
    assert response.status_code == expected
    assert ImportJob.objects.exists() == (expected == 201)
    if expected != 201:
        assert audit_count() == before


# ---- isolation ---------------------------------------------------------------------------------------------------


def test_a_file_never_reaches_another_organizations_risks_or_assets(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    theirs = Risk.objects.create(organization=cast.other_org, number=1, title="Their risk", likelihood=1)
    asset(cast, "Their EHR", organization=cast.other_org)
    text = "reference,title,assets,likelihood\nR-0001,Our risk,,5\nR-0002,Other,Their EHR,1\n"
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text), "risks")
    assert [(error["row"], error["column"]) for error in job.errors] == [(3, "assets")]
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text.rsplit("R-0002", 1)[0]), "risks")
    assert [row["action"] for row in job.preview] == ["create"]
    with django_capture_on_commit_callbacks(execute=True):
        client_for(cast.owner).post(url("import_commit", job.public_id))
    ours = Risk.objects.get(organization=cast.org)
    assert (ours.reference, ours.title, ours.likelihood) == ("R-0001", "Our risk", 5)
    theirs.refresh_from_db()
    assert (theirs.title, theirs.likelihood) == ("Their risk", 1)
    assert "risk.assessed" not in actions()
    outsider = client_for(cast.outsider)
    assert outsider.get(url("import_detail", job.public_id, org="other")).status_code == 404
