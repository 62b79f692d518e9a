"""Who used a break-glass account, and who may review the use: a use entered by hand names a roster person (a
typed name only for someone not on the roster), and neither the person who used the account (by roster email or
by the typed name) nor the member who recorded the use may review it, through the services, the pages or the API.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from safeguard.access.models import BreakGlassActivation
from safeguard.access.queries_breakglass import names_match
from safeguard.access.services.breakglass import activation_record
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, User
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from tests import access_factories as make
from tests.conftest import Cast, client_for, make_member
from tests.test_api_support import api_client, error_of
from tests.test_breakglass_support import account, desk, reviewed, use

RECORDER = "You recorded this use: someone else who manages the program must review it."
OWN = "You used this account: someone else must review the use."
Source = BreakGlassActivation.Source


def robin(cast: Cast) -> User:
    """A security official whose name is Robin Lee."""
    user = make_member(cast.org, "rlee@clinic.test", Role.SECURITY_OFFICIAL).user
    user.first_name, user.last_name = "Robin", "Lee"
    user.save(update_fields=["first_name", "last_name"])
    return user


def reviews() -> int:
    return AuditEvent.objects.filter(action="access.breakglass_activation.reviewed").count()


# ---- the member who recorded the use ----------------------------------------------------------------------------


def test_the_member_who_recorded_a_use_cannot_review_it(cast: Cast) -> None:
    activation = use(cast, account(cast), by=cast.official)

    with pytest.raises(ServiceError) as refused:
        reviewed(cast, activation, by=cast.official)

    assert refused.value.message == RECORDER
    activation.refresh_from_db()
    assert activation.reviewed_at is None and reviews() == 0
    assert reviewed(cast, activation, by=cast.owner).reviewed_by == cast.owner


def test_a_use_raised_by_activity_review_has_no_recorder_to_exclude(cast: Cast) -> None:
    activation = activation_record(
        organization=cast.org,
        actor=Actor.system("activity-review"),
        account=account(cast),
        started_at=timezone.now() - timedelta(hours=1),
        source=Source.ACTIVITY,
    )

    assert reviewed(cast, activation, by=cast.official).reviewed_by == cast.official


def test_the_recorder_is_not_offered_the_review_page_form_and_is_refused(cast: Cast) -> None:
    activation = use(cast, account(cast), by=cast.official)
    client = client_for(cast.official)
    detail = reverse("access:activation_detail", args=["clinic", activation.public_id])

    page = client.get(detail).content.decode()
    response = client.post(
        reverse("access:activation_review", args=["clinic", activation.public_id]),
        {"justified": "yes", "notes": "Fine."},
        follow=True,
    )

    assert "Record the review" not in page
    assert RECORDER in page
    assert response.content.decode().count(RECORDER) == 1  # the refusal, not repeated by the page's note
    activation.refresh_from_db()
    assert activation.reviewed_at is None and reviews() == 0
    assert "Record the review" in client_for(cast.owner).get(detail).content.decode()


def test_the_recorder_is_refused_over_the_api(cast: Cast) -> None:
    activation = use(cast, account(cast), by=cast.owner)
    path = f"/api/v1/orgs/clinic/break-glass/activations/{activation.public_id}/review/"

    mine = api_client(cast.owner).post(path, {"justified": True, "notes": "Fine."}, format="json")
    theirs = api_client(cast.official).post(path, {"justified": True, "notes": "Fine."}, format="json")

    assert (mine.status_code, error_of(mine)["message"]) == (400, RECORDER)
    assert theirs.status_code == 200
    assert theirs.json()["reviewed_by"]["email"] == cast.official.email


# ---- who used it: a roster person, or a name --------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["Robin Lee", "dr. robin LEE", "Lee, Robin"])
def test_a_roster_persons_name_typed_for_a_use_by_hand_is_refused(cast: Cast, typed: str) -> None:
    make.person(cast.org, "E300", name="Robin Lee")

    with pytest.raises(ServiceError) as refused:
        use(cast, account(cast), used_by_name=typed)

    assert refused.value.field == "used_by_name"
    assert refused.value.message == (
        "Robin Lee is on the roster: name them by employee id or email instead (type a name only for someone not "
        "on the roster)."
    )
    assert not BreakGlassActivation.objects.exists()


def test_someone_not_on_the_roster_is_named_by_hand(cast: Cast) -> None:
    make.person(cast.org, "E300", name="Robin Leeson")

    activation = use(cast, account(cast), used_by_name="Dr Robin Lee (locum)")

    assert (activation.used_by, activation.used_by_name) == (None, "Dr Robin Lee (locum)")


def test_activity_review_may_give_the_name_the_logs_show(cast: Cast) -> None:
    make.person(cast.org, "E300", name="Robin Lee")

    activation = use(cast, account(cast), source=Source.ACTIVITY, used_by_name="Robin Lee", reason="")

    assert activation.used_by_name == "Robin Lee"


def test_the_reviewer_named_by_hand_cannot_review(cast: Cast) -> None:
    reviewer = robin(cast)  # a member, not on the roster: the typed name is accepted
    activation = use(cast, account(cast), used_by_name="Dr. Robin Lee")

    with pytest.raises(ServiceError) as refused:
        reviewed(cast, activation, by=reviewer)

    assert refused.value.message == OWN
    assert reviews() == 0


def test_the_reviewer_named_by_the_logs_cannot_review(cast: Cast) -> None:
    reviewer = robin(cast)
    activation = use(cast, account(cast), source=Source.ACTIVITY, used_by_name="LEE ROBIN", reason="")

    with pytest.raises(ServiceError) as refused:
        reviewed(cast, activation, by=reviewer)

    assert refused.value.message == OWN


def test_the_reviewers_roster_name_counts_even_without_a_name_on_their_login(cast: Cast) -> None:
    make.person(cast.org, "E7", name="Sam Ode", email="so@clinic.test")
    activation = use(cast, account(cast), source=Source.ACTIVITY, used_by_name="Sam Ode", reason="")

    with pytest.raises(ServiceError) as refused:
        reviewed(cast, activation, by=cast.official)

    assert refused.value.message == OWN


def test_the_reviewers_email_typed_as_the_name_counts(cast: Cast) -> None:
    activation = use(cast, account(cast), source=Source.ACTIVITY, used_by_name="SO@clinic.test", reason="")

    with pytest.raises(ServiceError) as refused:
        reviewed(cast, activation, by=cast.official)

    assert refused.value.message == OWN


def test_a_roster_person_without_an_email_is_matched_by_name(cast: Cast) -> None:
    reviewer = robin(cast)
    no_email = make.person(cast.org, "E301", name="Robin Lee", email="")
    activation = use(cast, account(cast), used_by=no_email, used_by_name="")

    with pytest.raises(ServiceError) as refused:
        reviewed(cast, activation, by=reviewer)

    assert refused.value.message == OWN
    assert reviewed(cast, activation, by=cast.official).reviewed_by == cast.official


def test_someone_else_reviews_a_use_named_by_hand(cast: Cast) -> None:
    robin(cast)
    activation = use(cast, account(cast), used_by_name="Dr. Robin Lee", by=desk(cast))

    assert reviewed(cast, activation, by=cast.official).reviewed_by == cast.official


@pytest.mark.parametrize(
    ("typed", "name", "same"),
    [
        ("Dr. Robin LEE", "Robin Lee", True),
        ("Lee, Robin", "Robin Lee", True),
        ("Robin", "Robin Lee", False),
        ("Robin Leeson", "Robin Lee", False),
        ("So", "So", True),
        ("Dr So", "So", False),  # a one-word name must be all the typed name says
        ("", "", False),
    ],
)
def test_how_names_are_compared(typed: str, name: str, same: bool) -> None:
    assert names_match(typed, name) is same
