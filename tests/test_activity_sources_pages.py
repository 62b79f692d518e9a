"""Source pages: who may see and change what, other organizations' sources are 404, lists paginate in a
constant number of queries, the token key shows once, the batch page hides raw lines from auditors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from safeguard.activity.models import IngestBatch, IngestToken, LogSource
from safeguard.activity.services.sources import token_create
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from tests.activity_factories import make_source
from tests.conftest import Cast, client_for


def _url(org: str, tail: str = "") -> str:
    return f"/o/{org}/activity/{tail}"


def test_list_shows_status_of_each_source(cast: Cast, django_assert_max_num_queries) -> None:
    now = timezone.now()
    make_source(cast.org, name="EHR", last_received_at=now - timedelta(hours=1), event_count=1234)
    make_source(cast.org, name="Okta", last_received_at=now - timedelta(hours=30), silent_after_hours=24)
    make_source(cast.org, name="VPN")
    make_source(cast.other_org, name="Theirs")
    client = client_for(cast.auditor)
    with django_assert_max_num_queries(10):
        response = client.get(_url("clinic", "sources/"))
    assert response.status_code == 200
    rows = [(row.source.name, row.status) for row in response.context["rows"]]
    assert rows == [("EHR", "receiving"), ("Okta", "silent for 30 h"), ("VPN", "never received")]
    assert b"Add a source" not in response.content  # auditors read only


def test_list_queries_do_not_grow(cast: Cast, django_assert_max_num_queries) -> None:
    for n in range(30):
        make_source(cast.org, name=f"S{n}")
    client = client_for(cast.owner)
    with django_assert_max_num_queries(10):
        response = client.get(_url("clinic", "sources/"))
    assert len(response.context["rows"]) == 30


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_who_sees_a_source(cast: Cast, who: str, status: int) -> None:
    source = make_source(cast.org)
    user = getattr(cast, who)
    assert client_for(user).get(_url("clinic", f"sources/{source.public_id}/")).status_code == status


def test_other_organizations_source_is_404(cast: Cast) -> None:
    theirs = make_source(cast.other_org)
    assert client_for(cast.owner).get(_url("clinic", f"sources/{theirs.public_id}/")).status_code == 404


def test_create_from_the_form_with_a_mapping(cast: Cast) -> None:
    data = {
        "name": "EHR",
        "kind": "ehr",
        "format": "ehr_csv",
        "time_zone": "America/Denver",
        "silent_after_hours": "12",
        "review_grace_days": "3",
        "map_time": "ACCESS_TIME",
        "map_user_name": "USER_ID",
        "map_action": "METRIC_NAME",
        "map_patient_id": "PAT_ID",
    }
    response = client_for(cast.official).post(_url("clinic", "sources/new/"), data)
    source = LogSource.objects.get()
    assert response.status_code == 302
    assert source.mapping == {
        "time": "ACCESS_TIME",
        "user_name": "USER_ID",
        "action": "METRIC_NAME",
        "patient_id": "PAT_ID",
    }
    assert (source.time_zone, source.silent_after_hours) == ("America/Denver", 12)


def test_create_form_shows_the_mapping_error(cast: Cast) -> None:
    data = {"name": "EHR", "kind": "ehr", "format": "ehr_csv", "time_zone": "UTC", "silent_after_hours": "24"}
    data["review_grace_days"] = "3"
    response = client_for(cast.owner).post(_url("clinic", "sources/new/"), data)
    assert response.status_code == 200
    assert "A CSV source needs the column for time, user_name, action" in response.content.decode()
    assert not LogSource.objects.exists()


@pytest.mark.parametrize("who", ["auditor", "workforce"])
def test_non_managers_cannot_change_anything(cast: Cast, who: str) -> None:
    source = make_source(cast.org)
    client = client_for(getattr(cast, who))
    assert client.get(_url("clinic", "sources/new/")).status_code == 403
    assert client.post(_url("clinic", f"sources/{source.public_id}/active/"), {"active": "0"}).status_code == 403
    assert client.post(_url("clinic", f"sources/{source.public_id}/tokens/"), {"name": "x"}).status_code == 403
    assert not IngestToken.objects.exists()
    assert LogSource.objects.get().is_active
    assert not AuditEvent.objects.filter(action__startswith="activity.").exists()


def test_token_key_shown_once(cast: Cast) -> None:
    source = make_source(cast.org)
    client = client_for(cast.owner)
    response = client.post(_url("clinic", f"sources/{source.public_id}/tokens/"), {"name": "Fluent Bit"})
    key = response.context["key"]
    assert key.startswith("sgi_") and key in response.content.decode()
    detail = client.get(_url("clinic", f"sources/{source.public_id}/")).content.decode()
    assert key not in detail and key[:12] in detail


def test_revoke_another_sources_token_is_404(cast: Cast) -> None:
    source, other = make_source(cast.org), make_source(cast.org, name="VPN")
    token, _ = token_create(organization=cast.org, actor=Actor(cast.owner), source=other, name="x")
    url = _url("clinic", f"sources/{source.public_id}/tokens/{token.public_id}/revoke/")
    assert client_for(cast.owner).post(url).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def _batch(cast: Cast, state: str = "done") -> IngestBatch:
    source = make_source(cast.org)
    return IngestBatch.objects.create(
        organization=cast.org,
        source=source,
        channel="upload",
        state=state,
        lines_read=3,
        accepted=2,
        rejected=1,
        rejects=[{"line": 3, "field": "time", "reason": "not a time", "raw": "PATIENT SECRET"}],
    )


def test_batch_page_hides_raw_lines_from_auditors(cast: Cast) -> None:
    batch = _batch(cast)
    url = _url("clinic", f"batches/{batch.public_id}/")
    owner_page = client_for(cast.owner).get(url).content.decode()
    auditor_page = client_for(cast.auditor).get(url).content.decode()
    assert "PATIENT SECRET" in owner_page and "not a time" in owner_page
    assert "PATIENT SECRET" not in auditor_page and "not a time" in auditor_page
    assert client_for(cast.outsider).get(url).status_code == 404


def test_batch_page_refreshes_while_reading(cast: Cast) -> None:
    batch = _batch(cast, state="running")
    page = client_for(cast.owner).get(_url("clinic", f"batches/{batch.public_id}/")).content.decode()
    assert '<meta http-equiv="refresh"' in page
