"""scim2-tester's compliance checks (discovery, create, read, search, replace, delete, PATCH add/replace/remove on
every published attribute) against the endpoint, through a real SCIM client. Everything passes except the checks
listed below, each for a reason that is a rule of the roster rather than a protocol gap."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from scim2_tester import check_server
from scim2_tester.utils import CheckResult, Status

from safeguard.workforce.models import Person
from tests.conftest import Cast
from tests.test_scim_support import ENTERPRISE, in_process_django, make_token, scim_client

REMOVE = "check_remove_attribute"
EXCLUDED = {
    (REMOVE, "userType"): "Every person has a worker type: removing userType keeps the one recorded.",
    (REMOVE, "active"): "A person is active or not: removing `active` withdraws it, which deactivates them "
    "(the GET then shows active=false, where the check expects no value).",
    (REMOVE, f"{ENTERPRISE}:employeeNumber"): "The employee id is the roster's key: it can be changed, not removed.",
    (REMOVE, ENTERPRISE): "Removing the whole extension clears department and manager but keeps the employee id.",
}
FAILED = {Status.ERROR, Status.CRITICAL, Status.DEVIATION}


@pytest.fixture
def wsgi_app(db: None) -> Iterator[WSGIHandler]:
    yield from in_process_django()


def urn_of(result: CheckResult) -> Any:
    return result.data.get("urn") if isinstance(result.data, dict) else None


def test_every_check_passes_but_the_documented_exclusions(cast: Cast, wsgi_app: WSGIHandler) -> None:
    _, secret = make_token(cast.org, cast.owner)

    results = check_server(scim_client(wsgi_app, secret), resource_types=["User"])

    statuses = Counter(result.status for result in results)
    failures = {(result.title, urn_of(result)): result for result in results if result.status in FAILED}
    assert set(failures) == set(EXCLUDED), {key: failures[key].reason for key in set(failures) - set(EXCLUDED)}
    assert statuses[Status.SUCCESS] == len(results) - len(EXCLUDED) and statuses[Status.SUCCESS] >= 55
    # The exclusions fail the way their reasons say: the value is still there.
    removed_active: Any = failures[(REMOVE, "active")].data
    kept: Any = failures[(REMOVE, f"{ENTERPRISE}:employeeNumber")].data
    assert removed_active["actual_value"] is False
    assert kept["actual_value"] == kept["initial_value"]
    # The checks really went through the roster, in this organization only.
    assert Person.objects.filter(organization=cast.org, source=Person.Source.SCIM).count() >= 10
    assert not Person.objects.filter(organization=cast.other_org).exists()
