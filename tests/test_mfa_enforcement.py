"""MFA is enforced on every organization route: a sweep over the /o/<org>/ pages and the /api/v1/orgs/<org>/ API.

The sweep reads the URL configuration, so routes added later are swept too. A route whose parameters it cannot
fill, or that is not a plain path() route, fails the sweep until `route_arguments` below learns how to build it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Membership, Obligation
from safeguard.core.roles import Role
from safeguard.core.services.obligations import obligation_create
from tests.access_records import access_records
from tests.activity_records import activity_records
from tests.conftest import Cast, client_for
from tests.contingency_records import contingency_records
from tests.risk_records import risk_records
from tests.test_api_support import error_of, make_token
from tests.test_api_tracker import ENCRYPTION, attested, decided, some_evidence
from tests.test_auth_support import next_code
from tests.training_records import training_records

PAGES = "o/<slug:org_slug>/"
API = "api/v1/orgs/<slug:org_slug>/"
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
API_METHODS = ("get", "post", "put", "patch", "delete")
# Log shippers post events with a source's ingestion token; a member's session or API token is not accepted there.
INGESTION = {"api:activity_source_events"}


# ---- the walk -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str  # the full path() route from the site root, e.g. "o/<slug:org_slug>/evidence/<uuid:evidence_id>/"
    name: str  # "namespace:name", or "" for an unnamed route
    callback: Callable[..., Any]


def walk(patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = "") -> Iterator[Route]:
    for entry in patterns:
        piece = str(entry.pattern) if isinstance(entry.pattern, RoutePattern) else f"<regex {entry.pattern}>"
        if isinstance(entry, URLResolver):
            inner = ":".join(part for part in (namespace, entry.namespace) if part)
            yield from walk(entry.url_patterns, prefix + piece, inner)
        else:
            name = ":".join(part for part in (namespace, entry.name) if part) if entry.name else ""
            yield Route(prefix + piece, name, entry.callback)


def all_routes() -> list[Route]:
    return list(walk(get_resolver().url_patterns))


def routes_under(prefix: str) -> list[Route]:
    found = [r for r in all_routes() if r.route.startswith(prefix)]
    assert found, f"no routes under {prefix}: the sweep would pass vacuously"
    return found


@dataclass
class Records:
    """One real record of each kind an organization route can name, all in the MFA-requiring organization."""

    org_slug: str
    evidence_id: str
    obligation_id: str
    attestation_id: str
    decision_id: str
    membership_id: str
    citation: str
    # The domain apps' route parameters (asset_id, person_id, …): tests/risk_records.py, access_records.py and
    # training_records.py.
    risk: dict[str, str]


def route_arguments(records: Records, route: Route) -> dict[str, str]:
    """Values for a route's parameters. Names that mean different records on different routes go by route name."""
    by_parameter = {
        "org_slug": records.org_slug,
        "evidence_id": records.evidence_id,
        "obligation_id": records.obligation_id,
        "attestation_id": records.attestation_id,
        "decision_id": records.decision_id,
        "membership_id": records.membership_id,
        "number": "1",
        "citation": records.citation,
        **records.risk,
    }
    by_route = {
        ("tracker:attestation_withdraw", "public_id"): records.attestation_id,
        ("tracker:attestation_evidence", "public_id"): records.attestation_id,
        ("tracker:decision_sign", "public_id"): records.decision_id,
        ("api:member", "public_id"): records.membership_id,
        ("training:attempt_result", "attempt_id"): records.risk["submitted_attempt_id"],
        ("training:reminder_edit", "reminder_id"): records.risk["scheduled_reminder_id"],
        ("contingency:criticality_profile_create", "asset_id"): records.risk["contingency_unprofiled_asset_id"],
    }
    # Activity review, incidents and contingency reuse parameter names other apps use (rule_id, asset_id…).
    scoped = route.name.startswith(("activity:", "incidents:", "api:activity_", "api:incident"))
    contingency = route.name.startswith(("contingency:", "api:contingency_"))
    values = {}
    for match in PARAMETER.finditer(route.route):
        name = match["name"]
        value = by_route.get((route.name, name)) or (records.risk.get(f"activity_{name}") if scoped else None)
        value = value or (records.risk.get(f"contingency_{name}") if contingency else None)
        value = value or by_parameter.get(name)
        if value is None or match["converter"] == "regex":
            pytest.fail(f"The MFA sweep cannot build {route.route!r} ({route.name or 'unnamed'}): teach it '{name}'.")
        values[match.group(0)] = value
    return values


def build(records: Records, route: Route) -> str:
    url = "/" + route.route
    for placeholder, value in route_arguments(records, route).items():
        url = url.replace(placeholder, value, 1)
    match = resolve(url)
    assert match.func == route.callback, f"{url} reaches {match.view_name}, not {route.name}: the route is shadowed"
    return url


def row_counts() -> dict[str, int]:
    """Every table's rows, in one query: the sweeps count before and after each of about a thousand requests."""
    models = [model for model in apps.get_models(include_auto_created=True) if not model._meta.proxy]
    counts = ", ".join(f"(SELECT count(*) FROM {connection.ops.quote_name(model._meta.db_table)})" for model in models)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")  # noqa: S608 - table names from the models
        row = cursor.fetchone()
    return {model._meta.label: count for model, count in zip(models, row, strict=True)}


# ---- the organization and its records -------------------------------------------------------------------------


def domain_records(cast: Cast) -> dict[str, str]:
    found = {**risk_records(cast.org, cast.owner), **access_records(cast.org, cast.owner)}
    found = {**found, **training_records(cast.org, cast.owner), **activity_records(cast.org, cast.owner)}
    return {**found, **contingency_records(cast.org, cast.owner)}


@pytest.fixture
def records(cast: Cast) -> Records:
    """The clinic requires MFA; the owner has a confirmed authenticator but the session has not used it."""
    TOTPDevice.objects.create(user=cast.owner, name="phone", confirmed=True)
    evidence = some_evidence(cast)
    obligation = obligation_create(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        title="Quarterly access review",
        owner=cast.owner,
        due_on=timezone.localdate() + timedelta(days=30),
    )
    attestation = attested(cast)
    decision = decided(cast)
    cast.org.mfa_required = True
    cast.org.save(update_fields=["mfa_required"])
    return Records(
        org_slug=cast.org.slug,
        evidence_id=str(evidence.public_id),
        obligation_id=str(obligation.public_id),
        attestation_id=str(attestation.public_id),
        decision_id=str(decision.public_id),
        membership_id=str(Membership.objects.get(organization=cast.org, user=cast.workforce).public_id),
        citation=ENCRYPTION,
        risk=domain_records(cast),
    )


def verified_client(cast: Cast) -> Client:
    """Signed in with the password, then verified through the one-time code page, as a person would."""
    client = client_for(cast.owner)
    device = TOTPDevice.objects.get(user=cast.owner)
    response = client.post(reverse("mfa_verify"), {"code": next_code(device)})
    assert response.status_code == 302, response.content
    assert client.get(reverse("account")).context["verified"] is True
    return client


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def api_methods(route: Route) -> list[str]:
    view_class = route.callback.cls  # type: ignore[attr-defined]  # every API route is an APIView
    methods = [method for method in API_METHODS if hasattr(view_class, method)]
    assert methods, f"{route.route} answers no method"
    return methods


# ---- the walk covers what it should ---------------------------------------------------------------------------


def test_the_walk_finds_the_known_routes_and_every_route_is_a_plain_path() -> None:
    routes = all_routes()
    names = {r.name for r in routes}
    assert {"tracker:dashboard", "core:evidence_download", "core:calendar_settings", "core:member_edit"} <= names
    assert {"api:org", "api:evidence_download", "api:decision_sign", "api:audit_events"} <= names
    odd = [r.route for r in routes if "<regex " in r.route and not r.route.startswith("admin/")]
    assert odd == [], "re_path() routes cannot be swept; use path()"


def test_every_route_under_the_org_prefixes_can_be_built(records: Records) -> None:
    for route in [*routes_under(PAGES), *routes_under(API)]:
        url = build(records, route)
        assert "<" not in url and records.org_slug in url


# ---- unverified: refused everywhere, nothing written ----------------------------------------------------------


def test_every_org_page_sends_an_unverified_session_to_mfa_verify(cast: Cast, records: Records) -> None:
    client = client_for(cast.owner)
    audit_before = AuditEvent.objects.count()
    problems: list[str] = []
    for route in routes_under(PAGES):
        url = build(records, route)
        gated = False
        for method in ("get", "post"):
            before = row_counts()
            response = getattr(client, method)(url)
            if row_counts() != before:
                problems.append(f"{method.upper()} {url} changed rows")
            if response.status_code == 405 and method.upper() not in response["Allow"]:
                continue  # refused before anything else ran, and the other method is checked
            expected = f"{reverse('mfa_verify')}?{urlencode({'next': url})}"
            if response.status_code != 302 or response["Location"] != expected:
                problems.append(f"{method.upper()} {url} answered {response.status_code} {response.get('Location')}")
            gated = True
        if not gated:
            problems.append(f"{url} never reached the MFA check")
    assert problems == [], "\n".join(problems)
    assert AuditEvent.objects.count() == audit_before


@pytest.mark.parametrize("credential", ["session", "token made without MFA"])
def test_every_org_api_route_refuses_an_unverified_credential(cast: Cast, records: Records, credential: str) -> None:
    if credential == "session":
        client = APIClient()
        client.force_login(cast.owner)
    else:
        client = bearer(make_token(cast.owner, mfa_verified=False))
    audit_before = AuditEvent.objects.count()
    problems: list[str] = []
    for route in routes_under(API):
        url = build(records, route)
        if route.name in INGESTION:
            continue  # answers 401 to any member credential: tests/test_activity_ingestion_http.py
        for method in api_methods(route):
            before = row_counts()
            response = client.get(url) if method == "get" else getattr(client, method)(url, {}, format="json")
            if row_counts() != before:
                problems.append(f"{method.upper()} {url} changed rows")
            if response.status_code != 403 or error_of(response)["code"] != "mfa_required":
                problems.append(f"{method.upper()} {url} answered {response.status_code}")
    assert problems == [], "\n".join(problems)
    assert AuditEvent.objects.count() == audit_before


def test_my_organizations_leaves_out_mfa_organizations_for_an_unverified_credential(
    cast: Cast, records: Records
) -> None:
    Membership.objects.create(organization=cast.other_org, user=cast.owner, role=Role.WORKFORCE)
    session = APIClient()
    session.force_login(cast.owner)
    unverified_token = bearer(make_token(cast.owner, mfa_verified=False))
    verified_token = bearer(make_token(cast.owner, mfa_verified=True))

    def slugs(client: APIClient | Client) -> list[str]:
        response = client.get("/api/v1/orgs/")
        assert response.status_code == 200
        return [row["slug"] for row in response.json()["results"]]

    assert slugs(session) == ["other"]
    assert slugs(unverified_token) == ["other"]
    assert slugs(verified_token) == ["other", "clinic"]  # by name: Other Practice, Riverside Clinic
    assert slugs(verified_client(cast)) == ["other", "clinic"]


# ---- verified: the same routes open ---------------------------------------------------------------------------


def test_a_verified_session_opens_every_org_page(cast: Cast, records: Records) -> None:
    client = verified_client(cast)
    problems: list[str] = []
    for route in routes_under(PAGES):
        url = build(records, route)
        response = client.get(url)
        if response.status_code == 405:
            continue  # a POST-only action
        if response.status_code != 200:
            problems.append(f"GET {url} answered {response.status_code} {response.get('Location')}")
    assert problems == [], "\n".join(problems)


def test_a_verified_session_writes_through_a_page(cast: Cast, records: Records) -> None:
    client = verified_client(cast)
    url = reverse("core:obligation_complete", args=[records.org_slug, records.obligation_id])
    due_on = Obligation.objects.get(public_id=records.obligation_id).due_on
    response = client.post(url, {"due_on": due_on.isoformat(), "note": "Reviewed every account."})
    assert response.status_code == 302
    assert response["Location"] != f"{reverse('mfa_verify')}?{urlencode({'next': url})}"
    assert Obligation.objects.get(public_id=records.obligation_id).completions.count() == 1


@pytest.mark.parametrize("credential", ["verified session", "token made with MFA"])
def test_a_verified_credential_reads_every_org_api_route(cast: Cast, records: Records, credential: str) -> None:
    client: Client | APIClient = (
        verified_client(cast) if credential == "verified session" else bearer(make_token(cast.owner, mfa_verified=True))
    )
    problems: list[str] = []
    for route in routes_under(API):
        if "get" not in api_methods(route):
            continue
        url = build(records, route)
        response = client.get(url)
        if response.status_code != 200:
            problems.append(f"GET {url} answered {response.status_code}")
    assert problems == [], "\n".join(problems)


def test_a_token_made_with_mfa_writes(cast: Cast, records: Records) -> None:
    client = bearer(make_token(cast.owner, mfa_verified=True))
    response = client.patch(f"/api/v1/orgs/{records.org_slug}/", {"name": "Renamed"}, format="json")
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="organization.settings_changed", organization=cast.org).exists()
