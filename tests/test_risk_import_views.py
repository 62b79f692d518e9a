"""Import pages over HTTP: upload, mapping, progress, errors or preview, commit, the list; who may do what."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.core.models import User
from safeguard.risk.models import Asset, ImportJob
from tests.conftest import Cast, client_for
from tests.test_api_support import audit_count
from tests.test_risk_import_support import (
    ASSET_HEADER,
    Capture,
    actions,
    binary_file,
    checked,
    csv_file,
    inventory,
    start,
)

State = ImportJob.State


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


def mapping_post(**mapping: str) -> dict[str, Any]:
    return {"name": "name", "kind": "kind", **mapping}


# ---- the journey -------------------------------------------------------------------------------------------------


def test_upload_map_preview_and_commit_through_the_pages(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    client = client_for(cast.official)
    form = client.get(url("import_start"), {"kind": "data_flows"})
    assert form.status_code == 200
    assert form.context["form"].initial["kind"] == "data_flows"

    response = client.post(url("import_start"), {"kind": "assets", "file": csv_file("Name,Type\nEHR,application\n")})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == url("import_detail", job.public_id)
    detail = client.get(response["Location"])
    assert detail.context["form"].initial == {"name": "Name"}
    assert b'<meta http-equiv="refresh"' not in detail.content

    with django_capture_on_commit_callbacks(execute=True):
        mapped = client.post(url("import_map", job.public_id), {"name": "Name", "kind": "Type"})
    assert mapped.status_code == 302
    preview = client.get(url("import_detail", job.public_id))
    assert preview.context["ready"] is True
    assert preview.context["preview"][0]["cells"][0] == ("EHR", False)
    assert b"Commit all 1 row" in preview.content

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("import_commit", job.public_id))
    done = client.get(url("import_detail", job.public_id))
    assert done.context["job"].state == State.COMMITTED
    assert b"1 created, 0 updated" in done.content
    assert Asset.objects.get().name == "EHR"
    assert actions("risk.import.") == ["risk.import.started", "risk.import.mapped", "risk.import.committed"]


@pytest.mark.parametrize("state", [State.VALIDATING, State.COMMITTING])
def test_the_page_refreshes_itself_while_work_is_running(cast: Cast, state: str) -> None:
    job = start(cast, csv_file("name,kind\nEHR,application\n"))
    ImportJob.objects.filter(pk=job.pk).update(state=state, total_rows=400, processed_rows=200)
    response = client_for(cast.owner).get(url("import_detail", job.public_id))
    assert b'<meta http-equiv="refresh" content="2">' in response.content
    assert response.context["percent"] == 50
    assert response.context["form"] is None


def test_errors_are_listed_in_pages_of_two_hundred(cast: Cast, django_capture_on_commit_callbacks: Capture) -> None:
    rows = "".join(f"Asset {n},gadget,,,,,,\n" for n in range(250))
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(ASSET_HEADER + "\n" + rows))
    client = client_for(cast.owner)
    first = client.get(url("import_detail", job.public_id))
    assert len(first.context["errors_page"].object_list) == 200
    assert b"250 errors: nothing was committed" in first.content
    assert b"Commit all" not in first.content
    second = client.get(url("import_detail", job.public_id), {"page": 2})
    assert [error["row"] for error in second.context["errors_page"].object_list][:2] == [202, 203]
    assert len(second.context["errors_page"].object_list) == 50


def test_an_unreadable_file_is_shown_on_the_form(cast: Cast) -> None:
    upload = binary_file()
    response = client_for(cast.owner).post(url("import_start"), {"kind": "assets", "file": upload})
    assert response.status_code == 200
    assert "is not UTF-8 text" in str(response.context["form"].errors["file"])
    assert not ImportJob.objects.exists()


def test_a_mapping_without_a_required_column_stays_on_the_page(cast: Cast) -> None:
    job = start(cast, csv_file("name,kind\nEHR,application\n"))
    response = client_for(cast.owner).post(url("import_map", job.public_id), {"name": "name", "kind": ""})
    assert response.status_code == 200
    assert "Choose the column for “Kind”" in str(response.context["form"].errors["kind"])
    assert ImportJob.objects.get().state == State.UPLOADED


def test_committing_an_import_that_is_not_ready_says_why(cast: Cast) -> None:
    job = start(cast, csv_file("name,kind\nEHR,application\n"))
    client = client_for(cast.owner)
    response = client.post(url("import_commit", job.public_id), follow=True)
    assert "Only a checked file without errors can be committed" in response.content.decode()
    assert ImportJob.objects.get().state == State.UPLOADED
    assert inventory() == (0, 0)


# ---- the list ----------------------------------------------------------------------------------------------------


def test_list_filters_by_kind_and_state(cast: Cast) -> None:
    start(cast, csv_file("name,kind\n", name="assets.csv"))
    flows = start(cast, csv_file("source,destination\n", name="flows.csv"), kind="data_flows")
    ImportJob.objects.filter(pk=flows.pk).update(state=State.COMMITTED)
    client = client_for(cast.owner)

    def names(**query: str) -> list[str]:
        return [job.file_name for job in client.get(url("import_list"), query).context["page"].object_list]

    assert names() == ["flows.csv", "assets.csv"]
    assert names(kind="assets") == ["assets.csv"]
    assert names(state="committed") == ["flows.csv"]


def test_list_queries_do_not_grow_with_imports(cast: Cast) -> None:
    client = client_for(cast.owner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("import_list")).status_code == 200
        return len(captured)

    for n in range(3):
        start(cast, csv_file("name,kind\n", name=f"{n}.csv"), user=cast.official if n % 2 else cast.owner)
    queries()
    few = queries()
    for n in range(3, 30):
        start(cast, csv_file("name,kind\n", name=f"{n}.csv"), user=cast.official if n % 2 else cast.owner)
    assert queries() == few


# ---- who may ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 200), ("official", 200), ("auditor", 403), ("workforce", 403), ("outsider", 404)]
)
def test_read_pages_matrix(cast: Cast, who: str, status: int) -> None:
    job = start(cast, csv_file("name,kind\nEHR,application\n"))
    client = client_for(user_of(cast, who))
    for page in (url("import_list"), url("import_start"), url("import_detail", job.public_id)):
        assert client.get(page).status_code == status, page


@pytest.mark.parametrize(
    ("who", "status"), [("official", 302), ("auditor", 403), ("workforce", 403), ("outsider", 404)]
)
def test_write_pages_matrix(cast: Cast, who: str, status: int, django_capture_on_commit_callbacks: Capture) -> None:
    ready = checked(cast, django_capture_on_commit_callbacks, csv_file("name,kind\nEHR,application\n"))
    uploaded = start(cast, csv_file("name,kind\nPACS,server\n"))
    client = client_for(user_of(cast, who))
    before_audit, before_jobs = audit_count(), ImportJob.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            client.post(url("import_start"), {"kind": "assets", "file": csv_file("name,kind\nFax,endpoint\n")}),
            client.post(url("import_map", uploaded.public_id), mapping_post()),
            client.post(url("import_commit", ready.public_id)),
        ]
    assert [response.status_code for response in responses] == [status] * 3
    if status != 302:
        assert audit_count() == before_audit
        assert ImportJob.objects.count() == before_jobs
        assert ImportJob.objects.get(pk=uploaded.pk).state == State.UPLOADED
        assert ImportJob.objects.get(pk=ready.pk).state == State.READY
        assert inventory() == (0, 0)
    else:
        assert ImportJob.objects.get(pk=ready.pk).state == State.COMMITTED
        assert ImportJob.objects.get(pk=uploaded.pk).state == State.READY


def test_anonymous_visitors_are_sent_to_sign_in(cast: Cast) -> None:
    response = client_for(None).get(url("import_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_import_of_another_organization_is_not_found(cast: Cast) -> None:
    theirs = ImportJob.objects.create(
        organization=cast.other_org,
        kind="assets",
        file_name="theirs.csv",
        file_format="csv",
        stored_name="risk-imports/x.csv",
        headers=["name", "kind"],
        created_by=cast.outsider,
    )
    ours = start(cast, csv_file("name,kind\nEHR,application\n"))
    client = client_for(cast.owner)
    assert client.get(url("import_detail", theirs.public_id)).status_code == 404
    assert client.post(url("import_map", theirs.public_id), mapping_post()).status_code == 404
    assert client.post(url("import_commit", theirs.public_id)).status_code == 404
    assert "theirs.csv" not in client.get(url("import_list")).content.decode()
    outsider = client_for(cast.outsider)
    assert outsider.get(url("import_detail", ours.public_id, org="other")).status_code == 404
    assert ImportJob.objects.get(pk=theirs.pk).state == State.UPLOADED
