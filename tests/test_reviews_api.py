"""Access reviews over the API: who reads and writes what, isolation, a manager's own items, decisions single and
bulk, attestation, closing, revocations, the evidence package's files, bad input and flat query counts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from safeguard.access.models import ReviewCampaign, ReviewerAttestation, ReviewItem
from safeguard.core.models import AuditEvent, User
from safeguard.core.roles import Role
from tests import access_factories
from tests.conftest import Cast, make_member
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_reviews_decisions_support import TODAY, Status, campaign, decide_all, items, manager, system

BASE = "/api/v1/orgs/clinic/reviews/"
KEEP, REVOKE = ReviewItem.Decision.KEEP, ReviewItem.Decision.REVOKE


@dataclass
class Scene:
    review: ReviewCampaign
    boss: User
    other: User
    mine: list[ReviewItem]
    theirs: list[ReviewItem]

    @property
    def address(self) -> str:
        return f"{BASE}{self.review.public_id}/"

    def item(self, item: ReviewItem, action: str = "") -> str:
        return f"{self.address}items/{item.public_id}/{action}"


@pytest.fixture
def scene(cast: Cast) -> Scene:
    boss, other = manager(cast.org), manager(cast.org, "otherboss")
    review = campaign(cast.org, cast.official)
    mine = items(review, system(cast.org), boss, 2, findings=1)
    theirs = items(review, system(cast.org, "Billing"), other, 1)
    return Scene(review, boss, other, mine, theirs)


def client_of(cast: Cast, scene: Scene, who: str) -> APIClient:
    if who == "manager":
        return api_client(scene.boss)
    if who == "privacy":
        return api_client(make_member(cast.org, "privacy@clinic.test", Role.PRIVACY_OFFICER).user)
    return client_as(cast, who)


# ---- who may do what --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("official", 200), ("manager", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)],
)
def test_reads_matrix(cast: Cast, scene: Scene, who: str, expected: int) -> None:
    client = client_of(cast, scene, who)
    before = audit_count()

    answers = [
        client.get(BASE),
        client.get(scene.address),
        client.get(f"{scene.address}items/"),
        client.get(f"{BASE}revocations/"),
    ]

    assert [answer.status_code for answer in answers] == [expected] * 4
    assert audit_count() == before
    assert api_client(None).get(BASE).status_code == 401


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_refused_writes_change_nothing(cast: Cast, scene: Scene, who: str, expected: int) -> None:
    client = client_of(cast, scene, who)
    item = scene.mine[1]
    ReviewItem.objects.filter(pk=item.pk).update(decision=REVOKE, decided_by=scene.boss)
    before = audit_count()

    answers = [
        client.post(BASE, {"title": "Sneaky", "roster_as_of": TODAY.isoformat()}, format="json"),
        client.post(f"{scene.address}close/"),
        client.post(f"{scene.address}package/"),
        client.post(f"{scene.address}decide/", {}, format="json"),
        client.post(f"{scene.address}attest/", {}, format="json"),
        client.post(scene.item(item, "decide/"), {"decision": "keep"}, format="json"),
        client.post(scene.item(item, "revoked/"), {"revoked_at": timezone.now().isoformat()}, format="json"),
    ]

    assert [answer.status_code for answer in answers] == [expected] * len(answers)
    item.refresh_from_db()
    assert (item.decision, item.revoked_at) == (REVOKE, None)
    assert ReviewCampaign.objects.count() == 1
    assert not ReviewerAttestation.objects.exists()
    assert audit_count() == before


def test_a_manager_lists_and_reaches_only_their_own_items(cast: Cast, scene: Scene) -> None:
    client = api_client(scene.boss)

    listed = client.get(f"{scene.address}items/").json()["results"]
    asked_for_other = client.get(f"{scene.address}items/", {"reviewer": str(scene.other.public_id)}).json()

    assert sorted(row["username"] for row in listed) == sorted(item.username for item in scene.mine)
    assert asked_for_other["count"] == 0
    assert client.get(scene.item(scene.theirs[0])).status_code == 403
    assert client.post(scene.item(scene.theirs[0], "decide/"), {"decision": "revoke"}, format="json").status_code == 403
    assert client.get(scene.item(scene.mine[0])).json()["findings"][0]["kind"] == "inactive"


def test_program_viewers_list_every_item_and_filter(cast: Cast, scene: Scene) -> None:
    auditor = client_as(cast, "auditor")

    every = auditor.get(f"{scene.address}items/").json()
    flagged = auditor.get(f"{scene.address}items/", {"finding": "any"}).json()
    theirs = auditor.get(f"{scene.address}items/", {"reviewer": str(scene.other.public_id)}).json()
    mine = client_as(cast, "official").get(f"{scene.address}items/", {"reviewer": "me"}).json()

    assert every["count"] == 3
    assert [row["username"] for row in flagged["results"]] == [scene.mine[0].username]
    assert [row["username"] for row in theirs["results"]] == [scene.theirs[0].username]
    assert mine["count"] == 0


def test_bad_filters_are_refused(cast: Cast, scene: Scene) -> None:
    response = client_as(cast, "owner").get(f"{scene.address}items/", {"reviewer": "boss", "decision": "maybe"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["fields"]["reviewer"] == ['Give "me" or a user\'s public_id.']
    assert "decision" in error["fields"]


def test_another_organizations_review_is_not_found(cast: Cast, scene: Scene) -> None:
    outsider = client_as(cast, "outsider")
    elsewhere = f"/api/v1/orgs/other/reviews/{scene.review.public_id}/"
    assert outsider.get(elsewhere).status_code == 404
    assert outsider.get(f"{elsewhere}items/").status_code == 404
    assert outsider.get(f"{elsewhere}items/{scene.mine[0].public_id}/").status_code == 404
    assert outsider.get(f"{elsewhere}package/").status_code == 404


# ---- deciding, attesting ------------------------------------------------------------------------------------------


def test_deciding_one_item(cast: Cast, scene: Scene) -> None:
    client = api_client(scene.boss)

    refused = client.post(scene.item(scene.mine[0], "decide/"), {"decision": "keep"}, format="json")
    kept = client.post(scene.item(scene.mine[0], "decide/"), {"decision": "keep", "comment": "Nights"}, format="json")

    assert refused.status_code == 400
    assert error_of(refused)["fields"]["comment"] == ["This account has 1 finding: say why it should be kept."]
    assert kept.status_code == 200
    assert (kept.json()["decision"], kept.json()["comment"]) == ("keep", "Nights")
    assert kept.json()["decided_by"]["email"] == "boss@clinic.test"
    assert AuditEvent.objects.filter(action="access.review_item.decided", actor=scene.boss).count() == 1


def test_bulk_keep_then_attest(cast: Cast, scene: Scene) -> None:
    client = api_client(scene.boss)

    bulk = client.post(f"{scene.address}decide/", {}, format="json")
    early = client.post(f"{scene.address}attest/", {}, format="json")
    client.post(
        f"{scene.address}decide/",
        {"items": [str(scene.mine[0].public_id)], "decision": "revoke"},
        format="json",
    )
    attested = client.post(f"{scene.address}attest/", {"statement": "All checked."}, format="json")

    assert (bulk.status_code, bulk.json()) == (200, {"decided": 1})
    assert error_of(early)["message"] == (
        "1 item assigned to you is still undecided: decide every item before attesting."
    )
    assert attested.status_code == 201
    body = attested.json()
    assert (body["item_count"], body["signature"]["meaning"], body["signature"]["statement"]) == (
        2,
        "attested",
        "All checked.",
    )
    detail = client.get(scene.address).json()
    assert detail["attestations"][0]["reviewer"]["email"] == "boss@clinic.test"
    assert {row["reviewer"]["email"]: row["decided"] for row in detail["by_reviewer"]} == {
        "boss@clinic.test": 2,
        "otherboss@clinic.test": 0,
    }


def test_bulk_with_items_not_mine_is_refused(cast: Cast, scene: Scene) -> None:
    response = api_client(scene.boss).post(
        f"{scene.address}decide/", {"items": [str(scene.theirs[0].public_id)]}, format="json"
    )
    assert response.status_code == 400
    assert error_of(response)["message"] == "1 chosen item are not yours to decide in this review."


# ---- closing, the package, revocations ----------------------------------------------------------------------------


def test_closing_names_who_is_missing_then_closes_and_serves_the_package(
    cast: Cast, scene: Scene, django_capture_on_commit_callbacks
) -> None:
    official = client_as(cast, "official")

    refused = official.post(f"{scene.address}close/")
    assert refused.status_code == 400
    assert "waiting for boss@clinic.test, otherboss@clinic.test" in error_of(refused)["message"]
    detail = official.get(scene.address).json()
    assert detail["close_blockers"][0].startswith("3 items are undecided")

    decide_all(scene.review)
    for reviewer in (scene.boss, scene.other):
        assert api_client(reviewer).post(f"{scene.address}attest/", {}, format="json").status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        closed = official.post(f"{scene.address}close/")
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")

    package = client_as(cast, "auditor").get(f"{scene.address}package/").json()
    assert package["state"] == "built"
    assert [f["content_type"] for f in package["files"]] == [
        "application/pdf",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]
    download = client_as(cast, "auditor").get(package["files"][1]["download"])
    assert download.status_code == 200
    body = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == package["files"][1]["sha256"]


def test_a_package_of_an_open_review_is_not_closed(cast: Cast, scene: Scene) -> None:
    package = client_as(cast, "owner").get(f"{scene.address}package/").json()
    assert package == {"state": "not_closed", "failure": "", "files": []}


def test_recording_revocations_and_listing_the_open_ones(cast: Cast, scene: Scene) -> None:
    ReviewItem.objects.filter(pk=scene.mine[1].pk).update(
        decision=REVOKE, decided_by=scene.boss, decided_at=timezone.now(), revoke_due_on=TODAY - timedelta(days=1)
    )
    official = client_as(cast, "official")

    listed = official.get(f"{BASE}revocations/").json()["results"]
    future = official.post(
        scene.item(scene.mine[1], "revoked/"),
        {"revoked_at": (timezone.now() + timedelta(days=1)).isoformat()},
        format="json",
    )
    done = official.post(
        scene.item(scene.mine[1], "revoked/"), {"revoked_at": timezone.now().isoformat(), "note": "T-9"}, format="json"
    )

    assert [(row["username"], row["overdue"]) for row in listed] == [(scene.mine[1].username, True)]
    assert error_of(future)["fields"]["revoked_at"] == ["The access cannot have been removed in the future."]
    assert (done.status_code, done.json()["revocation_note"]) == (200, "T-9")
    assert official.get(f"{BASE}revocations/").json()["count"] == 0
    assert api_client(scene.boss).post(scene.item(scene.mine[1], "revoked/"), {}, format="json").status_code == 403


# ---- starting -----------------------------------------------------------------------------------------------------


def test_starting_a_review(cast: Cast, django_capture_on_commit_callbacks) -> None:
    ehr = system(cast.org)
    access_factories.snapshot(ehr, [{"username": "a"}, {"username": "b"}])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(cast, "official").post(
            BASE, {"title": "Q1", "system_ids": [str(ehr.public_id)], "roster_as_of": TODAY.isoformat()}, format="json"
        )

    assert response.status_code == 201
    assert response.json()["status"] == "preparing"
    review = ReviewCampaign.objects.get()
    assert (review.status, review.item_count, review.all_systems) == (Status.OPEN, 2, False)


def test_starting_with_bad_input_names_the_field(cast: Cast) -> None:
    access_factories.snapshot(system(cast.org), [{"username": "a"}])
    official = client_as(cast, "official")

    unknown = official.post(
        BASE, {"title": "Q1", "system_ids": [str(cast.org.public_id)], "roster_as_of": TODAY.isoformat()}, format="json"
    )
    future = official.post(
        BASE, {"title": "Q1", "roster_as_of": (TODAY + timedelta(days=3)).isoformat()}, format="json"
    )

    assert error_of(unknown)["fields"]["system_ids"] == [
        "Some of the chosen systems do not exist in this organization."
    ]
    assert list(error_of(future)["fields"]) == ["roster_as_of"]
    assert not ReviewCampaign.objects.exists()


# ---- query counts -------------------------------------------------------------------------------------------------


def _queries(client: APIClient, address: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


@pytest.mark.parametrize("path", ["{review}items/", "{review}", "revocations/"])
def test_lists_read_the_same_queries_for_5_and_50_items(cast: Cast, path: str) -> None:
    counts = []
    for size in (5, 50):
        boss = manager(cast.org, f"boss{size}")
        review = campaign(cast.org, cast.official, title=f"Review {size}")
        items(review, system(cast.org, f"EHR {size}"), boss, size, findings=size // 5)
        items(
            review,
            system(cast.org, f"Billing {size}"),
            manager(cast.org, f"other{size}"),
            size,
            decision=REVOKE,
            revoke_due_on=TODAY,
        )
        address = BASE + path.format(review=f"{review.public_id}/")
        counts.append(_queries(client_as(cast, "official"), address))
        counts.append(_queries(api_client(boss), address))
    assert counts[:2] == counts[2:]
