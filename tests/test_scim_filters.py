"""Searching over SCIM runs in the database: every filter operator and sort order gives what scim2-models' own
evaluator gives on the same users (ScimFilter.match, SearchRequest.sort), and paging counts in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from scim2_models import InvalidFilterException, ScimFilter, SearchRequest

from safeguard.core.models import Organization
from safeguard.workforce.models import Person, WorkerType
from safeguard.workforce.scim_filters import filtered, ordered
from safeguard.workforce.scim_mapping import person_to_user
from safeguard.workforce.scim_schema import UserModel
from tests.conftest import Cast
from tests.test_scim_support import ENTERPRISE, in_process_django, make_token, raw

SEARCH: Any = cast(Any, SearchRequest)[UserModel]
FILTER: Any = cast(Any, ScimFilter)[UserModel]
CREATED = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def wsgi_app(db: None) -> Iterator[WSGIHandler]:
    yield from in_process_django()


def roster(org: Organization) -> list[Person]:
    """Users with the case, missing values and LIKE wildcards a translation into SQL tends to get wrong."""
    boss = Person.objects.create(
        organization=org,
        employee_id="100",
        user_name="Alice",
        given_name="Alice",
        family_name="Liddell",
        email="alice@work.example",
        job_role="Boss",
        department="Admin",
        external_id="ext-A",
    )
    people = [
        boss,
        Person.objects.create(
            organization=org,
            employee_id="2",
            user_name="bob",
            email="BOB@work.example",
            status=Person.Status.TERMINATED,
            termination_at=timezone.now() - timedelta(days=3),
            worker_type=WorkerType.CONTRACTOR,
            manager=boss,
        ),
        Person.objects.create(organization=org, employee_id="30", user_name="carol", family_name="smith"),
        Person.objects.create(
            organization=org, employee_id="dave_%", user_name="dave_%", job_role="50% off", manager=boss
        ),
        Person.objects.create(
            organization=org, employee_id="E-5", user_name="erin", given_name="Érin", worker_type=WorkerType.STUDENT
        ),
    ]
    for offset, someone in enumerate(people):
        Person.objects.filter(pk=someone.pk).update(
            created_at=CREATED + timedelta(days=offset), updated_at=CREATED + timedelta(days=10 - offset)
        )
    return list(Person.objects.filter(pk__in=[p.pk for p in people]).select_related("manager").order_by("pk"))


FILTERS = [
    'userName eq "ALICE"',
    'userName ne "alice"',
    'userName sw "dave_"',
    'userName ew "_%"',
    'userName co "A"',
    'userName gt "b"',
    'userName le "carol"',
    'title eq "boss"',
    'title ne "Boss"',
    'not (title eq "Boss")',
    "title eq null",
    "title ne null",
    "title gt null",
    "title pr",
    'title co "%"',
    'title lt "c"',
    "name pr",
    "name.givenName pr",
    'name.familyName eq "SMITH"',
    'name.givenName sw "É"',
    "active eq true",
    "active eq false",
    "not (active eq true)",
    "active ne true",
    "active pr",
    "emails pr",
    'emails eq "alice@work.example"',
    'emails ne "alice@work.example"',
    'emails co "WORK"',
    'emails.value ew ".EXAMPLE"',
    'emails.type eq "work"',
    'emails.type ne "home"',
    "emails.type pr",
    'emails[type eq "work" and value co "alice"]',
    'emails[not (type eq "work")]',
    'emails[value ne "alice@work.example"]',
    "emails[type pr]",
    'userType eq "contractor"',
    'userType ne "Employee"',
    'userType sw "st"',
    'userType gt "E"',
    'externalId eq "ext-A"',
    'externalId eq "EXT-a"',
    "externalId pr",
    'meta.created gt "2024-03-02T00:00:00Z"',
    'meta.created eq "2024-03-01T09:00:00Z"',
    'meta.lastModified le "2024-03-09T09:00:00Z"',
    'meta.created co "20"',
    f'{ENTERPRISE}:employeeNumber eq "100"',
    f'{ENTERPRISE}:employeeNumber gt "10"',
    f'{ENTERPRISE}:employeeNumber co "_"',
    f"{ENTERPRISE}:department pr",
    f"{ENTERPRISE}:manager pr",
    'title eq "Boss" or userName eq "BOB"',
    'title eq "Boss" and active eq false',
    '(userName sw "a" or userName sw "b") and not (emails pr)',
]


@pytest.mark.parametrize("expression", FILTERS)
def test_the_database_filters_as_the_scim_evaluator(cast: Cast, expression: str) -> None:
    people = roster(cast.org)
    users = {someone.pk: person_to_user(someone) for someone in people}
    scim_filter = SEARCH.model_validate({"filter": expression}).filter
    expected = [pk for pk, user in users.items() if FILTER(expression).match(user)]

    found = filtered(Person.objects.filter(organization=cast.org), scim_filter)

    assert sorted(found.values_list("pk", flat=True)) == expected


def test_identifiers_filter_by_equality(cast: Cast) -> None:
    people = roster(cast.org)
    boss = people[0]
    by_id = SEARCH.model_validate({"filter": f'id eq "{boss.public_id}"'}).filter
    by_manager = SEARCH.model_validate({"filter": f'{ENTERPRISE}:manager.value eq "{boss.public_id}"'}).filter
    not_managed = SEARCH.model_validate({"filter": f'{ENTERPRISE}:manager.value ne "{boss.public_id}"'}).filter

    assert list(filtered(Person.objects.all(), by_id)) == [boss]
    assert {p.user_name for p in filtered(Person.objects.all(), by_manager)} == {"bob", "dave_%"}
    assert {p.user_name for p in filtered(Person.objects.all(), not_managed)} == {"Alice", "carol", "erin"}
    with pytest.raises(InvalidFilterException):
        filtered(Person.objects.all(), SEARCH.model_validate({"filter": 'id co "1"'}).filter)


SORTS = [
    "userName",
    "title",
    "name.familyName",
    "name.givenName",
    "active",
    "emails",
    "emails.type",
    "userType",
    "externalId",
    "meta.created",
    "meta.lastModified",
    f"{ENTERPRISE}:employeeNumber",
    f"{ENTERPRISE}:department",
]


@pytest.mark.parametrize("order", ["ascending", "descending"])
@pytest.mark.parametrize("sort_by", SORTS)
def test_the_database_sorts_as_the_scim_sort(cast: Cast, sort_by: str, order: str) -> None:
    people = roster(cast.org)
    request = SEARCH.model_validate({"sortBy": sort_by, "sortOrder": order})
    expected = [user.user_name for user in request.sort([person_to_user(someone) for someone in people])]

    found = ordered(Person.objects.filter(organization=cast.org), request)

    assert [someone.user_name for someone in found] == expected


def test_paging_counts_every_match_and_returns_the_asked_page(cast: Cast, wsgi_app: WSGIHandler) -> None:
    roster(cast.org)
    _, secret = make_token(cast.org, cast.owner)

    page = raw(
        wsgi_app, "GET", "/Users?sortBy=userName&startIndex=2&count=2&filter=userName%20ne%20%22erin%22", secret=secret
    ).json()
    empty = raw(wsgi_app, "GET", "/Users?count=0", secret=secret).json()

    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (4, 2, 2)
    assert [user["userName"] for user in page["Resources"]] == ["bob", "carol"]
    assert (empty["totalResults"], empty.get("Resources", [])) == (5, [])


def test_the_list_costs_the_same_queries_for_3_and_30_people(cast: Cast, wsgi_app: WSGIHandler) -> None:
    _, secret = make_token(cast.org, cast.owner)
    boss = Person.objects.create(organization=cast.org, employee_id="M", user_name="boss")

    def add(count: int) -> None:
        for n in range(count):
            Person.objects.create(
                organization=cast.org, employee_id=f"E{n}-{count}", user_name=f"u{n}-{count}", manager=boss
            )

    add(2)
    raw(wsgi_app, "GET", "/Users", secret=secret)  # marks the token used, which is written once a minute
    with CaptureQueriesContext(connection) as few:
        assert raw(wsgi_app, "GET", "/Users", secret=secret).json()["totalResults"] == 3
    add(27)
    with CaptureQueriesContext(connection) as many:
        assert raw(wsgi_app, "GET", "/Users", secret=secret).json()["totalResults"] == 30
    assert len(many.captured_queries) == len(few.captured_queries) <= 6
