"""Access review pages over HTTP: who reaches which page and which writes (an authorization matrix that also checks
nothing changed on denial), isolation between organizations, and what a manager sees: only their own items."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import reverse

from safeguard.access.models import ReviewCampaign, ReviewerAttestation, ReviewItem
from safeguard.core.models import AuditEvent, User
from safeguard.core.roles import Role
from tests.conftest import Cast, client_for, make_member
from tests.test_reviews_decisions_support import campaign, items, manager, system

KEEP, REVOKE = ReviewItem.Decision.KEEP, ReviewItem.Decision.REVOKE


@dataclass
class Scene:
    review: ReviewCampaign
    boss: User
    other: User
    mine: list[ReviewItem]
    theirs: list[ReviewItem]


@pytest.fixture
def scene(cast: Cast) -> Scene:
    boss, other = manager(cast.org), manager(cast.org, "otherboss")
    review = campaign(cast.org, cast.official)
    ehr = system(cast.org)
    mine = items(review, ehr, boss, 2, findings=1)
    theirs = items(review, system(cast.org, "Billing"), other, 1)
    return Scene(review, boss, other, mine, theirs)


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"access:{name}", args=[org, *args])


def user_of(cast: Cast, scene: Scene, who: str) -> User:
    roles = {"privacy": Role.PRIVACY_OFFICER, "reviewer": Role.REVIEWER}
    if who in roles:
        return make_member(cast.org, f"{who}@clinic.test", roles[who]).user
    if who == "manager":
        return scene.boss
    user: User = getattr(cast, who)
    return user


READ_MATRIX = [
    ("owner", 200, 200, 200),
    ("official", 200, 200, 200),
    ("privacy", 200, 403, 200),
    ("manager", 200, 200, 200),
    ("reviewer", 200, 200, 200),
    ("auditor", 200, 403, 200),
    ("workforce", 403, 403, 403),
    ("outsider", 404, 404, 404),
]


@pytest.mark.parametrize(("who", "pages", "mine", "revocations"), READ_MATRIX)
def test_who_reads_the_review_pages(
    cast: Cast, scene: Scene, who: str, pages: int, mine: int, revocations: int
) -> None:
    client = client_for(user_of(cast, scene, who))
    before = AuditEvent.objects.count()

    assert client.get(url("review_list")).status_code == pages
    assert client.get(url("review_detail", scene.review.public_id)).status_code == pages
    assert client.get(url("review_mine", scene.review.public_id)).status_code == mine
    assert client.get(url("revocation_list")).status_code == revocations
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_refused_writes_change_nothing(cast: Cast, scene: Scene, who: str, expected: int) -> None:
    client = client_for(user_of(cast, scene, who))
    ReviewItem.objects.filter(pk=scene.mine[1].pk).update(decision=REVOKE, decided_by=scene.boss)
    before = AuditEvent.objects.count()
    review_id, item = scene.review.public_id, scene.mine[1]

    answers = [
        client.post(url("review_start"), {"title": "Sneaky", "scope": "all", "roster_as_of": "2024-01-01"}),
        client.post(url("review_close", review_id)),
        client.post(url("review_package", review_id)),
        client.post(url("review_item", review_id, item.public_id), {"decision": "keep"}),
        client.post(url("review_item_reassign", review_id, item.public_id), {"reviewer": str(scene.other.public_id)}),
        client.post(url("review_bulk", review_id), {"mode": "clean", "decision": "keep"}),
        client.post(url("review_attest", review_id), {"confirm": "on"}),
        client.post(url("revocation_done", item.public_id), {"revoked_at": "2024-01-01T10:00"}),
    ]

    assert [answer.status_code for answer in answers] == [expected] * len(answers)
    assert ReviewCampaign.objects.count() == 1
    item.refresh_from_db()
    assert (item.decision, item.reviewer, item.revoked_at) == (REVOKE, scene.boss, None)
    assert not ReviewerAttestation.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_manager_sees_only_their_own_items(cast: Cast, scene: Scene) -> None:
    client = client_for(scene.boss)

    detail = client.get(url("review_detail", scene.review.public_id)).content.decode()
    mine = client.get(url("review_mine", scene.review.public_id)).content.decode()

    for page in (detail, mine):
        assert all(item.username in page for item in scene.mine)
        assert scene.theirs[0].username not in page
    other_item = url("review_item", scene.review.public_id, scene.theirs[0].public_id)
    assert client.get(other_item).status_code == 403
    assert client.post(other_item, {"decision": "revoke"}).status_code == 403
    assert ReviewItem.objects.get(pk=scene.theirs[0].pk).decision == ""


def test_an_auditor_reads_every_item_without_any_write_control(cast: Cast, scene: Scene) -> None:
    page = client_for(cast.auditor).get(url("review_detail", scene.review.public_id)).content.decode()

    assert all(item.username in page for item in [*scene.mine, *scene.theirs])
    assert "Close the review" not in page
    assert page.count('method="post"') == 1  # signing out


@pytest.mark.parametrize("name", ["review_detail", "review_mine"])
def test_another_organizations_review_is_not_found(cast: Cast, scene: Scene, name: str) -> None:
    outsider = client_for(cast.outsider)
    assert outsider.get(url(name, scene.review.public_id, org="other")).status_code == 404
    item = url("review_item", scene.review.public_id, scene.mine[0].public_id, org="other")
    assert outsider.get(item).status_code == 404
    assert outsider.post(url("revocation_done", scene.mine[0].public_id, org="other"), {}).status_code == 404


def test_an_item_of_another_campaign_is_not_found_under_this_one(cast: Cast, scene: Scene) -> None:
    elsewhere = campaign(cast.org, cast.official, title="Other review")
    stray = items(elsewhere, system(cast.org, "Lab"), scene.boss, 1)[0]
    response = client_for(scene.boss).get(url("review_item", scene.review.public_id, stray.public_id))
    assert response.status_code == 404


def test_the_review_list_shows_progress_and_my_items(cast: Cast, scene: Scene) -> None:
    ReviewCampaign.objects.filter(pk=scene.review.pk).update(decided_count=1)
    page = client_for(scene.boss).get(url("review_list")).content.decode()

    assert "1 of 3" in page
    assert "2, 2 to decide" in page
    assert url("review_mine", scene.review.public_id) in page
    assert "Start a review" not in page
    assert "Start a review" in client_for(cast.official).get(url("review_list")).content.decode()


def test_the_detail_filters_items(cast: Cast, scene: Scene) -> None:
    client = client_for(cast.official)
    ehr = scene.mine[0].system

    by_finding = client.get(url("review_detail", scene.review.public_id), {"finding": "inactive"}).content.decode()
    by_system = client.get(url("review_detail", scene.review.public_id), {"system": str(ehr.public_id)})
    by_reviewer = client.get(url("review_detail", scene.review.public_id), {"reviewer": str(scene.other.public_id)})

    assert scene.mine[0].username in by_finding
    assert scene.mine[1].username not in by_finding
    assert scene.theirs[0].username not in by_system.content.decode()
    assert [i.username in by_reviewer.content.decode() for i in [*scene.mine, *scene.theirs]] == [False, False, True]
