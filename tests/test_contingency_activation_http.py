"""Emergency activations over the pages and the API: viewers read, managers write, other organizations'
activations are not found, the list costs the same queries whatever its length."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.contingency.models import EmergencyActivation
from safeguard.contingency.services.activations import activation_create
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Organization, User
from tests.conftest import Cast, client_for
from tests.contingency_plan_factories import approved, break_glass_use, critical_asset, incident, plan
from tests.test_api_support import client_as, error_of

PAGES = "/o/clinic/contingency/plans/activations/"
API = "/api/v1/orgs/clinic/contingency/activations/"


def record(organization: Organization, user: User, title: str = "EHR outage") -> EmergencyActivation:
    return activation_create(
        organization=organization,
        actor=Actor(user=user),
        title=title,
        reason="Ransomware.",
        started_at=timezone.now() - timedelta(hours=3),
        assets=[critical_asset(organization, f"{title} system")],
    )


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_program_viewers_read_activations(cast: Cast, who: str, expected: int):
    one = record(cast.org, cast.owner)
    page, api = client_for(getattr(cast, who)), client_as(cast, who)
    assert page.get(PAGES).status_code == expected
    assert page.get(f"{PAGES}{one.public_id}/").status_code == expected
    assert api.get(API).status_code == expected
    assert api.get(f"{API}{one.public_id}/").status_code == expected


def test_auditors_cannot_write_and_nothing_changes(cast: Cast):
    one = record(cast.org, cast.owner)
    before = AuditEvent.objects.count()
    page, api = client_for(cast.auditor), client_as(cast, "auditor")
    assert page.get(f"{PAGES}new/").status_code == 403
    assert page.post(f"{PAGES}{one.public_id}/edit/", {"title": "x"}).status_code == 403
    assert page.post(f"{PAGES}{one.public_id}/close/", {"ended_at": "2026-01-01T10:00"}).status_code == 403
    assert page.post(f"{PAGES}{one.public_id}/decisions/", {"decision": "x"}).status_code == 403
    assert api.post(API, {"title": "x"}, format="json").status_code == 403
    assert api.patch(f"{API}{one.public_id}/", {"title": "x"}, format="json").status_code == 403
    assert api.post(f"{API}{one.public_id}/decisions/", {"decision": "x"}, format="json").status_code == 403
    one.refresh_from_db()
    assert (one.title, one.ended_at, one.decisions) == ("EHR outage", None, [])
    assert AuditEvent.objects.count() == before


def test_other_organizations_activations_are_not_found(cast: Cast):
    theirs = record(cast.other_org, cast.outsider)
    page, api = client_for(cast.owner), client_as(cast, "owner")
    assert page.get(f"{PAGES}{theirs.public_id}/").status_code == 404
    assert page.post(f"{PAGES}{theirs.public_id}/decisions/", {"decision": "x"}).status_code == 404
    assert api.get(f"{API}{theirs.public_id}/").status_code == 404
    assert api.patch(f"{API}{theirs.public_id}/", {"title": "x"}, format="json").status_code == 404
    assert api.post(f"{API}{theirs.public_id}/decisions/", {"decision": "x"}, format="json").status_code == 404
    assert api.get(API).json()["count"] == 0


def test_record_on_the_page_and_see_the_break_glass_use_offered(cast: Cast):
    ehr = critical_asset(cast.org, "EHR")
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [ehr])
    case = incident(cast.org, cast.owner)
    start = timezone.localtime() - timedelta(hours=4)
    use = break_glass_use(cast.org, start + timedelta(hours=1), "Pharmacy")
    owner = client_for(cast.owner)
    form = owner.get(f"{PAGES}new/").content.decode()
    assert "BG-Pharmacy on Pharmacy system" in form
    response = owner.post(
        f"{PAGES}new/",
        {
            "title": "EHR outage",
            "reason": "Ransomware.",
            "started_at": start.strftime("%Y-%m-%dT%H:%M"),
            "plan_version": version.public_id,
            "assets": [ehr.public_id],
            "incident": case.public_id,
        },
    )
    activation = EmergencyActivation.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{PAGES}{activation.public_id}/"
    page = owner.get(f"{PAGES}{activation.public_id}/").content.decode()
    assert "Began during this activation and not linked yet" in page and "BG-Pharmacy" in page
    assert case.reference in page
    response = owner.post(f"{PAGES}{activation.public_id}/decisions/", {"decision": "Go to paper charts."})
    assert response.status_code == 302
    ended = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    assert owner.post(f"{PAGES}{activation.public_id}/close/", {"ended_at": ended}).status_code == 302
    activation.refresh_from_db()
    assert activation.decisions[0]["decision"] == "Go to paper charts." and activation.ended_at is not None
    assert use not in activation.break_glass.all()


def test_a_refused_close_shows_the_reason(cast: Cast):
    one = record(cast.org, cast.owner)
    early = (one.started_at - timedelta(hours=1)).astimezone(timezone.get_current_timezone())
    response = client_for(cast.owner).post(
        f"{PAGES}{one.public_id}/close/", {"ended_at": early.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 200
    assert "The end cannot come before the start." in response.content.decode()


def test_the_api_records_links_decides_and_closes(cast: Cast):
    ehr = critical_asset(cast.org, "EHR")
    case = incident(cast.org, cast.owner)
    start = timezone.now() - timedelta(hours=4)
    use = break_glass_use(cast.org, start + timedelta(hours=1))
    api = client_as(cast, "owner")
    created = api.post(
        API,
        {
            "title": "EHR outage",
            "reason": "Ransomware.",
            "started_at": start.isoformat(),
            "assets": [str(ehr.public_id)],
            "incident": str(case.public_id),
            "break_glass": [str(use.public_id)],
        },
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["incident"], body["break_glass"], body["ended_at"]) == (
        str(case.public_id),
        [str(use.public_id)],
        None,
    )
    url = f"{API}{body['public_id']}/"
    decided = api.post(f"{url}decisions/", {"decision": "Divert ambulances."}, format="json")
    assert decided.status_code == 201
    assert [(d["by"], d["decision"]) for d in decided.json()["decisions"]] == [
        ("owner@clinic.test", "Divert ambulances.")
    ]
    closed = api.patch(url, {"ended_at": timezone.now().isoformat()}, format="json")
    assert closed.status_code == 200 and closed.json()["ended_at"] is not None
    bad = api.patch(url, {"ended_at": (start - timedelta(hours=1)).isoformat()}, format="json")
    assert error_of(bad)["fields"] == {"ended_at": ["The end cannot come before the start."]}
    theirs = incident(cast.other_org, cast.outsider)
    wrong = api.patch(url, {"incident": str(theirs.public_id)}, format="json")
    assert error_of(wrong)["fields"] == {"incident": ["No such incident in this organization."]}


def test_lists_cost_the_same_queries_for_one_activation_or_many(cast: Cast):
    page, api = client_for(cast.owner), client_as(cast, "owner")
    record(cast.org, cast.owner, "First")
    page.get(PAGES)
    with CaptureQueriesContext(connection) as one:
        assert page.get(PAGES).status_code == 200
        assert api.get(API).status_code == 200
    for n in range(5):
        made = record(cast.org, cast.owner, f"Outage {n}")
        made.break_glass.add(break_glass_use(cast.org, timezone.now() - timedelta(hours=1), f"S{n}"))
    with CaptureQueriesContext(connection) as many:
        assert page.get(PAGES).status_code == 200
        assert api.get(API).json()["count"] == 6
    assert len(many) == len(one)


def test_the_edit_page_offers_the_window_and_links_a_use(cast: Cast):
    one = record(cast.org, cast.owner)
    during = break_glass_use(cast.org, one.started_at + timedelta(minutes=20), "Lab")
    long_before = break_glass_use(cast.org, one.started_at - timedelta(days=3), "Old")
    owner = client_for(cast.owner)
    form = owner.get(f"{PAGES}{one.public_id}/edit/").content.decode()
    assert "BG-Lab on Lab system" in form and "BG-Old" not in form
    local_start = timezone.localtime(one.started_at).strftime("%Y-%m-%dT%H:%M")
    response = owner.post(
        f"{PAGES}{one.public_id}/edit/",
        {
            "title": "EHR and lab outage",
            "reason": "Ransomware.",
            "started_at": local_start,
            "assets": [asset.public_id for asset in one.assets.all()],
            "break_glass": [during.public_id],
        },
    )
    assert response.status_code == 302
    one.refresh_from_db()
    assert one.title == "EHR and lab outage"
    changed = AuditEvent.objects.filter(action="contingency.activation.updated").get().changes
    assert sorted(changed) == ["break_glass", "title"]  # the start shown to the minute is not a change
    assert list(one.break_glass.all()) == [during] and long_before not in one.break_glass.all()
