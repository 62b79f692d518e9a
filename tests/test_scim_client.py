"""A real SCIM client (scim2-client) provisions the clinic's workforce through the endpoint, as an identity provider
would: discovery, create, read, search by userName, replace, deactivate with PATCH, delete, and provision again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.utils import timezone
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_models import (
    Error,
    ListResponse,
    PatchOp,
    Resource,
    SCIMException,
    ServiceProviderConfig,
)

from safeguard.core.models import AuditEvent
from safeguard.workforce.models import Person, Workflow
from tests.conftest import Cast
from tests.test_scim_support import ENTERPRISE, in_process_django, make_token, person, scim_client

Kind = Workflow.Kind


@pytest.fixture
def wsgi_app(db: None) -> Iterator[WSGIHandler]:
    yield from in_process_django()


@pytest.fixture
def client(cast: Cast, wsgi_app: WSGIHandler) -> WSGISCIMClient:
    _, secret = make_token(cast.org, cast.owner, name="Okta")
    return scim_client(wsgi_app, secret)


def new_user(client: WSGISCIMClient, **values: Any) -> Any:
    model = client.get_resource_model("User")
    assert model is not None
    payload = {
        "userName": "dana.reyes@clinic.example",
        "externalId": "00u1dana",
        "name": {"givenName": "Dana", "familyName": "Reyes"},
        "emails": [{"value": "dana.reyes@clinic.example", "type": "work"}],
        "title": "Billing clerk",
        "userType": "Employee",
        ENTERPRISE: {"employeeNumber": "E-100", "department": "Billing"},
        **values,
    }
    return model.model_validate(payload)


def create(client: WSGISCIMClient, **values: Any) -> Any:
    created = client.create(new_user(client, **values))
    assert isinstance(created, Resource)
    return created


def fetch(client: WSGISCIMClient, user_id: str) -> Any:
    fetched = client.query("User", user_id)
    assert isinstance(fetched, Resource)
    return fetched


def search(client: WSGISCIMClient, **parameters: Any) -> Any:
    found = client.query("User", query_parameters=parameters)
    assert isinstance(found, ListResponse)
    return found


def set_active(client: WSGISCIMClient, created: Any, active: bool) -> None:
    operation = {"op": "replace", "path": "active", "value": active}
    patch = cast(Any, PatchOp)[type(created)].model_validate({"Operations": [operation]})
    assert client.modify(type(created), created.id, patch) is None  # 204, as the library answers by default


def open_workflows(someone: Person, kind: str) -> int:
    return Workflow.objects.filter(person=someone, kind=kind, status=Workflow.Status.OPEN).count()


def test_discovery_publishes_only_what_a_person_stores(client: WSGISCIMClient) -> None:
    config = client.query(ServiceProviderConfig)
    assert isinstance(config, ServiceProviderConfig)
    supported = {name: value["supported"] for name, value in config.model_dump().items() if "supported" in value}
    assert supported == {
        "patch": True,
        "bulk": False,
        "filter": True,
        "changePassword": False,
        "sort": True,
        "etag": True,
    }
    model = client.get_resource_model("User")
    assert model is not None
    core = {name for name in model.model_fields if name not in ("schemas", "meta", "id", "external_id")}
    assert core == {"user_name", "name", "title", "user_type", "active", "emails", "EnterpriseUser"}
    extension = client.provider.model_for(ENTERPRISE)
    assert extension is not None
    assert set(extension.model_fields) - {"schemas"} == {"employee_number", "department", "manager"}


def test_create_records_a_joiner_from_the_identity_provider(cast: Cast, client: WSGISCIMClient) -> None:
    created = create(client)

    dana = person("dana.reyes@clinic.example")
    assert created.id == str(dana.public_id)
    assert (dana.organization, dana.source, dana.employee_id) == (cast.org, Person.Source.SCIM, "E-100")
    assert (dana.given_name, dana.family_name, dana.email) == ("Dana", "Reyes", "dana.reyes@clinic.example")
    assert (dana.job_role, dana.department, dana.external_id) == ("Billing clerk", "Billing", "00u1dana")
    assert created.active is True and created.meta.location.endswith(f"/scim/v2/clinic/Users/{dana.public_id}")
    assert open_workflows(dana, Kind.JOINER) == 1
    event = AuditEvent.objects.get(action="workforce.person.created", object_id=str(dana.public_id))
    assert (event.actor, event.actor_label, event.organization) == (None, "scim:Okta", cast.org)
    assert event.changes["user_name"] == [None, "dana.reyes@clinic.example"]


def test_get_and_search_by_user_name_whatever_the_case(client: WSGISCIMClient) -> None:
    created = create(client)
    create(client, userName="sam@clinic.example", **{ENTERPRISE: {"employeeNumber": "E-200"}})

    fetched = fetch(client, created.id)
    assert fetched.user_name == "dana.reyes@clinic.example"
    assert fetched[ENTERPRISE].employee_number == "E-100"
    found = search(client, filter='userName eq "DANA.REYES@clinic.example"')
    assert (found.total_results, [user.id for user in found.resources]) == (1, [created.id])
    everyone = search(client, sortBy="userName", count=1, startIndex=2)
    assert everyone.total_results == 2 and [user.user_name for user in everyone.resources] == ["sam@clinic.example"]


def test_replace_moves_the_person_to_another_department(client: WSGISCIMClient) -> None:
    created = create(client)
    created[ENTERPRISE].department = "Nursing"
    created.title = "Nurse"

    replaced = client.replace(created)

    dana = person("dana.reyes@clinic.example")
    assert (replaced.title, dana.job_role, dana.department) == ("Nurse", "Nurse", "Nursing")
    workflow = Workflow.objects.get(person=dana, kind=Kind.MOVER)
    assert workflow.changes["department"] == ["Billing", "Nursing"]
    assert workflow.trigger == "SCIM (Okta)"


def test_patch_active_false_makes_a_leaver(client: WSGISCIMClient) -> None:
    created = create(client)

    set_active(client, created, False)

    dana = person("dana.reyes@clinic.example")
    assert dana.status == Person.Status.TERMINATED and dana.termination_at is not None
    leaver = Workflow.objects.get(person=dana, kind=Kind.LEAVER)
    assert (leaver.status, leaver.termination_at) == (Workflow.Status.OPEN, dana.termination_at)
    assert fetch(client, created.id).active is False
    assert AuditEvent.objects.get(action="workforce.person.updated").changes["status"] == ["active", "terminated"]


def test_patch_active_true_brings_a_leaver_back(client: WSGISCIMClient) -> None:
    created = create(client)
    set_active(client, created, False)

    set_active(client, created, True)

    dana = person("dana.reyes@clinic.example")
    assert (dana.status, dana.termination_at) == (Person.Status.ACTIVE, None)
    # The leaver cancelled the first joiner workflow; the rehire opens a new one.
    joiners = Workflow.objects.filter(person=dana, kind=Kind.JOINER).order_by("pk")
    assert [workflow.status for workflow in joiners] == [Workflow.Status.CANCELLED, Workflow.Status.OPEN]


def test_delete_deactivates_then_hides_and_a_new_post_brings_the_same_row_back(client: WSGISCIMClient) -> None:
    created = create(client)

    client.delete("User", created.id)

    dana = person("dana.reyes@clinic.example")
    assert dana.scim_deleted and dana.status == Person.Status.TERMINATED
    assert open_workflows(dana, Kind.LEAVER) == 1
    with pytest.raises(SCIMException) as missing:
        client.query("User", created.id)
    assert missing.value.status == 404
    listed = search(client, filter='userName eq "dana.reyes@clinic.example"')
    assert listed.total_results == 0
    assert AuditEvent.objects.filter(action="workforce.person.scim_deleted", object_id=created.id).count() == 1

    again = create(client)

    assert again.id == created.id and again.active is True
    dana.refresh_from_db()
    assert (dana.scim_deleted, dana.status, dana.termination_at) == (False, Person.Status.ACTIVE, None)
    assert Person.objects.filter(user_name__iexact="dana.reyes@clinic.example").count() == 1
    assert AuditEvent.objects.filter(action="workforce.person.scim_restored", object_id=created.id).count() == 1


def test_post_links_the_roster_person_with_that_employee_number(cast: Cast, client: WSGISCIMClient) -> None:
    roster = Person.objects.create(organization=cast.org, employee_id="E-100", given_name="Dana", family_name="Reyes")

    created = create(client)

    assert created.id == str(roster.public_id)
    roster.refresh_from_db()
    assert roster.user_name == "dana.reyes@clinic.example" and Person.objects.count() == 1


def test_post_does_not_link_a_roster_leaver(cast: Cast, client: WSGISCIMClient) -> None:
    Person.objects.create(
        organization=cast.org, employee_id="E-100", status=Person.Status.TERMINATED, termination_at=timezone.now()
    )

    refused = client.create(new_user(client), raise_scim_errors=False)

    assert isinstance(refused, Error) and (refused.status, refused.scim_type) == (409, "uniqueness")
    assert refused.detail == "employeeNumber 'E-100' belongs to a person who has left; rehire them on the roster first."
    assert not Person.objects.exclude(user_name="").exists()


def test_errors_reach_the_client_as_scim_errors(client: WSGISCIMClient) -> None:
    create(client)

    taken = client.create(new_user(client, externalId="other"), raise_scim_errors=False)

    assert isinstance(taken, Error)
    assert (taken.status, taken.scim_type) == (409, "uniqueness")
    assert "already taken" in (taken.detail or "")
